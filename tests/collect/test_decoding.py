"""decode_html: a page's bytes read as a browser reads them (WHATWG encoding sniffing)."""

from __future__ import annotations

import pytest

from digest.collect.decoding import PRESCAN_BYTES, decode_html, meta_charset

TITLE = "Zinder : la coopérative rouvre"


def test_a_meta_charset_after_a_non_ascii_title_byte_is_obeyed() -> None:
    body = f"<html><head><title>{TITLE}</title><meta charset=utf-8></head>".encode()
    decoded = decode_html(body)
    assert (decoded.encoding, decoded.source) == ("utf-8", "meta")
    assert TITLE in decoded.text


def test_the_bom_wins_over_the_http_charset_and_the_meta() -> None:
    body = "\ufeff<meta charset=windows-1251><p>café</p>".encode()
    decoded = decode_html(body, "text/html; charset=iso-8859-1")
    assert (decoded.encoding, decoded.source) == ("utf-8", "bom")
    assert "café" in decoded.text and "\ufeff" not in decoded.text


def test_the_http_charset_wins_over_the_meta() -> None:
    body = "<meta charset=utf-8><p>Привет</p>".encode("windows-1251")
    decoded = decode_html(body, 'text/html; charset="windows-1251"')
    assert (decoded.encoding, decoded.source) == ("windows-1251", "http")
    assert "Привет" in decoded.text


@pytest.mark.parametrize("label", ["latin1", "ISO-8859-1", "ascii", "us-ascii", "cp1252"])
def test_latin1_labels_mean_windows_1252_as_in_browsers(label: str) -> None:
    # 0x93/0x94 are curly quotes in windows-1252 and C1 controls in ISO-8859-1.
    decoded = decode_html(b"<p>\x93quoted\x94 caf\xe9</p>", f"text/html; charset={label}")
    assert decoded.encoding == "windows-1252"
    assert "“quoted” café" in decoded.text


def test_an_unknown_http_label_is_ignored_for_the_meta() -> None:
    body = "<meta http-equiv='Content-Type' content='text/html; charset=koi8-r'>Мир".encode(
        "koi8-r"
    )
    decoded = decode_html(body, "text/html; charset=no-such-thing")
    assert (decoded.encoding, decoded.source) == ("koi8-r", "meta")
    assert decoded.text.endswith("Мир")


def test_the_prescan_reads_only_the_first_1024_bytes_and_skips_comments() -> None:
    late = b"<p>" + b"x" * PRESCAN_BYTES + b"</p><meta charset=windows-1251>"
    assert meta_charset(late[:PRESCAN_BYTES]) is None
    assert meta_charset(b"<!-- <meta charset=koi8-r> --><meta charset='gbk'>") == "gbk"


@pytest.mark.parametrize(
    ("label", "name"), [("utf-16", "utf-8"), ("x-user-defined", "windows-1252")]
)
def test_meta_labels_the_standard_overrides(label: str, name: str) -> None:
    assert meta_charset(f'<meta charset="{label}">'.encode()) == name


def test_undeclared_bytes_are_detected_utf8_first() -> None:
    assert decode_html("<p>naïve</p>".encode()).encoding == "utf-8"
    russian = ("<p>" + "Московская область получила новые автобусы. " * 20 + "</p>").encode(
        "windows-1251"
    )
    decoded = decode_html(russian)
    assert decoded.source == "detected"
    assert "Московская область" in decoded.text
