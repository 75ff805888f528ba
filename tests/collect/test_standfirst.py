"""The standfirst put back above an article: which block is one, and which is not
(tests/collect/causes/standfirst-above-body.html is the whole page)."""

from __future__ import annotations

import lxml.html

from digest.collect.standfirst import with_standfirst

DEK = "The council will vote on the new harbour tariff before the end of the month."
BODY = "Fishermen asked the council on Monday to keep the old tariff for small boats."


def page(description: str, body: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(
        f'<html><head><meta property="og:description" content="{description}"></head>'
        f"<body>{body}</body></html>"
    )


def test_the_description_shown_under_the_headline_goes_first() -> None:
    tree = page(DEK, f"<h1>Tariff vote</h1><p class='dek'>{DEK}</p><div><p>{BODY}</p></div>")
    assert with_standfirst(tree, BODY) == f"{DEK}\n{BODY}"


def test_the_same_text_above_the_headline_is_a_tagline_and_stays_out() -> None:
    tree = page(DEK, f"<p class='tagline'>{DEK}</p><h1>Tariff vote</h1><p>{BODY}</p>")
    assert with_standfirst(tree, BODY) == BODY


def test_a_standfirst_after_the_first_kept_paragraph_or_already_kept_is_not_added() -> None:
    after = page(DEK, f"<h1>Tariff vote</h1><p>{BODY}</p><p>{DEK}</p>")
    assert with_standfirst(after, BODY) == BODY
    kept = page(DEK, f"<h1>Tariff vote</h1><p>{DEK}</p><p>{BODY}</p>")
    assert with_standfirst(kept, f"{DEK}\n{BODY}") == f"{DEK}\n{BODY}"


def test_a_description_only_in_the_head_or_in_a_link_is_not_shown_as_a_standfirst() -> None:
    head_only = page(DEK, f"<h1>Tariff vote</h1><p>{BODY}</p>")
    assert with_standfirst(head_only, BODY) == BODY
    linked = page(DEK, f"<h1>Tariff vote</h1><a href='/x'><span>{DEK}</span></a><p>{BODY}</p>")
    assert with_standfirst(linked, BODY) == BODY
