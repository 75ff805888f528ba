"""An issue's layout as its editor arranges it: the sections in order, the stories in order
inside each, and each story's title and summary as edited.

The email shows the stories section by section, so an order is only ever an order of sections
and, inside each, of stories: every function here returns the entries grouped that way, which
is what the issue stores as its positions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from digest.collect.text import CONTROL
from digest.editorial.compose import Entry
from digest.editorial.curate import Story
from digest.errors import DigestError

# The longest title and summary an editor may write (the card has room for far less).
MAX_TITLE = 300
MAX_SUMMARY = 2000


def section_names(entries: Sequence[Entry], section_order: Sequence[str] = ()) -> list[str]:
    """The sections of the entries in the editor's order; those the order does not name follow,
    as their first stories come."""
    present = list(dict.fromkeys(entry.section for entry in entries))
    chosen = [name for name in dict.fromkeys(section_order) if name in present]
    return chosen + [name for name in present if name not in chosen]


def arranged(entries: Sequence[Entry], section_order: Sequence[str] = ()) -> tuple[Entry, ...]:
    """The entries section by section, in the sections' order; each keeps its place inside."""
    names = section_names(entries, section_order)
    return tuple(entry for name in names for entry in entries if entry.section == name)


def move_within(
    entries: Sequence[Entry], section_order: Sequence[str], article_id: int, offset: int
) -> tuple[Entry, ...]:
    """The story moved up (offset < 0) or down (> 0) inside its section, at most to its edge. A
    story already at that edge is an error naming the way to another section: moving it past
    the edge would change nothing in the email."""
    ordered = list(arranged(entries, section_order))
    entry = _find(ordered, article_id)
    siblings = [e for e in ordered if e.section == entry.section]
    index = siblings.index(entry)
    target = min(max(index + offset, 0), len(siblings) - 1)
    if target == index:
        edge = "first" if offset < 0 else "last"
        raise DigestError(
            f"this story is already the {edge} of its section {entry.section!r}",
            hint="choose another section for it in 'Move to section'",
        )
    a, b = ordered.index(siblings[index]), ordered.index(siblings[target])
    ordered[a], ordered[b] = ordered[b], ordered[a]
    return tuple(ordered)


def move_to_section(
    entries: Sequence[Entry], section_order: Sequence[str], article_id: int, section: str
) -> tuple[Entry, ...]:
    """The story moved to the end of another section (a new one if no story is in it yet,
    shown after the others)."""
    section = " ".join(section.split())
    if not section:
        raise DigestError("a section needs a name", hint="choose or type a section")
    if len(section) > 200:
        raise DigestError("a section's name is at most 200 characters", hint="shorten it")
    ordered = list(arranged(entries, section_order))
    entry = _find(ordered, article_id)
    ordered.remove(entry)
    ordered.append(Entry(entry.article_id, section))
    return arranged(ordered, section_names(list(arranged(entries, section_order))))


def move_section(
    entries: Sequence[Entry], section_order: Sequence[str], section: str, offset: int
) -> list[str]:
    """The sections' order with one section moved up (offset -1) or down (+1)."""
    names = section_names(entries, section_order)
    if section not in names:
        raise DigestError(f"this issue has no section {section!r}", hint="reload the page")
    index = names.index(section)
    target = index + offset
    if not 0 <= target < len(names):
        edge = "first" if offset < 0 else "last"
        raise DigestError(f"section {section!r} is already the {edge}", hint="nothing to move")
    names[index], names[target] = names[target], names[index]
    return names


def edited_story(story: Story, edit: Mapping[str, str] | None) -> Story:
    """The story with the editor's title and summary, where they wrote one."""
    if not edit:
        return story
    return replace(
        story,
        title=edit.get("title") or story.title,
        summary=edit.get("summary") or story.summary,
    )


def story_edit(title: str, summary: str) -> dict[str, str]:
    """An editor's title and summary, checked and tidied; a blank one keeps the collected one."""
    title = one_line(title, "title")
    summary = summary.replace("\r\n", "\n").strip()
    if len(title) > MAX_TITLE:
        raise DigestError(f"a title is at most {MAX_TITLE} characters", hint="shorten the title")
    if len(summary) > MAX_SUMMARY:
        raise DigestError(
            f"a summary is at most {MAX_SUMMARY} characters", hint="shorten the summary"
        )
    return {key: value for key, value in (("title", title), ("summary", summary)) if value}


def one_line(value: str, what: str) -> str:
    """An editor's line (a title, a subject) with its spaces collapsed. A control character
    (NUL, ESC…) is an error naming it: it would reach the Subject header, where a mail server
    refuses it. Marks and joiners (U+200F, U+200D) are not controls and stay."""
    line = " ".join(value.split())
    control = CONTROL.search(line)
    if control:
        raise DigestError(
            f"the {what} holds a control character (U+{ord(control.group()):04X})",
            hint=f"type the {what} again without it",
        )
    return line


def _find(entries: Sequence[Entry], article_id: int) -> Entry:
    for entry in entries:
        if entry.article_id == article_id:
            return entry
    raise DigestError(f"article {article_id} is not in this issue", hint="reload the page")
