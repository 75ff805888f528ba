"""collection fixes: sources.configured_url filled, GUIDs scoped by their site, articles.url
indexed

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 00:00:00
"""

from collections.abc import Sequence
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 0007 added the column without filling it: a source created before then has none.
    op.execute("UPDATE sources SET configured_url = url WHERE configured_url IS NULL")
    _rescope_guids(scoped=True)
    op.create_index("ix_articles_url", "articles", ["url"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_articles_url", table_name="articles")
    _rescope_guids(scoped=False)


def _rescope_guids(*, scoped: bool) -> None:
    """A GUID that is not an http(s) URL is now known as guid:{host}:{guid}, the host being
    its source's configured one (digest.collect.identity): stored articles are renamed so
    that their feeds' items are still recognised. Written out here, as it is at 0009."""
    bind = op.get_bind()
    sources = bind.execute(sa.text("SELECT id, configured_url, url FROM sources")).all()
    # Only GUID identities can collide with a renamed one (both start "guid:").
    taken = set(
        bind.execute(
            sa.text("SELECT identity FROM articles WHERE identity LIKE 'guid:%'")
        ).scalars()
    )
    for source_id, configured_url, url in sources:
        location = configured_url or url or ""
        scope = f"guid:{_host(location) or location.lower()}:"
        rows = bind.execute(
            sa.text(
                "SELECT id, identity FROM articles"
                " WHERE source_id = :source AND identity LIKE 'guid:%'"
            ),
            {"source": source_id},
        ).all()
        for article_id, identity in rows:
            if scoped:
                guid = identity[len("guid:") :]
                if _host(guid) and guid.lower().startswith(("http://", "https://")):
                    continue
                renamed = f"{scope}{guid}"[:512]
            elif identity.startswith(scope):
                renamed = "guid:" + identity[len(scope) :]
            else:
                continue
            if renamed in taken:
                continue  # another site's article holds it: this one is left as it was
            taken.discard(identity)
            taken.add(renamed)
            bind.execute(
                sa.text("UPDATE articles SET identity = :identity WHERE id = :id"),
                {"identity": renamed, "id": article_id},
            )


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
