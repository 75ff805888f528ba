"""Sign-up limits counted in memory (each process its own) or in a storage every process shares
(web.rate_limit_storage): two app instances stand for two `digest serve` processes."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from prometheus_client.parser import text_string_to_metric_families

from digest.config import Settings
from digest.errors import ConfigError
from digest.web import create_app
from tests.servers import FixtureSMTPServer
from tests.web.conftest import LiveApp, serve
from tests.web.readers.rig import MovableClock
from tests.web.readers.test_reader_pages import subscribe

REDIS = "redis://127.0.0.1:6379"


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@pytest.fixture
def redis_url() -> str:
    """Skip without a Redis server on this machine; under CI=true that is a failure."""
    if not redis_reachable():
        reason = f"no Redis server answers at {REDIS}"
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"{reason} (CI=true: .ci/run starts it)")
        pytest.skip(reason)
    return REDIS


def with_storage(settings: Settings, storage: str) -> Settings:
    web = settings.web.model_copy(update={"rate_limit_storage": storage})
    return settings.model_copy(update={"web": web})


def two_apps(settings: Settings, clock: MovableClock, stack: ExitStack) -> list[LiveApp]:
    return [stack.enter_context(serve(create_app(settings, clock=clock))) for _ in range(2)]


def refused_so_far(app: LiveApp) -> float:
    with app.client() as http:
        text = http.get("/metrics").text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "digest_sign_ups_refused_total" and sample.labels["limit"] == "client"
    )


@pytest.fixture
def apps_on_redis(
    settings: Settings, rt: object, clock: MovableClock, redis_url: str
) -> Iterator[list[LiveApp]]:
    with ExitStack() as stack:
        yield two_apps(with_storage(settings, redis_url), clock, stack)


@pytest.mark.parametrize("reader_overrides", [{"subscribe_per_ip": 3}])
def test_two_processes_on_a_shared_storage_share_the_limit(
    apps_on_redis: list[LiveApp], smtp_server: FixtureSMTPServer
) -> None:
    first, second = apps_on_redis
    refused_before = refused_so_far(first)

    answers = [
        subscribe(app, f"r{i}@example.net").status_code
        for i, app in enumerate([first, second, first, second, first])
    ]

    assert answers == [200, 200, 200, 429, 429]
    assert refused_so_far(first) - refused_before == 2  # one process: both apps counted here


@pytest.mark.parametrize("reader_overrides", [{"subscribe_per_ip": 2}])
def test_in_memory_each_process_keeps_its_own_count_and_still_limits(
    settings: Settings, rt: object, clock: MovableClock, smtp_server: FixtureSMTPServer
) -> None:
    assert settings.web.rate_limit_storage == "memory://"
    with ExitStack() as stack:
        first, second = two_apps(settings, clock, stack)
        answers = [
            subscribe(app, f"r{i}@example.net").status_code
            for i, app in enumerate([first, first, first, second, second, second])
        ]

    assert answers == [200, 200, 429, 200, 200, 429]


def test_a_storage_other_than_memory_or_redis_names_the_key(write_config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        write_config({"web": {"rate_limit_storage": "memcached://127.0.0.1:11211"}})
    assert "web.rate_limit_storage: expected memory:// or a redis:// URL" in caught.value.message
