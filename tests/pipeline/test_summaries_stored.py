"""Summaries are made once, stored with their method, and made again only when the article
changes or an editor asks; the LLM summariser through the whole collect step."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from digest import db, pipeline
from digest.models import Article
from digest.pipeline.article_listing import articles_collected
from digest.pipeline.summaries import resummarise
from tests.llm_endpoint import FakeChatEndpoint, Reply

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def llm() -> Iterator[FakeChatEndpoint]:
    def answer(body: dict[str, Any]) -> Reply:
        title = body["messages"][1]["content"].splitlines()[0].removeprefix("Title: ")
        if "Ségou" in title:
            return Reply(status=503, raw=b'{"error": "busy"}')  # this one falls back
        return Reply(f"An LLM summary of “{title}”.")

    server = FakeChatEndpoint(answer).start()
    yield server
    server.stop()


def summaries(rt: pipeline.Runtime) -> dict[str, tuple[str, str]]:
    with rt.sessions() as session:
        return {a.title: (a.summary, a.summary_method) for a in session.scalars(select(Article))}


def test_collect_with_the_llm_summariser_stores_its_summaries_and_falls_back(
    write_config,
    sample_sources: list[dict[str, str]],
    llm: FakeChatEndpoint,  # type: ignore[no-untyped-def]
) -> None:
    settings = write_config(
        {
            "sources": sample_sources,
            "editorial": {"summariser": "llm", "llm": {"base_url": llm.base_url}},
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
        stored = summaries(rt)

    assert report.new_articles == 12
    assert len(llm.requests) == 12
    for title, (summary, method) in stored.items():
        if "Ségou" in title:
            assert method in ("extractive", "feed")
        else:
            assert (summary, method) == (f"An LLM summary of “{title}”.", "llm")


def test_summaries_are_made_again_only_when_the_text_changes_or_when_asked(
    write_config,
    sample_sources: list[dict[str, str]],
    llm: FakeChatEndpoint,  # type: ignore[no-untyped-def]
) -> None:
    settings = write_config({"sources": sample_sources})
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        before = summaries(rt)
        assert {m for _, m in before.values()} <= {"extractive", "feed"}

        # Nothing changed: nothing is summarised again.
        assert resummarise(rt).summarised == 0
        assert summaries(rt) == before

        # One article's text changes: that one, and only that one, gets a new summary.
        with db.transaction(rt.sessions) as session:
            article = session.scalars(select(Article).order_by(Article.id)).first()
            assert article is not None
            changed_title = article.title
            article.text = "The council approved the new harbour budget on Friday. " + article.text
        report = resummarise(rt)
        assert (report.checked, report.summarised) == (12, 1)
        after = summaries(rt)
        assert after[changed_title] == (
            after[changed_title][0],
            "extractive",
        ) and after[changed_title][0].startswith("The council approved the new harbour budget")
        assert {t: s for t, s in after.items() if t != changed_title} == {
            t: s for t, s in before.items() if t != changed_title
        }

        # Summaries with no source hash count as current: only --resummarise redoes them,
        # and hashes them.
        with db.transaction(rt.sessions) as session:
            session.execute(update(Article).values(summary_source_hash=None))
        assert resummarise(rt).summarised == 0
        assert summaries(rt) == after
        assert resummarise(rt, force=True).summarised == 12
        assert resummarise(rt).summarised == 0

    # --resummarise with the LLM configured: every article is summarised again, by the LLM.
    llm_settings = write_config(
        {
            "sources": sample_sources,
            "editorial": {"summariser": "llm", "llm": {"base_url": llm.base_url}},
        }
    )
    with pipeline.runtime(llm_settings, NOW) as rt:
        assert resummarise(rt).summarised == 0
        assert llm.requests == []
        assert resummarise(rt, force=True).summarised == 12
        assert len(llm.requests) == 12
        methods = [m for _, m in summaries(rt).values()]
        assert methods.count("llm") == 11 and methods.count("extractive") == 1


def test_articles_collected_lists_a_period(
    write_config,
    sample_sources: list[dict[str, str]],  # type: ignore[no-untyped-def]
) -> None:
    settings = write_config({"sources": sample_sources})
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        with db.transaction(rt.sessions) as session:
            session.execute(
                update(Article)
                .where(Article.id <= 2)
                .values(collected_at=datetime(2026, 11, 10, tzinfo=UTC))
            )
        this_week = articles_collected(
            rt, datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
        )
        earlier = articles_collected(
            rt, datetime(2026, 11, 9, tzinfo=UTC), datetime(2026, 11, 16, tzinfo=UTC)
        )

    assert len(this_week) == 10 and [a.id for a in earlier] == [1, 2]
    for listing in this_week + earlier:
        assert listing.summary and listing.reading_minutes >= 1 and listing.source
        assert listing.region in ("Northern Africa", "West Africa")
