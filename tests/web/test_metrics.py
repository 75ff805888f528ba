"""/metrics: the pipeline's counts in the Prometheus text format, served for real."""

from __future__ import annotations

from digest import pipeline
from digest.web.metrics import reply_class
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
    assert "digest_articles_collected_total 12" in lines
    assert 'digest_issues{status="sent"} 1' in lines
    assert 'digest_issues{status="draft"} 0' in lines
    assert 'digest_deliveries{state="sent"} 1' in lines
    assert 'digest_smtp_last_replies{class="2xx"} 1' in lines
    assert 'digest_source_consecutive_failures{source="Maghreb Dispatch"} 0' in lines


def test_reply_classes() -> None:
    assert reply_class("250 2.0.0 Ok: queued") == "2xx"
    assert reply_class("451 4.3.0 try later") == "4xx"
    assert reply_class("550 5.1.1 no such user") == "5xx"
    assert reply_class("connection dropped") == "none"
    assert reply_class(None) == "none"
