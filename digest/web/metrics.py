"""/metrics: the pipeline's counts in the Prometheus text format (read from the database)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, literal_column, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from digest.models import Article, Delivery, Issue, ScheduleRun, Source
from digest.pipeline import Runtime
from digest.states import DeliveryStatus, IssueStatus
from digest.web.state import web_state

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _label(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _family(
    name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, object], int]]
) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        shown = ",".join(f"{k}={_label(v)}" for k, v in labels.items())
        lines.append(f"{name}{{{shown}}} {value}" if shown else f"{name} {value}")
    return lines


def reply_class(reply: str | None) -> str:
    """'250 2.0.0 Ok' -> '2xx'; no reply or no code (dropped, timed out) -> 'none'."""
    code = (reply or "").strip()[:3]
    return f"{code[0]}xx" if code.isdigit() and code[0] in "2345" else "none"


def render_metrics(rt: Runtime) -> str:
    """Every metric family, as of now."""
    with rt.sessions() as session:
        articles = session.scalar(select(func.count()).select_from(Article)) or 0
        issues = session.execute(select(Issue.status, func.count()).group_by(Issue.status))
        issue_counts = {status: int(n) for status, n in issues}
        states = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status))
        delivery_counts = {status: int(n) for status, n in states}
        replies: dict[str, int] = {}
        # Literal bounds: with bound parameters PostgreSQL sees two different expressions.
        prefix = func.substr(Delivery.last_reply, literal_column("1"), literal_column("3"))
        prefixes = session.execute(
            select(prefix, func.count())
            .where(Delivery.last_reply.is_not(None), Delivery.status != DeliveryStatus.SKIPPED)
            .group_by(prefix)
        )
        for prefix, n in prefixes:
            replies[reply_class(prefix)] = replies.get(reply_class(prefix), 0) + int(n)
        failing = list(
            session.execute(select(Source.name, Source.consecutive_failures).order_by(Source.name))
        )
        runs = session.execute(
            select(ScheduleRun.job, ScheduleRun.outcome, func.count()).group_by(
                ScheduleRun.job, ScheduleRun.outcome
            )
        )
        run_counts = sorted((job, outcome, int(n)) for job, outcome, n in runs)
    lines = [
        *_family(
            "digest_articles_collected_total",
            "counter",
            "Articles collected and stored.",
            [({}, articles)],
        ),
        *_family(
            "digest_issues",
            "gauge",
            "Issues by status.",
            [({"status": s}, issue_counts.get(s, 0)) for s in IssueStatus],
        ),
        *_family(
            "digest_deliveries",
            "gauge",
            "Deliveries (one per issue and subscriber) by state.",
            [({"state": s}, n) for s, n in sorted(delivery_counts.items())],
        ),
        *_family(
            "digest_smtp_last_replies",
            "gauge",
            "Deliveries by the class of the SMTP server's last reply.",
            [({"class": c}, n) for c, n in sorted(replies.items())],
        ),
        *_family(
            "digest_source_consecutive_failures",
            "gauge",
            "Failed fetches in a row, per source (0: the last one worked).",
            [({"source": name}, int(n or 0)) for name, n in failing],
        ),
        *_family(
            "digest_schedule_runs",
            "gauge",
            "Scheduled jobs by job and outcome.",
            [({"job": j, "outcome": o}, n) for j, o, n in run_counts],
        ),
    ]
    return "\n".join(lines) + "\n"


async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(render_metrics, web_state(request).rt)
    return PlainTextResponse(body, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route("/metrics", metrics, methods=["GET"], name="metrics")]
