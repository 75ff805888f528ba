"""The subscribers REST API over real HTTP: keys, the rules of consent, errors, pages, erasure."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select

from digest import db
from digest.config import Settings
from digest.errors import ConfigError
from digest.web import create_app
from subscribers.models import ConsentRecord, Subscription
from subscribers.suppression import suppress
from tests.subscribers.api_rig import (
    KEY,
    KEYS_ENV,
    NOW,
    RecordingMailer,
    api_settings,
    live_api,
)


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


def consent(settings: Settings) -> list[tuple[int, int | None, str, str, str]]:
    engine = db.make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    ConsentRecord.subscriber_id,
                    ConsentRecord.list_id,
                    ConsentRecord.action,
                    ConsentRecord.method,
                    ConsentRecord.wording,
                ).order_by(ConsentRecord.id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        engine.dispose()


def subscribe(api: httpx.Client, email: str, **fields: object) -> httpx.Response:
    body = {"email": email, "list": "weekly", "consent": "Send me The Weekly", **fields}
    return api.post("/api/subscriptions", json=body)


def test_without_keys_the_api_is_not_there(settings: Settings, mailer: RecordingMailer) -> None:
    with live_api(settings, mailer, keys=None) as client:
        assert client.get("/api/openapi.json").status_code == 404
        assert subscribe(client, "ann@example.org").status_code == 404
        assert client.get("/healthz").status_code == 200  # the rest of the app is served


def test_every_request_needs_one_of_the_keys(api: httpx.Client) -> None:
    anonymous = httpx.Client(base_url=str(api.base_url))
    with anonymous:
        refused = anonymous.get("/api/subscribers")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json() == {
            "error": "a valid API key is required: Authorization: Bearer <key>"
        }
        wrong = anonymous.get("/api/subscribers", headers={"Authorization": f"Bearer {KEY}x"})
        assert wrong.status_code == 401
        # The schema itself is public: it holds no data.
        assert anonymous.get("/api/openapi.json").json()["info"]["title"] == (
            "digest subscribers API"
        )
    answer = api.get("/api/subscribers")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"


def test_a_short_key_stops_the_app_at_start(settings: Settings) -> None:
    with pytest.raises(ConfigError, match=f"^environment variable {KEYS_ENV} .* shorter than 24"):
        create_app(settings, environ={KEYS_ENV: f"{KEY},short"})


def test_double_opt_in_by_default_and_consent_recorded(
    api: httpx.Client, mailer: RecordingMailer, settings: Settings
) -> None:
    created = subscribe(
        api, "Ann@Example.org", name="Ann", topics=["West Africa"], timezone="Africa/Dakar"
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["email"] == "ann@example.org" and body["list"] == "weekly"
    assert body["status"] == "pending" and body["origin"] == "api"
    assert body["confirmed_at"] is None
    assert mailer.sent == [body["id"]]

    again = subscribe(api, "ann@example.org", name="Someone else", topics=["Health"])
    assert again.status_code == 200
    assert again.json()["id"] == body["id"]
    # The mailer is asked again; holding back within the resend window is its job.
    assert mailer.sent == [body["id"], body["id"]]
    reader = api.get(f"/api/subscribers/{body['subscriber_id']}").json()
    # A second request does not change the reader's own choices.
    assert (reader["name"], reader["topics"], reader["timezone"]) == (
        "Ann",
        ["West Africa"],
        "Africa/Dakar",
    )
    assert consent(settings) == [
        (body["subscriber_id"], 1, "subscribe", "api", "Send me The Weekly")
    ]


def test_confirmed_only_when_the_site_says_so(
    api: httpx.Client, mailer: RecordingMailer, settings: Settings
) -> None:
    created = subscribe(api, "bob@example.org", confirmed=True)
    assert created.status_code == 201
    assert created.json()["status"] == "confirmed"
    assert created.json()["confirmed_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert mailer.sent == []
    assert [row[2:4] for row in consent(settings)] == [("subscribe", "api"), ("confirm", "api")]


def test_suppressed_and_unsubscribed_addresses_are_not_subscribed_again(
    api: httpx.Client, settings: Settings
) -> None:
    engine = db.make_engine(settings.database_url)
    with db.transaction(db.session_factory(engine)) as session:
        suppress(session, "gone@example.org", "hard_bounce", NOW)
    engine.dispose()
    refused = subscribe(api, "gone@example.org")
    assert refused.status_code == 409
    assert refused.json() == {
        "error": "gone@example.org is suppressed (hard bounce): it is never subscribed again"
    }

    subscription = subscribe(api, "cy@example.org", confirmed=True).json()
    left = api.post(f"/api/subscriptions/{subscription['id']}/unsubscribe")
    assert left.status_code == 200 and left.json()["status"] == "unsubscribed"
    assert api.post(f"/api/subscriptions/{subscription['id']}/unsubscribe").status_code == 200
    back = subscribe(api, "cy@example.org", confirmed=True)
    assert back.status_code == 409
    assert "pass resubscribe: true with the consent they gave" in back.json()["error"]
    renewed = subscribe(api, "cy@example.org", resubscribe=True, consent="Yes, again please")
    assert renewed.status_code == 201
    assert renewed.json()["status"] == "pending"  # and confirms again by mail
    assert renewed.json()["unsubscribed_at"] is None
    actions = [
        (row[2], row[4]) for row in consent(settings) if row[0] == subscription["subscriber_id"]
    ]
    assert actions == [
        ("subscribe", "Send me The Weekly"),
        ("confirm", "confirmed by the site calling the API"),
        ("unsubscribe", ""),
        ("subscribe", "Yes, again please"),
    ]


@pytest.mark.parametrize(
    ("fields", "status", "error"),
    [
        ({"email": "not-an-address"}, 422, "'not-an-address' is not a valid email address"),
        ({"email": "ann@example.org\r\nBcc: x@example.org"}, 422, "is not a valid email"),
        ({"name": "Ann\r\nBcc: x@example.org"}, 422, "name contains control characters"),
        ({"topics": ["Mars"]}, 422, "topic 'Mars' is not on offer (offered: Health, Northern"),
        ({"timezone": "Mars/Olympus"}, 422, "time zone 'Mars/Olympus' is not an IANA zone"),
        ({"list": "monthly"}, 404, "no mailing list 'monthly'"),
        ({"colour": "blue"}, 422, "body.colour: Extra inputs are not permitted"),
        ({"consent": ""}, 422, "body.consent: String should have at least 1 character"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(
    api: httpx.Client, mailer: RecordingMailer, fields: dict, status: int, error: str
) -> None:
    body = {"email": "ann@example.org", "list": "weekly", "consent": "Yes", **fields}
    answer = api.post("/api/subscriptions", json=body)
    assert answer.status_code == status, answer.text
    assert error in answer.json()["error"]
    assert api.get("/api/subscriptions").json() == {"items": [], "next_after": None}
    assert mailer.sent == []


def test_a_failed_confirmation_mail_is_a_503_and_the_subscription_waits(
    api: httpx.Client, mailer: RecordingMailer
) -> None:
    mailer.failing = True
    failed = subscribe(api, "dee@example.org")
    assert failed.status_code == 503
    assert (
        "is saved as pending but its confirmation mail could not be sent"
        in (failed.json()["error"])
    )
    mailer.failing = False
    retried = subscribe(api, "dee@example.org")
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    assert mailer.sent == [retried.json()["id"]]


def test_lists_come_a_page_at_a_time(api: httpx.Client) -> None:
    for i in range(5):
        subscribe(api, f"r{i}@example.org", confirmed=True)
    subscribe(api, "r0@example.org", list="alerts")
    seen: list[str] = []
    after = 0
    while True:
        page = api.get("/api/subscriptions", params={"list": "weekly", "limit": 2, "after": after})
        assert page.status_code == 200
        seen += [item["email"] for item in page.json()["items"]]
        if page.json()["next_after"] is None:
            break
        after = page.json()["next_after"]
    assert seen == [f"r{i}@example.org" for i in range(5)]
    pending = api.get("/api/subscriptions", params={"status": "pending"}).json()["items"]
    assert [(s["email"], s["list"]) for s in pending] == [("r0@example.org", "alerts")]
    found = api.get("/api/subscribers", params={"email": "R0@example.org"}).json()["items"]
    assert [s["list"] for s in found[0]["subscriptions"]] == ["weekly", "alerts"]
    too_many = api.get("/api/subscribers", params={"limit": 51})
    assert too_many.status_code == 422
    assert too_many.json()["error"] == "query.limit: Input should be less than or equal to 50"


def test_update_then_erase_a_reader(api: httpx.Client, settings: Settings) -> None:
    reader_id = subscribe(api, "eve@example.org", name="Eve", confirmed=True).json()[
        "subscriber_id"
    ]
    changed = api.patch(
        f"/api/subscribers/{reader_id}",
        json={"topics": ["Northern Africa", "Health"], "timezone": None},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["topics"] == ["Northern Africa", "Health"]
    assert changed.json()["name"] == "Eve"  # left out: unchanged
    assert consent(settings)[-1][2:] == (
        "preferences",
        "api",
        "topics: Northern Africa, Health; timezone: (the list’s)",
    )
    bad = api.patch(f"/api/subscribers/{reader_id}", json={"name": "Eve\x00"})
    assert bad.status_code == 422
    assert api.delete(f"/api/subscribers/{reader_id}").status_code == 204
    gone = api.get(f"/api/subscribers/{reader_id}")
    assert gone.status_code == 404 and gone.json() == {"error": f"no subscriber {reader_id}"}
    assert api.delete(f"/api/subscribers/{reader_id}").status_code == 404
    assert consent(settings) == []
    engine = db.make_engine(settings.database_url)
    with engine.connect() as connection:
        assert connection.execute(select(Subscription.id)).all() == []
    engine.dispose()


def test_the_same_reader_posted_at_once_is_subscribed_once(
    api: httpx.Client, mailer: RecordingMailer
) -> None:
    def post(_: int) -> int:
        with httpx.Client(base_url=str(api.base_url), headers=dict(api.headers)) as own:
            return subscribe(own, "fay@example.org", confirmed=True).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(post, range(8)))
    assert statuses == [200] * 7 + [201]
    assert len(api.get("/api/subscriptions").json()["items"]) == 1


def test_a_body_over_64_kib_is_refused_unread(api: httpx.Client) -> None:
    body = {"email": "gus@example.org", "list": "weekly", "consent": "x" * 70_000}
    declared = api.post("/api/subscriptions", json=body)
    assert declared.status_code == 413
    assert declared.json() == {"error": "the request body is larger than 65536 bytes"}

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b" " * 4096  # JSON allows the whitespace: only the size is wrong

    chunked = api.post(
        "/api/subscriptions", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413
    assert api.get("/api/subscriptions").json()["items"] == []


def test_the_site_saying_confirmed_confirms_a_pending_subscription(
    api: httpx.Client, mailer: RecordingMailer, settings: Settings
) -> None:
    pending = subscribe(api, "cy@example.org")
    assert pending.json()["status"] == "pending" and mailer.sent == [pending.json()["id"]]

    confirmed = subscribe(api, "cy@example.org", confirmed=True)

    assert confirmed.is_success, confirmed.text
    body = confirmed.json()
    assert (body["id"], body["status"], body["origin"]) == (
        pending.json()["id"],
        "confirmed",
        "api",
    )
    assert body["confirmed_at"] == NOW.isoformat().replace("+00:00", "Z")
    assert mailer.sent == [body["id"]]  # no second confirmation mail
    assert [row[2:4] for row in consent(settings)] == [
        ("subscribe", "api"),
        ("subscribe", "api"),
        ("confirm", "api"),
    ]
