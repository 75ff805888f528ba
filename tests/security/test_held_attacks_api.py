"""The subscribers API's limits, which hold: every route refuses a request without one of the keys
(however the key is bent or misplaced), page sizes and ids beyond their bounds, and bodies over
the cap, and none of these changes anything.

Already covered elsewhere, not repeated here: GET /api/subscribers without a key or with a wrong
one, limit=51 on /api/subscribers, and a POST body over 64 KiB declared or chunked
(tests/subscribers/test_api.py); the API's own cap beside the reader's forms
(tests/security/test_web_edges.py::test_the_api_keeps_its_own_larger_limit).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from digest import db
from digest.config import Settings
from subscribers.models import ConsentRecord, Subscriber, Subscription
from tests.subscribers.api_rig import KEY, RecordingMailer, api_settings, live_api

PAGE_MAX = 50  # api.page_size_max in api_settings


@pytest.fixture
def settings(write_config) -> Settings:  # type: ignore[no-untyped-def]
    return api_settings(write_config)


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()


@pytest.fixture
def api(settings: Settings, mailer: RecordingMailer) -> Iterator[httpx.Client]:
    with live_api(settings, mailer) as client:
        yield client


@pytest.fixture
def reader(api: httpx.Client) -> dict[str, int]:
    """A confirmed reader of weekly, made through the API with the key."""
    body = {"email": "ann@example.org", "list": "weekly", "consent": "Yes", "confirmed": True}
    made = api.post("/api/subscriptions", json=body)
    assert made.status_code == 201, made.text
    return {"subscriber": made.json()["subscriber_id"], "subscription": made.json()["id"]}


def stored(settings: Settings) -> dict[str, Any]:
    engine = db.make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            people = connection.execute(
                select(Subscriber.email, Subscriber.name, Subscriber.topics)
            ).all()
            subscriptions = connection.execute(select(Subscription.id, Subscription.status)).all()
            consent = connection.scalar(select(func.count()).select_from(ConsentRecord))
    finally:
        engine.dispose()
    return {
        "people": sorted(map(tuple, people)),
        "subscriptions": sorted(map(tuple, subscriptions)),
        "consent records": consent,
    }


def routes(ids: dict[str, int]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every route of the API with a body it would accept."""
    subscriber, subscription = ids["subscriber"], ids["subscription"]
    new = {"email": "eve@example.org", "list": "weekly", "consent": "Yes", "confirmed": True}
    return [
        ("POST", "/api/subscriptions", new),
        ("GET", "/api/subscriptions", None),
        ("GET", f"/api/subscriptions/{subscription}", None),
        ("POST", f"/api/subscriptions/{subscription}/unsubscribe", None),
        ("GET", "/api/subscribers", None),
        ("GET", f"/api/subscribers/{subscriber}", None),
        ("PATCH", f"/api/subscribers/{subscriber}", {"name": "Mallory"}),
        ("DELETE", f"/api/subscribers/{subscriber}", None),
    ]


# What may stand where the key goes, none of them the key.
BENT_KEYS: dict[str, dict[str, str]] = {
    "no Authorization": {},
    "an empty Bearer": {"Authorization": "Bearer"},
    "the key as Basic": {"Authorization": f"Basic {KEY}"},
    "the key alone, no scheme": {"Authorization": KEY},
    "the key cut short": {"Authorization": f"Bearer {KEY[:-1]}"},
    "the key and more": {"Authorization": f"Bearer {KEY}x"},
    "the key in upper case": {"Authorization": f"Bearer {KEY.upper()}"},
    "two keys, one wrong": {"Authorization": f"Bearer wrong-key-0123456789abcdef,{KEY}"},
    "the key as a cookie": {"Cookie": f"api_key={KEY}; Authorization={KEY}"},
    "the key in another header": {"X-API-Key": KEY},
}


def test_every_route_refuses_a_request_without_the_key(
    api: httpx.Client, settings: Settings, reader: dict[str, int], mailer: RecordingMailer
) -> None:
    before = stored(settings)
    answers: dict[str, int] = {}
    with httpx.Client(base_url=str(api.base_url), timeout=30) as stranger:
        for how, headers in BENT_KEYS.items():
            for method, path, body in routes(reader):
                # The key in the query string too: a URL lands in logs, never counts as a key.
                sent = stranger.request(
                    method, path, json=body, headers=headers, params={"api_key": KEY}
                )
                answers[f"{method} {path} with {how}"] = sent.status_code
                if sent.status_code == 401:
                    assert sent.headers["www-authenticate"] == "Bearer"
                    assert sent.json() == {
                        "error": "a valid API key is required: Authorization: Bearer <key>"
                    }

    assert answers and {k: v for k, v in answers.items() if v != 401} == {}
    assert stored(settings) == before
    assert len(mailer.sent) == 0
    # Each route answers the key: the refusals were the key's.
    for method, path, body in routes(reader):
        assert api.request(method, path, json=body).status_code < 300, (method, path)


@pytest.mark.parametrize("path", ["/api/subscriptions", "/api/subscribers"])
def test_page_sizes_and_ids_beyond_their_bounds_are_refused(
    api: httpx.Client, reader: dict[str, int], path: str
) -> None:
    bad = {
        "limit over the maximum": {"limit": PAGE_MAX + 1},
        "limit far over": {"limit": 10**30},
        "limit zero": {"limit": 0},
        "limit negative": {"limit": -1},
        "limit not a number": {"limit": "all"},
        "after negative": {"after": -1},
        "after past 64 bits": {"after": 2**63},
    }

    answers = {how: api.get(path, params=params) for how, params in bad.items()}

    assert {how: a.status_code for how, a in answers.items()} == dict.fromkeys(bad, 422)
    assert all("query." in a.json()["error"] for a in answers.values())
    assert api.get(path, params={"limit": PAGE_MAX}).status_code == 200


def test_ids_past_64_bits_and_overlong_queries_are_refused(
    api: httpx.Client, reader: dict[str, int]
) -> None:
    answers = {
        "subscriber id": api.get(f"/api/subscribers/{2**63}").status_code,
        "subscription id": api.get(f"/api/subscriptions/{10**30}").status_code,
        "unsubscribe id": api.post(f"/api/subscriptions/{2**64}/unsubscribe").status_code,
        "email query": api.get("/api/subscribers", params={"email": "a" * 400}).status_code,
        "list query": api.get("/api/subscriptions", params={"list": "x" * 65}).status_code,
    }

    assert answers == dict.fromkeys(answers, 422)


def test_a_patch_body_over_the_cap_is_refused_and_changes_nothing(
    api: httpx.Client, settings: Settings, reader: dict[str, int]
) -> None:
    before = stored(settings)
    path = f"/api/subscribers/{reader['subscriber']}"

    declared = api.patch(path, json={"name": "Eve", "padding": "x" * 70_000})

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "Eve"'
        for _ in range(20):
            yield b" " * 4096

    chunked = api.patch(path, content=chunks(), headers={"Content-Type": "application/json"})
    unauthenticated = httpx.patch(
        str(api.base_url.join(path)), json={"name": "Eve", "padding": "x" * 70_000}, timeout=30
    )

    assert (declared.status_code, chunked.status_code) == (413, 413)
    assert unauthenticated.status_code in (401, 413)
    assert stored(settings) == before
    assert api.patch(path, json={"name": "Eve"}).json()["name"] == "Eve"
