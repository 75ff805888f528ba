"""/metrics: the pipeline's counts read from the database at each scrape, and the counts each
process keeps (sign-ups refused), in the Prometheus text format (prometheus-client).

The database's counts are the same whichever process answers. With PROMETHEUS_MULTIPROC_DIR
set (several `digest serve` processes on one machine), each process writes its own counts into
that folder and the answer sums every process's; without it, they are this process's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import func, literal_column, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.models import Article, Delivery, Issue, ScheduleRun, Source, StoryClick
from digest.pipeline import Runtime
from digest.states import DeliveryStatus, IssueStatus
from digest.web.clicks import FOLLOWED, TAKEN_BACK
from digest.web.state import web_state
from subscribers.rate_limit import REFUSED

MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def reply_class(reply: str | None) -> str:
    """'250 2.0.0 Ok' -> '2xx'; no reply or no code (dropped, timed out) -> 'none'."""
    code = (reply or "").strip()[:3]
    return f"{code[0]}xx" if code.isdigit() and code[0] in "2345" else "none"


class DatabaseCounts(Collector):
    """The pipeline's counts, read from the database whenever they are collected."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Metric]:
        rt = self.rt
        with rt.sessions() as session:
            articles = session.scalar(select(func.count()).select_from(Article)) or 0
            issues = session.execute(select(Issue.status, func.count()).group_by(Issue.status))
            issue_counts = {status: int(n) for status, n in issues}
            states = session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status)
            )
            delivery_counts = {status: int(n) for status, n in states}
            replies: dict[str, int] = {}
            # Literal bounds: with bound parameters PostgreSQL sees two different expressions.
            prefix = func.substr(Delivery.last_reply, literal_column("1"), literal_column("3"))
            prefixes = session.execute(
                select(prefix, func.count())
                .where(Delivery.last_reply.is_not(None), Delivery.status != DeliveryStatus.SKIPPED)
                .group_by(prefix)
            )
            for code, n in prefixes:
                replies[reply_class(code)] = replies.get(reply_class(code), 0) + int(n)
            failing = list(
                session.execute(
                    select(Source.name, Source.consecutive_failures).order_by(Source.name)
                )
            )
            runs = session.execute(
                select(ScheduleRun.job, ScheduleRun.outcome, func.count()).group_by(
                    ScheduleRun.job, ScheduleRun.outcome
                )
            )
            run_counts = sorted((job, outcome, int(n)) for job, outcome, n in runs)
            story_clicks = session.scalar(select(func.coalesce(func.sum(StoryClick.clicks), 0)))
        yield CounterMetricFamily(
            "digest_articles_collected", "Articles collected and stored.", value=articles
        )
        yield CounterMetricFamily(
            "digest_story_clicks",
            "Story clicks stored, over every issue and story (scanners' taken back).",
            value=int(story_clicks or 0),
        )
        yield _gauge(
            "digest_issues",
            "Issues by status.",
            ["status"],
            [([s], issue_counts.get(s, 0)) for s in IssueStatus],
        )
        yield _gauge(
            "digest_deliveries",
            "Deliveries (one per issue and subscriber) by state.",
            ["state"],
            [([s], n) for s, n in sorted(delivery_counts.items())],
        )
        yield _gauge(
            "digest_smtp_last_replies",
            "Deliveries by the class of the SMTP server's last reply.",
            ["class"],
            [([c], n) for c, n in sorted(replies.items())],
        )
        yield _gauge(
            "digest_source_consecutive_failures",
            "Failed fetches in a row, per source (0: the last one worked).",
            ["source"],
            [([name], int(n or 0)) for name, n in failing],
        )
        yield _gauge(
            "digest_schedule_runs",
            "Scheduled jobs by job and outcome.",
            ["job", "outcome"],
            [([j, o], n) for j, o, n in run_counts],
        )


def _gauge(
    name: str, help_text: str, labels: list[str], samples: list[tuple[list[str], int]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, help_text, labels=labels)
    for values, value in samples:
        family.add_metric([str(v) for v in values], value)
    return family


def render_metrics(rt: Runtime) -> bytes:
    """Every metric family, as of now: the database's, then the processes' own."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCounts(rt))
    return generate_latest(registry) + _process_counts(os.environ.get(MULTIPROC_DIR))


def metrics_text_of_processes(folder: Path) -> str:
    """The counts every process wrote into folder (multiprocess mode), summed."""
    return _process_counts(str(folder)).decode("utf-8")


def _process_counts(multiproc_dir: str | None) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    if multiproc_dir:
        MultiProcessCollector(registry, path=multiproc_dir)
    else:
        for counter in (REFUSED, FOLLOWED, TAKEN_BACK):
            registry.register(counter)
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(render_metrics, web_state(request).rt)
    return Response(
        body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"}
    )


def routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET"], name="metrics")]
