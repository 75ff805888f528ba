"""Near-duplicate stories: alike in title and in content, never in title alone."""

from __future__ import annotations

from digest.collect.identity import TitleIndex, content_overlap, same_story

NOTES = (
    "Version {v} of the reporting service {c}, and the older clients keep working until the "
    "end of their support window. "
)


def notes(version: str, *changes: str) -> str:
    return "".join(NOTES.format(v=version, c=c) for c in changes) * 2


def test_titles_differing_in_a_version_number_are_not_near_identical() -> None:
    index = TitleIndex()
    index.add(1, "Announcing v201603 of the AdWords API")
    assert index.matches("Announcing v201605 of the AdWords API") == []
    assert index.matches("Announcing v201603 of the AdWords API!") == [1]


def test_a_short_title_alone_never_makes_a_duplicate() -> None:
    # Eleven tumblr posts titled "Photo": nothing but the title alike.
    assert not same_story("Photo", "", "Photo", "")
    assert not same_story("Photo", "A cat.", "Photo", "A dog.")


def test_texts_that_differ_make_distinct_stories_whatever_the_titles() -> None:
    a = notes("v201603", "adds bid simulators", "drops the old keyword fields")
    b = notes("v201605", "brings expanded text ads", "renames campaign labels")
    overlap = content_overlap(a, b)
    assert overlap is not None and overlap < 0.5
    assert not same_story("Announcing the new API", a, "Announcing the new API", b)


def test_the_same_text_or_its_teaser_makes_the_same_story() -> None:
    full = notes("v201603", "adds bid simulators", "drops the old keyword fields")
    assert same_story("Announcing v201603", full, "Announcing v201603!", "Update: " + full)
    teaser = " ".join(full.split()[:45])
    assert content_overlap(teaser, full) == 1.0


def test_long_equal_titles_without_text_to_compare_stay_duplicates() -> None:
    title = "Port of Misrata reopens its container terminal"
    assert same_story(title, "", title + "!", "Short teaser.")
    assert content_overlap("Short teaser.", "Short teaser.") is None


def test_short_texts_are_compared_as_titles_are() -> None:
    title = "Story number 0"
    teaser = "Paragraph 0 of story 0 says something new about the harbour economy."
    assert same_story(title, teaser, title + "!", teaser)
    assert not same_story(title, teaser, title + "!", teaser.replace("story 0", "story 9"))
