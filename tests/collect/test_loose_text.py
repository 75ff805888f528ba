"""Bare text beside a container's blocks becomes a paragraph of its own; labels and link
lists stay as they are."""

from __future__ import annotations

import lxml.html

from digest.collect.loose_text import wrap_loose_text

SENTENCE = "The ferry line opened on Monday after three years of delays and many complaints."


def wrapped(body: str) -> str:
    tree = lxml.html.document_fromstring(f"<html><body>{body}</body></html>")
    wrap_loose_text(tree)
    return lxml.html.tostring(tree.body, encoding="unicode")


def test_a_containers_text_before_its_first_block_becomes_a_paragraph() -> None:
    got = wrapped(f"<div>{SENTENCE} <em>Ten</em> boats.<p>Next.</p></div>")
    assert got == f"<body><div><p>{SENTENCE} <em>Ten</em> boats.</p><p>Next.</p></div></body>"


def test_text_after_a_block_becomes_a_paragraph_in_its_place() -> None:
    got = wrapped(f"<div><p>First.</p><div>box</div>{SENTENCE}<p>Last.</p></div>")
    assert got == (
        f"<body><div><p>First.</p><div>box</div><p>{SENTENCE}</p><p>Last.</p></div></body>"
    )


def test_short_runs_and_link_lists_are_left_alone() -> None:
    links = " | ".join(f'<a href="/{n}">Story number {n} of the day</a>' for n in range(3))
    body = f"<div>Posted 14 March<p>Text.</p>{links}<p>More.</p></div>"
    assert wrapped(body) == f"<body>{body}</body>"


def test_a_container_of_text_alone_is_left_alone() -> None:
    body = f"<div>{SENTENCE} <b>{SENTENCE}</b></div>"
    assert wrapped(body) == f"<body>{body}</body>"
