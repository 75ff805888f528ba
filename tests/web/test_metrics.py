"""/metrics: the pipeline's counts in the Prometheus text format, served for real."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from digest import pipeline
from digest.web.metrics import metrics_text_of_processes, reply_class
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp


def test_metrics_count_articles_issues_deliveries_replies_and_failing_sources(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    report = pipeline.send(rt, "weekly", NOW)
    assert report.sent == 1
    with app.client() as http:
        response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    lines = set(response.text.splitlines())
    assert "# TYPE digest_articles_collected_total counter" in lines
    # prometheus-client writes every value as a float: 12.0 is the number 12 to Prometheus.
    assert "digest_articles_collected_total 12.0" in lines
    assert 'digest_issues{status="sent"} 1.0' in lines
    assert 'digest_issues{status="draft"} 0.0' in lines
    assert 'digest_deliveries{state="sent"} 1.0' in lines
    assert 'digest_smtp_last_replies{class="2xx"} 1.0' in lines
    assert 'digest_source_consecutive_failures{source="Maghreb Dispatch"} 0.0' in lines


def test_reply_classes() -> None:
    assert reply_class("250 2.0.0 Ok: queued") == "2xx"
    assert reply_class("451 4.3.0 try later") == "4xx"
    assert reply_class("550 5.1.1 no such user") == "5xx"
    assert reply_class("connection dropped") == "none"
    assert reply_class(None) == "none"


GAUGES = (
    "digest_issues",
    "digest_deliveries",
    "digest_smtp_last_replies",
    "digest_source_consecutive_failures",
    "digest_schedule_runs",
)


def test_metrics_parse_as_prometheus_exposition(
    app: LiveApp, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    pipeline.send(rt, "weekly", NOW)
    with app.client() as http:
        text = http.get("/metrics").text

    families = {family.name: family for family in text_string_to_metric_families(text)}
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families.values()
        for sample in family.samples
    }
    assert families["digest_articles_collected"].type == "counter"
    assert samples[("digest_articles_collected_total", ())] == 12
    assert {families[name].type for name in GAUGES} == {"gauge"}
    assert samples[("digest_issues", (("status", "sending"),))] == 0
    assert samples[("digest_deliveries", (("state", "sent"),))] == 1
    assert samples[("digest_smtp_last_replies", (("class", "2xx"),))] == 1
    sources = {s.labels["source"] for s in families["digest_source_consecutive_failures"].samples}
    assert sources == {"Maghreb Dispatch", "Sahel & Coast"}


def test_counts_kept_by_each_process_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set, the counts each `digest serve` process keeps of its
    own are summed over every process, whichever one answers /metrics."""
    folder = tmp_path / "prometheus"
    folder.mkdir()
    environ = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder)}
    count_two = "from subscribers.rate_limit import REFUSED; REFUSED.labels('client').inc(2)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", count_two], env=environ, check=True, timeout=60)

    text = metrics_text_of_processes(folder)

    values = {
        (s.name, tuple(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert values[("digest_sign_ups_refused_total", (("limit", "client"),))] == 4
    assert ("digest_articles_collected_total", ()) not in values  # the database's: not here
