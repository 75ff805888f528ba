"""The page's own line breaks inside text read as spaces, preformatted text left as it is
(tests/collect/causes/wrapped-source-lines.html: a whole page whose paragraphs came out cut
at them)."""

from __future__ import annotations

import time

import lxml.html

from digest.collect.source_lines import join_source_lines


def test_a_wrapped_paragraph_reads_as_one_line_and_br_and_pre_keep_theirs() -> None:
    tree = lxml.html.document_fromstring(
        "<html><body><p>The ferry left\n   at noon, <b>late\n</b>\n again,<i>x</i>\n<i>y</i></p>"
        "<p>First line<br>second line</p><pre>a = 1\nb = 2</pre></body></html>"
    )
    join_source_lines(tree)
    first, second = tree.iter("p")
    assert "\n" not in first.text_content()
    assert " ".join(first.text_content().split()) == "The ferry left at noon, late again,x y"
    assert [br.tag for br in second] == ["br"]
    assert next(tree.iter("pre")).text == "a = 1\nb = 2"


def test_code_set_out_of_a_pre_keeps_its_lines() -> None:
    tree = lxml.html.document_fromstring(
        "<html><body><div class=highlight><code>def f(x):\n    return x + 1\nprint(f(2))"
        "</code></div><p>Call <code>f</code>\nwith two.</p></body></html>"
    )
    join_source_lines(tree)
    assert next(tree.iter("code")).text == "def f(x):\n    return x + 1\nprint(f(2))"
    assert "\n" not in next(tree.iter("p")).text_content()


def test_a_break_between_two_wide_characters_is_no_space_and_korean_keeps_its_space() -> None:
    # CSS Text 3's segment break rules: Chinese and Japanese are written without spaces, so
    # a break wrapped into the source between two of their characters disappears.
    tree = lxml.html.document_fromstring(
        "<html><body><p>東京の電車は\n  時間通りに来る。</p><p>서울의 지하철은\n빠르다</p>"
        "<p>東京 Tower\nis tall, 東京\nTower</p></body></html>"
    )
    join_source_lines(tree)
    japanese, korean, mixed = (p.text for p in tree.iter("p"))
    assert japanese == "東京の電車は時間通りに来る。"
    assert korean == "서울의 지하철은 빠르다"
    assert mixed == "東京 Tower is tall, 東京 Tower"


def test_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    # A hostile page: one text node of spaces not ending in a line break, with one elsewhere.
    # Matched from every space, the search backtracked over the rest of the run each time:
    # 40,000 spaces took about 10 s, 60,000 took 25 s (and a page may hold 5 MB).
    tree = lxml.html.document_fromstring(f"<html><body><p>{' ' * 40_000}x\ny</p></body></html>")
    started = time.process_time()
    join_source_lines(tree)
    assert time.process_time() - started < 1.0
    assert next(tree.iter("p")).text == " " * 40_000 + "x y"


def test_halfwidth_hangul_keeps_its_space() -> None:
    tree = lxml.html.document_fromstring("<html><body><p>ﾡﾢ\nﾣﾤ</p></body></html>")
    join_source_lines(tree)
    assert next(tree.iter("p")).text == "ﾡﾢ ﾣﾤ"


def test_whitespace_alone_between_elements_is_left_as_it_is() -> None:
    # Text that is only whitespace (the source's indentation between tags) shows as nothing
    # whether it holds a line break or a space, so it is no line to join: left untouched,
    # the tree trafilatura reads keeps the page's own text lengths. Made one space, its
    # length ratios changed (a guard that counts whitespace in text_content() pruned an
    # article's second half on a real page where plain trafilatura kept it).
    tree = lxml.html.document_fromstring(
        "<html><body>\n  <div class=main>\n    <p>The ferry left\n  at noon.</p>\n"
        "    <aside>\n      <a href=/x>More</a>\n    </aside>\n  </div>\n</body></html>"
    )
    join_source_lines(tree)
    div = next(tree.iter("div"))
    paragraph, aside = div
    assert div.text == "\n    "
    assert paragraph.text == "The ferry left at noon."
    assert paragraph.tail == "\n    "
    assert aside.text == "\n      "
    assert next(aside.iter("a")).tail == "\n    "
    assert aside.tail == "\n  "
