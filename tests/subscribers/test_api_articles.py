"""The API's articles: each collected story with its own language, a page at a time."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from digest import pipeline
from digest.config import Settings
from tests.subscribers.api_rig import NOW, RecordingMailer, api_settings, live_api


@pytest.fixture
def settings(write_config) -> Settings:  # type: ignore[no-untyped-def]
    return api_settings(write_config)


@pytest.fixture
def api(settings: Settings) -> Iterator[httpx.Client]:
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
    with live_api(settings, RecordingMailer()) as client:
        yield client


def test_articles_come_a_page_at_a_time_with_their_language(api: httpx.Client) -> None:
    seen: list[dict[str, object]] = []
    after = 0
    while True:
        page = api.get("/api/articles", params={"after": after, "limit": 5})
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["items"]
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert len(seen) == 12
    assert [a["id"] for a in seen] == sorted(a["id"] for a in seen)  # type: ignore[type-var]
    # The sample sites write in English (a page declaring en-GB keeps its region).
    assert {str(a["language"]).split("-")[0] for a in seen} == {"en"}
    assert all(a["title"] and a["collected_at"] for a in seen)


def test_articles_need_a_key(api: httpx.Client) -> None:
    answer = httpx.get(str(api.base_url.join("/api/articles")))
    assert answer.status_code == 401
