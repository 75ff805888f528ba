"""The front page of an issue: which story leads it, and the sections that follow without it."""

from __future__ import annotations

from collections.abc import Sequence

from digest.editorial.curate import Section, Story


def lead_story(sections: Sequence[Section], lead_article_id: int | None = None) -> Story | None:
    """The story the editor chose to lead with, else the issue's first; None without stories.
    A chosen story no longer in the issue (taken out, or not in a reader's topics) leads no
    more: the first does."""
    stories = [story for section in sections for story in section.stories]
    chosen = [story for story in stories if story.id == lead_article_id]
    return next(iter(chosen or stories), None)


def front_page(
    sections: Sequence[Section], lead_article_id: int | None = None
) -> tuple[Story | None, tuple[Section, ...]]:
    """(the lead, the sections without it): a section whose only story leads is dropped."""
    lead = lead_story(sections, lead_article_id)
    rest = (
        Section(section.region, tuple(s for s in section.stories if s is not lead))
        for section in sections
    )
    return lead, tuple(section for section in rest if section.stories)
