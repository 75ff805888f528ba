"""The health check: 200 "ok" while the database answers, 503 when it does not."""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from digest.web.state import web_state

log = logging.getLogger("digest.web")


async def healthz(request: Request) -> Response:
    engine = web_state(request).rt.engine

    def ping() -> None:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    try:
        await run_in_threadpool(ping)
    except SQLAlchemyError as exc:
        log.warning("health check: the database does not answer: %s", exc)
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("ok", headers={"Cache-Control": "no-store"})


def routes() -> list[Route]:
    return [Route("/healthz", healthz, methods=["GET"], name="healthz")]
