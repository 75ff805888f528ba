"""A summary that carries no sentence of the article is left empty, never shown as is:
Hacker News's "Comments", reddit's "submitted by … [link] [959 comments]", markup."""

from __future__ import annotations

import pytest

from digest.collect.extract import html_to_text
from digest.editorial.summarise import SummaryRequest, carries_a_sentence, extractive_summary

# The descriptions these sites' feeds carry, in their shape.
HACKER_NEWS = '<a href="https://news.ycombinator.com/item?id=1">Comments</a>'
REDDIT = (
    '<table> <tr><td> <a href="https://www.reddit.com/r/pics/comments/a/x/">'
    '<img src="https://b.thumbs.redditmedia.com/a.jpg" alt="x" title="x" /> </a> </td><td>'
    ' &#32; submitted by &#32; <a href="https://www.reddit.com/user/someone"> /u/someone </a>'
    ' <br/> <span><a href="https://i.redd.it/a.jpg">[link]</a></span> &#32; <span>'
    '<a href="https://www.reddit.com/r/pics/comments/a/x/">[959 comments]</a></span>'
    " </td></tr></table>"
)
ESCAPED_TWICE = "&lt;p&gt;The council voted on Tuesday to close the old market.&lt;/p&gt;"


@pytest.mark.parametrize("fragment", [HACKER_NEWS, REDDIT, ESCAPED_TWICE])
def test_a_text_that_says_nothing_gives_an_empty_summary(fragment: str) -> None:
    text = html_to_text(fragment)
    assert not carries_a_sentence(text)
    request = SummaryRequest(title="Old market closes", text=text, feed_description=text)
    assert extractive_summary(request).text == ""


def test_a_short_real_sentence_is_still_a_summary() -> None:
    text = "The ferry to Lamu runs again from Monday"
    assert carries_a_sentence(text)
    assert extractive_summary(SummaryRequest(title="Ferry", text=text)).text == text
