"""The LLM summariser against a real local chat-completions endpoint, and its fallback."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from digest.config_sections import LlmSettings
from digest.editorial.summarise import Summary, SummaryRequest, extractive_summary
from digest.pipeline.llm_summariser import LlmSummariser
from tests.llm_endpoint import FakeChatEndpoint, Reply

TEXT = (
    "Dakar's first electric bus line opened on Monday with 120 buses. "
    "The line links the city centre with the airport in forty minutes. "
    "Fares are the same as on the old diesel buses, the operator said."
)
REQUEST = SummaryRequest(title="Dakar opens an electric bus line", text=TEXT, word_budget=30)
GOOD = "Dakar opened an electric bus line to the airport with 120 buses on Monday."


@pytest.fixture
def endpoint() -> Iterator[Callable[[Callable[[dict[str, Any]], Reply]], FakeChatEndpoint]]:
    started: list[FakeChatEndpoint] = []

    def start(answer: Callable[[dict[str, Any]], Reply]) -> FakeChatEndpoint:
        server = FakeChatEndpoint(answer).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def summarise(
    base_url: str,
    requests: list[SummaryRequest],
    environ: dict[str, str] | None = None,
    **settings: Any,
) -> list[Summary]:
    values: dict[str, Any] = {"base_url": base_url, "model": "test-model", "timeout_seconds": 2}
    values.update(settings)
    summariser = LlmSummariser(LlmSettings(**values), environ={} if environ is None else environ)
    return asyncio.run(summariser.summarise(requests))


def test_a_good_answer_is_the_summary_and_the_request_is_a_chat_completion(endpoint) -> None:  # type: ignore[no-untyped-def]
    server = endpoint(lambda _body: Reply(GOOD))

    summaries = summarise(server.base_url, [REQUEST], {"DIGEST_LLM_API_KEY": "sk-test"})

    assert summaries == [Summary(GOOD, "llm")]
    headers, body = server.requests[0]
    assert headers["Authorization"] == "Bearer sk-test"
    assert body["model"] == "test-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "at most 30 words" in body["messages"][0]["content"]
    assert TEXT in body["messages"][1]["content"]


def test_no_key_in_the_environment_sends_no_authorization(endpoint) -> None:  # type: ignore[no-untyped-def]
    server = endpoint(lambda _body: Reply(GOOD))

    assert summarise(server.base_url, [REQUEST], {}) == [Summary(GOOD, "llm")]
    assert "Authorization" not in server.requests[0][0]


FALLBACKS = [
    ("slow answer", Reply(GOOD, delay=1.5), "TimeoutError"),
    ("slow body", Reply(GOOD, body_delay=1.5), "TimeoutError"),
    ("server error", Reply(status=500, raw=b'{"error": "overloaded"}'), "HTTP 500"),
    ("rate limited", Reply(status=429, raw=b'{"error": "slow down"}'), "HTTP 429"),
    ("not JSON", Reply(raw=b"<html>gateway</html>"), "malformed reply"),
    ("no choices", Reply(raw=b'{"choices": []}'), "malformed reply"),
    ("content not text", Reply(raw=b'{"choices": [{"message": {"content": 7}}]}'), "not text"),
    ("empty", Reply(""), "empty answer"),
    ("refusal", Reply("I'm sorry, but I can't help with that."), "refused"),
    ("markdown", Reply("**Dakar** opened a bus line."), "not plain text"),
    ("too long", Reply("Dakar opened a bus line " + "and more " * 30 + "."), "too long"),
    ("cut short", Reply("Dakar opened an electric bus line to the"), "full sentence"),
]


@pytest.mark.parametrize(
    ("reply", "reason"), [f[1:] for f in FALLBACKS], ids=[f[0] for f in FALLBACKS]
)
def test_any_failure_gives_the_extractive_summary_and_logs_why(
    endpoint,
    caplog: pytest.LogCaptureFixture,
    reply: Reply,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    server = endpoint(lambda _body: reply)
    caplog.set_level(logging.WARNING, logger="digest")

    # Short only where the wait is what is tested: a loaded machine must not turn the other
    # failures into timeouts.
    timeout = 0.5 if reason == "TimeoutError" else 10.0
    summaries = summarise(server.base_url, [REQUEST], timeout_seconds=timeout)

    assert summaries == [extractive_summary(REQUEST)]
    assert summaries[0].method == "extractive"
    assert len(server.requests) == 1
    [record] = [r for r in caplog.records if "llm summary" in r.getMessage()]
    assert reason in record.getMessage()
    assert REQUEST.title in record.getMessage()


def test_an_endpoint_that_is_not_there_falls_back(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    caplog.set_level(logging.WARNING, logger="digest")

    summaries = summarise(f"http://127.0.0.1:{port}/v1", [REQUEST])

    assert summaries == [extractive_summary(REQUEST)]
    assert any("llm summary" in r.getMessage() for r in caplog.records)


def test_one_bad_answer_does_not_spoil_the_others_and_order_is_kept(endpoint) -> None:  # type: ignore[no-untyped-def]
    def answer(body: dict[str, Any]) -> Reply:
        user = body["messages"][1]["content"]
        if "refuse" in user:
            return Reply("I cannot do that.")
        return Reply(f"Summary of {user.split()[1]}.")

    server = endpoint(answer)
    requests = [
        SummaryRequest(title=f"{name}", text=TEXT, word_budget=30)
        for name in ("first", "refuse", "third")
    ]

    summaries = summarise(server.base_url, requests)

    assert summaries[0] == Summary("Summary of first.", "llm")
    assert summaries[1] == extractive_summary(requests[1])
    assert summaries[2] == Summary("Summary of third.", "llm")


def test_at_most_max_concurrency_requests_are_in_flight(endpoint) -> None:  # type: ignore[no-untyped-def]
    server = endpoint(lambda _body: Reply(GOOD, delay=0.2))

    summaries = summarise(server.base_url, [REQUEST] * 6, max_concurrency=2)

    assert summaries == [Summary(GOOD, "llm")] * 6
    assert server.most_in_flight == 2


def test_max_concurrency_holds_across_calls_at_once(endpoint) -> None:  # type: ignore[no-untyped-def]
    # A collection summarises each source's new articles as that source finishes, several
    # sources at once, with the run's one summariser: the limit is the summariser's, not a
    # call's.
    server = endpoint(lambda _body: Reply(GOOD, delay=0.2))
    settings = LlmSettings(base_url=server.base_url, model="test-model", max_concurrency=2)
    summariser = LlmSummariser(settings, environ={})

    async def three_sources() -> list[list[Summary]]:
        return list(await asyncio.gather(*(summariser.summarise([REQUEST] * 3) for _ in "abc")))

    assert asyncio.run(three_sources()) == [[Summary(GOOD, "llm")] * 3] * 3
    assert server.most_in_flight == 2
    # The same summariser works again in a later event loop (resummarise runs one per batch).
    assert asyncio.run(summariser.summarise([REQUEST])) == [Summary(GOOD, "llm")]
