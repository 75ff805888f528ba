"""The uvicorn server configuration `digest serve` runs the web app with (and the tests too)."""

from __future__ import annotations

import uvicorn
from starlette.types import ASGIApp

from digest.config import Settings
from digest.web.timeouts import slow_client_protocol


def server_config(app: ASGIApp, settings: Settings, host: str, port: int) -> uvicorn.Config:
    """How the app is served: which client address it sees, how long and how many clients."""
    web = settings.web
    proxies = list(web.trusted_proxies)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # uvicorn's loggers go through ours (digest.logs)
        ws="none",
        server_header=False,
        # uvicorn's defaults trust X-Forwarded-For from 127.0.0.1, so any client on this
        # machine, or behind a local proxy that passes the header on, could pick its address
        # for the rate limits and consent records. Only configured proxies are believed.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or [],
        http=slow_client_protocol(
            web.header_timeout_seconds,
            web.body_timeout_seconds,
            web.max_connections_per_client,
            tuple(proxies),
        ),
        limit_concurrency=web.max_connections,
    )
