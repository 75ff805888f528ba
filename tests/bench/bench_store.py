"""Benchmark: storing one collection run's new articles, source after source, with the week's
titles read once for the run, against reading them again for every source, in one run.

Run by hand: python -m tests.bench.bench_store [--recent 20000] [--sources 200] [--items 5]

A fresh SQLite database holds `recent` articles collected this week (the titles new stories
are checked against for near-duplicates). Then `sources` sources each store `items` new
articles, one transaction per source, as `digest collect` does. The figures:
- digest: one recent_titles() for the run, passed to every store_articles();
- the baseline: recent_titles() again for every source, each title split into words once
  as digest does, so that only the reading differs.
Both store the same articles into copies of the same database and must flag the same number
of duplicates.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from digest import db
from digest.collect.identity import TitleIndex
from digest.editorial.article_rules import ArticleDraft
from digest.models import Article, Source
from digest.pipeline.storing import Collected, recent_titles, store_articles

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
# Headlines draw on a newsroom-sized vocabulary, common words far more often (Zipf): with a
# few dozen words every title would share words with every other.
_SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "da", "pe", "zo", "fu", "ri", "an"]
_VOCABULARY = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES})
_WEIGHTS = [1 / (rank + 1) for rank in range(len(_VOCABULARY))]


def headline(rng: random.Random) -> str:
    return " ".join(rng.choices(_VOCABULARY, _WEIGHTS, k=rng.randint(6, 10))).capitalize()


def build(path: Path, recent: int, sources: int, seed: int) -> list[str]:
    """The database of the week so far; the recent titles."""
    rng = random.Random(seed)
    titles = [headline(rng) for _ in range(recent)]
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(Source),
            [{"name": f"S{n}", "url": f"https://s{n}.example.org/feed"} for n in range(sources)],
        )
        connection.execute(
            insert(Article),
            [
                {
                    "identity": f"url:https://old.example.org/{n}",
                    "url": f"https://old.example.org/{n}",
                    "title": titles[n],
                    "collected_at": NOW - timedelta(days=rng.uniform(0, 6)),
                    "tags": [],
                }
                for n in range(recent)
            ],
        )
    engine.dispose()
    return titles


def batches(sources: int, items: int, seed: int, recent: list[str]) -> list[list[Collected]]:
    """Each source's new articles; its first one retells a story of the week (a duplicate)."""
    rng = random.Random(seed + 1)
    out = []
    for s in range(sources):
        batch = []
        for i in range(items):
            url = f"https://s{s}.example.org/{i}"
            draft = ArticleDraft(
                identity=f"url:{url}",
                url=url,
                title=rng.choice(recent) + "!" if i == 0 else headline(rng),
                author=None,
                published_at=None,
                region="Coast",
                tags=[],
                text="Text.",
                word_count=1,
                reading_minutes=1,
                summary="Text.",
                summary_method="lead",
            )
            batch.append(Collected(draft, None))
        out.append(batch)
    return out


def run(path: Path, work: list[list[Collected]], index_per_source: bool) -> tuple[float, int]:
    """Seconds to store every source's batch; the duplicates flagged."""
    engine = db.make_engine(f"sqlite:///{path}")
    sessions = db.session_factory(engine)
    started = time.perf_counter()
    with sessions() as session:
        shared = recent_titles(session, NOW)

    def fresh() -> TitleIndex:
        with sessions() as session:
            return recent_titles(session, NOW)

    for n, batch in enumerate(work):
        with db.claim_transaction(engine) as session:
            recent = fresh() if index_per_source else shared
            store_articles(session, n + 1, batch, NOW, 5, recent)
    seconds = time.perf_counter() - started
    with sessions() as session:
        duplicates = session.scalar(
            select(func.count()).select_from(Article).where(Article.duplicate_of_id.is_not(None))
        )
    engine.dispose()
    return seconds, int(duplicates or 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recent", type=int, default=20_000)
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.db"
        titles = build(template, args.recent, args.sources, args.seed)
        work = batches(args.sources, args.items, args.seed, titles)
        figures = {}
        for name, per_source in (("digest", False), ("baseline", True)):
            copy = Path(tmp) / f"{name}.db"
            shutil.copyfile(template, copy)
            figures[name] = run(copy, work, per_source)

    (ours, our_dups), (base, base_dups) = figures["digest"], figures["baseline"]
    stored = args.sources * args.items
    print(
        f"store {stored} new articles from {args.sources} sources against {args.recent} "
        "recent titles (SQLite)"
    )
    for label, seconds, duplicates in (
        ("digest   (titles read once per run)", ours, our_dups),
        ("baseline (titles read for each source)", base, base_dups),
    ):
        print(f"  {label:40} {seconds:8.2f} s  {duplicates} duplicates flagged")
    print(f"  baseline / digest: {base / ours:.1f}x")
    if our_dups != base_dups:
        raise SystemExit("the two runs flagged different duplicates: the comparison is void")


if __name__ == "__main__":
    main()
