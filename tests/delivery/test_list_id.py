"""A list's List-Id (RFC 2919): slug and host, a dot-atom whatever newsletter.base_url is."""

from __future__ import annotations

import pytest

from digest.delivery.envelope import list_id_of
from digest.delivery.message import list_id_header


@pytest.mark.parametrize(
    ("base_url", "list_id"),
    [
        ("https://news.example.org", "weekly.news.example.org"),
        ("https://News.Example.org:8443/digest", "weekly.news.example.org"),
        # An internationalised domain: its A-label (IDNA 2008), as the mail's addresses have.
        ("https://actualités.example", "weekly.xn--actualits-i4a.example"),
        ("http://127.0.0.1:8000", "weekly.127.0.0.1"),
        # An IPv6 host has no dot-atom: its groups stand in for it.
        ("http://[::1]:8000", "weekly.1"),
        ("http://[2001:db8::7]", "weekly.2001-db8--7"),
    ],
)
def test_the_list_id_is_a_dot_atom_for_any_base_url(base_url: str, list_id: str) -> None:
    assert list_id_of("weekly", base_url) == list_id
    assert list_id_header("The Weekly", list_id_of("weekly", base_url)).endswith(f"<{list_id}>\r\n")
