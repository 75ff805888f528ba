"""split_sentences and lead_summary: whole sentences, abbreviations and quotes survive."""

from __future__ import annotations

import pytest

from digest.editorial.reading_time import count_words
from digest.editorial.summarise import lead_summary, split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "Mr. Yao owns the ferry. He bought a second boat.",
            ["Mr. Yao owns the ferry.", "He bought a second boat."],
        ),
        (
            "Mrs. Diarra and Dr. Sangaré met Ms. Keïta. They agreed.",
            ["Mrs. Diarra and Dr. Sangaré met Ms. Keïta.", "They agreed."],
        ),
        (
            "Buyers in the U.S. asked for traceability first. Price came second.",
            ["Buyers in the U.S. asked for traceability first.", "Price came second."],
        ),
        (
            "The U.S. Treasury and the U.K. Foreign Office replied. Nobody else did.",
            ["The U.S. Treasury and the U.K. Foreign Office replied.", "Nobody else did."],
        ),
        (
            "Gen. Mahamat visited the base. Troops paraded.",
            ["Gen. Mahamat visited the base.", "Troops paraded."],
        ),
        (
            "Prices rose 3.5 percent in March. Exports rose 18.5% over 10.2 months.",
            ["Prices rose 3.5 percent in March.", "Exports rose 18.5% over 10.2 months."],
        ),
        (
            "The letter was signed by John F. Kennedy. It was kept.",
            ["The letter was signed by John F. Kennedy.", "It was kept."],
        ),
        (
            "Is the port open? Yes! It opened on Monday.",
            ["Is the port open?", "Yes!", "It opened on Monday."],
        ),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_split_sentences_closing_quotes_stay_with_their_sentence() -> None:
    text = "“The ship is faster now,” he said. “The truck is not.” Traders agreed."

    assert split_sentences(text) == [
        "“The ship is faster now,” he said.",
        "“The truck is not.”",
        "Traders agreed.",
    ]


def test_split_sentences_straight_quotes() -> None:
    text = 'He said "We are ready." Then he left.'

    assert split_sentences(text) == ['He said "We are ready."', "Then he left."]


def test_split_sentences_french_guillemets() -> None:
    text = "«Nous restons ici,» dit M. Traoré. «La mer est à nous.» Elle est partie."

    assert split_sentences(text) == [
        "«Nous restons ici,» dit M. Traoré.",
        "«La mer est à nous.»",
        "Elle est partie.",
    ]


def test_split_sentences_french_guillemets_with_inner_spaces() -> None:
    # French typography puts a (narrow) no-break space inside the guillemets.
    text = (
        "Le ministre a parlé. «\u202fLe pays est prêt.\u202f» Le public a applaudi. « Enfin. » Fin."
    )

    assert split_sentences(text) == [
        "Le ministre a parlé.",
        "« Le pays est prêt. »",
        "Le public a applaudi.",
        "« Enfin. »",
        "Fin.",
    ]


def test_split_sentences_paragraphs_always_end_a_sentence() -> None:
    text = "A headline without a stop\n\nThe first sentence. The second one\n\nlower case start."

    assert split_sentences(text) == [
        "A headline without a stop",
        "The first sentence.",
        "The second one",
        "lower case start.",
    ]


def test_split_sentences_normalises_whitespace() -> None:
    assert split_sentences("  The   ferry\nruns.   It is full.  ") == [
        "The ferry runs.",
        "It is full.",
    ]


def test_split_sentences_of_nothing() -> None:
    assert split_sentences("") == []
    assert split_sentences("\n\n  \n\n") == []


ARTICLE = (
    "The free-zone port of Misrata reopened its container terminal on Thursday. "
    "Its chief executive, Mr. Tarek Shaladi, said two shipping lines had scheduled calls. "
    "The upgrade cost an estimated $185 million, according to the port authority. "
    "Clearance times fell from 9.5 days to about four days during trials in October.\n\n"
    "Traders welcomed the reopening but warned that the port alone would not lower prices."
)


@pytest.mark.parametrize("budget", [11, 12, 20, 25, 30, 45, 60, 200])
def test_lead_summary_is_whole_sentences_within_the_budget(budget: int) -> None:
    sentences = split_sentences(ARTICLE)

    summary = lead_summary(ARTICLE, "Misrata port reopens", budget)

    assert count_words(summary) <= budget
    # Whole sentences from the start, in order: the summary is a prefix of the sentence list.
    taken = [s for i, s in enumerate(sentences) if " ".join(sentences[: i + 1]) in summary]
    assert summary == " ".join(taken)
    assert summary.endswith(".")
    assert summary.startswith("The free-zone port of Misrata")


def test_lead_summary_takes_as_many_sentences_as_fit() -> None:
    first_two = count_words(" ".join(split_sentences(ARTICLE)[:2]))

    summary = lead_summary(ARTICLE, "", first_two)

    assert summary == (
        "The free-zone port of Misrata reopened its container terminal on Thursday. "
        "Its chief executive, Mr. Tarek Shaladi, said two shipping lines had scheduled calls."
    )
    assert lead_summary(ARTICLE, "", first_two - 1) == split_sentences(ARTICLE)[0]


def test_lead_summary_does_not_stop_at_abbreviations_or_decimals() -> None:
    summary = lead_summary(ARTICLE, "", 60)

    assert "Mr. Tarek Shaladi, said two shipping lines had scheduled calls." in summary
    assert "from 9.5 days to about four days during trials in October." in summary


def test_lead_summary_skips_the_title_when_the_text_repeats_it() -> None:
    title = "Misrata port reopens its deep-water terminal"
    text = f"{title}\n\n{ARTICLE}"

    summary = lead_summary(text, title, 30)

    assert title not in summary
    assert summary.startswith("The free-zone port of Misrata")


@pytest.mark.parametrize(
    "repeated",
    [
        "MISRATA PORT REOPENS ITS DEEP-WATER TERMINAL.",
        "Misrata  port reopens its\ndeep-water terminal",
    ],
)
def test_lead_summary_skips_the_title_whatever_its_case_spaces_or_stop(repeated: str) -> None:
    title = "Misrata port reopens its deep-water terminal"

    summary = lead_summary(f"{repeated}\n\n{ARTICLE}", title, 30)

    assert summary.startswith("The free-zone port of Misrata")
    assert "deep-water terminal" not in summary.casefold()


def test_lead_summary_cuts_a_first_sentence_longer_than_the_budget_at_a_word() -> None:
    long_sentence = " ".join(["word"] * 80) + "."

    summary = lead_summary(long_sentence, "", 60)

    assert summary == " ".join(["word"] * 60) + "…"
    assert count_words(summary) == 60


def test_lead_summary_cut_does_not_end_on_punctuation() -> None:
    text = "One, two, three, four, five, six, seven, eight, nine, ten, eleven."

    assert lead_summary(text, "", 5) == "One, two, three, four, five…"


def test_lead_summary_of_empty_text_is_empty() -> None:
    assert lead_summary("", "Title", 60) == ""
