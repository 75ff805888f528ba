"""The issue's layout as the editor arranges it: sections, stories inside them, edited text."""

from __future__ import annotations

import pytest

from digest.editorial.compose import Entry
from digest.editorial.curate import Story
from digest.editorial.layout import (
    arranged,
    edited_story,
    move_section,
    move_to_section,
    move_within,
    section_names,
    story_edit,
)
from digest.errors import DigestError

NORTH, WEST = "Northern Africa", "West Africa"
ENTRIES = (Entry(1, NORTH), Entry(2, NORTH), Entry(3, WEST), Entry(4, WEST))


def ids(entries: tuple[Entry, ...]) -> list[int]:
    return [e.article_id for e in entries]


def test_entries_are_grouped_by_section_in_the_chosen_order() -> None:
    scattered = (Entry(3, WEST), Entry(1, NORTH), Entry(4, WEST), Entry(2, NORTH))
    assert ids(arranged(scattered)) == [3, 4, 1, 2]  # as the sections first appear
    assert ids(arranged(scattered, [NORTH])) == [1, 2, 3, 4]
    assert section_names(scattered, ["Gone", NORTH]) == [NORTH, WEST]  # unknown names ignored


def test_a_story_moves_inside_its_section() -> None:
    assert ids(move_within(ENTRIES, (), 4, -1)) == [1, 2, 4, 3]
    assert ids(move_within(ENTRIES, (), 1, +1)) == [2, 1, 3, 4]
    assert ids(move_within(ENTRIES, (), 4, -100)) == [1, 2, 4, 3]  # to the top of its section


@pytest.mark.parametrize(("article_id", "offset", "edge"), [(3, -1, "first"), (2, +1, "last")])
def test_moving_past_a_sections_edge_is_refused_not_faked(
    article_id: int, offset: int, edge: str
) -> None:
    # The email groups stories by section: a story "moved up" out of its section would show
    # exactly where it was. Say so, and say how to move it to another section.
    with pytest.raises(DigestError, match=f"already the {edge} of its section") as raised:
        move_within(ENTRIES, (), article_id, offset)
    assert "Move to section" in (raised.value.hint or "")


def test_a_story_moves_to_another_or_a_new_section() -> None:
    moved = move_to_section(ENTRIES, (), 1, "  West   Africa ")
    assert moved == (Entry(2, NORTH), Entry(3, WEST), Entry(4, WEST), Entry(1, WEST))
    new = move_to_section(ENTRIES, (), 3, "Opinion")
    assert section_names(new) == [NORTH, WEST, "Opinion"] and ids(new)[-1] == 3
    with pytest.raises(DigestError, match="needs a name"):
        move_to_section(ENTRIES, (), 3, "   ")


def test_sections_move_up_and_down() -> None:
    assert move_section(ENTRIES, (), WEST, -1) == [WEST, NORTH]
    assert ids(arranged(ENTRIES, [WEST, NORTH])) == [3, 4, 1, 2]
    with pytest.raises(DigestError, match="already the first"):
        move_section(ENTRIES, (), NORTH, -1)
    with pytest.raises(DigestError, match="no section"):
        move_section(ENTRIES, (), "Sports", 1)


def test_an_edit_replaces_only_what_the_editor_wrote() -> None:
    story = Story(7, "Collected title", "https://x.example/7", NORTH, (), 3, "Collected.", None)
    assert edited_story(story, None) is story
    assert edited_story(story, {"title": "Better title"}).summary == "Collected."
    assert edited_story(story, {"summary": "Shorter."}).title == "Collected title"
    assert story_edit("  A   title ", " \r\nA summary.\r\n") == {
        "title": "A title",
        "summary": "A summary.",
    }
    assert story_edit(" ", "") == {}  # blank: back to the collected ones
    with pytest.raises(DigestError, match="at most 300"):
        story_edit("x" * 301, "")


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x9b"])
def test_an_edited_title_with_a_control_character_is_refused(control: str) -> None:
    with pytest.raises(DigestError, match=r"title holds a control character \(U\+00[0-9A-F]{2}\)"):
        story_edit(f"Ports{control} reopen", "")
    # Arabic marks and joiners are letters' business, not controls.
    assert story_edit("\u200fالموانئ\u200d", "")["title"] == "\u200fالموانئ\u200d"
