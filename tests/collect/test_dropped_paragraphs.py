"""Paragraphs the extractor dropped from among those it kept: which are put back, where, and
which stay out (tests/collect/causes/linked-lead-in-stream.html is the whole page)."""

from __future__ import annotations

import lxml.html

from digest.collect.dropped_paragraphs import restore_dropped_paragraphs

LEAD = (
    'The ferry company <a href="/a">told the council in March</a> that its two boats would '
    'run all winter, and <a href="/b">then withdrew one</a> in November without a word.'
)
SECOND = "Passengers from the islands waited three hours on the quay on Monday morning."
THIRD = "The council has asked the company to explain itself before its meeting on Friday."


def page(*paragraphs: str) -> lxml.html.HtmlElement:
    body = "".join(paragraphs)
    return lxml.html.document_fromstring(f"<html><body><div>{body}</div></body></html>")


def test_a_linked_lead_dropped_before_the_kept_paragraphs_is_put_back_first() -> None:
    tree = page(f"<p>{LEAD}</p>", f"<p>{SECOND}</p>", f"<p>{THIRD}</p>")
    restored = restore_dropped_paragraphs(tree, f"{SECOND}\n{THIRD}")
    assert restored.split("\n")[0].startswith("The ferry company told the council in March")
    assert restored.split("\n")[1:] == [SECOND, THIRD]


def test_a_paragraph_dropped_between_kept_ones_goes_back_in_its_place() -> None:
    tree = page(f"<p>{SECOND}</p>", f"<p>{LEAD}</p>", f"<p>{THIRD}</p>")
    restored = restore_dropped_paragraphs(tree, f"{SECOND}\n{THIRD}")
    assert [line[:20] for line in restored.split("\n")] == [
        SECOND[:20],
        "The ferry company to",
        THIRD[:20],
    ]


def test_paragraphs_cut_at_the_pages_line_breaks_are_found_as_kept() -> None:
    tree = page(f"<p>{LEAD}</p>", f"<p>{SECOND}</p>", f"<p>{THIRD}</p>")
    cut = SECOND.replace(" on the quay", "\non the quay")
    restored = restore_dropped_paragraphs(tree, f"{cut}\n{THIRD}")
    assert restored.count("The ferry company") == 1
    assert restored.endswith(f"{cut}\n{THIRD}")


def test_a_link_line_a_short_one_another_kind_a_script_or_an_embed_stay_out() -> None:
    promo = '<p>Read more: <a href="/c">the ferry company and its two boats over ten years</a></p>'
    caption = f'<p class="caption">{LEAD}</p>'
    ad = f"<p>Sponsored: {LEAD}<script>if (window.slots) {{ window.slots.push(1); }}</script></p>"
    embed = f'<p><iframe src="/v">{LEAD}</iframe></p>'
    tree = page(
        f"<p>{SECOND}</p>", promo, "<p>Advertisement</p>", caption, ad, embed, f"<p>{THIRD}</p>"
    )
    assert restore_dropped_paragraphs(tree, f"{SECOND}\n{THIRD}") == f"{SECOND}\n{THIRD}"


def test_nothing_is_put_back_beside_a_single_kept_paragraph() -> None:
    tree = page(f"<p>{LEAD}</p>", f"<p>{SECOND}</p>")
    assert restore_dropped_paragraphs(tree, SECOND) == SECOND
