"""The front page of an issue: which story leads it, and the sections that follow without it."""

from __future__ import annotations

from collections.abc import Sequence

from digest.editorial.curate import Section, Story


def leading(shown: Sequence[int], chosen: int | None = None) -> int | None:
    """The rule for which article leads, given the ids in the order the email shows them: the
    one the editor chose while it is in the issue, else the first; None without any. A chosen
    story no longer in the issue (taken out, or not in a reader's topics) leads no more."""
    if chosen is not None and chosen in shown:
        return chosen
    return next(iter(shown), None)


def lead_story(sections: Sequence[Section], lead_article_id: int | None = None) -> Story | None:
    """The story that leads these sections (`leading`); None without stories."""
    stories = [story for section in sections for story in section.stories]
    lead = leading([story.id for story in stories], lead_article_id)
    return next((story for story in stories if story.id == lead), None)


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
