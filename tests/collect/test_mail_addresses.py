"""Mailto links that show an address become text; those that show none stay links."""

from __future__ import annotations

import lxml.html

from digest.collect.mail_addresses import unlink_mail_addresses


def _unlinked(body: str) -> lxml.html.HtmlElement:
    tree = lxml.html.fromstring(f"<html><body>{body}</body></html>")
    unlink_mail_addresses(tree)
    return tree


def test_an_address_shown_as_a_link_becomes_its_text_with_its_markup() -> None:
    tree = _unlinked('<p><a href=" MAILTO:desk@news.example"><b>desk@news.example</b></a></p>')
    assert tree.xpath("//a") == []
    assert lxml.html.tostring(tree.find(".//p")) == b"<p><b>desk@news.example</b></p>"


def test_a_mailto_link_that_shows_no_address_stays_a_link() -> None:
    # An "Email" button outside any share bar, and a mailto link to a form of words.
    tree = _unlinked(
        '<p><a href="mailto:?subject=Read%20this">Email</a> '
        '<a href="mailto:desk@news.example">write to the desk</a></p>'
    )
    assert [a.text for a in tree.xpath("//a")] == ["Email", "write to the desk"]


def test_a_web_link_whose_text_holds_an_address_stays_a_link() -> None:
    tree = _unlinked('<p><a href="https://news.example/@desk">@desk on the site</a></p>')
    assert len(tree.xpath("//a")) == 1
