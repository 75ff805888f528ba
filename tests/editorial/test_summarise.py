"""split_sentences and lead_summary: whole sentences, abbreviations and quotes survive."""

from __future__ import annotations

import pytest

from digest.editorial.reading_time import count_words
from digest.editorial.summarise import (
    ExtractiveSummariser,
    Summariser,
    Summary,
    SummaryRequest,
    extractive_summary,
    is_boilerplate,
    lead_summary,
    split_sentences,
)


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


# ----------------------------------------------------------------------------- extractive

SEED_SHAPED = (
    "Home › Northern Africa\n\n"
    "Rabat and Nouakchott sign a fisheries cooperation pact\n\n"
    "(3 minutes read) (Global ties)\n\n"
    "By Youssef Benali\n\n"
    "Morocco and Mauritania signed a fisheries cooperation agreement in Rabat on Tuesday, "
    "opening each other's waters to licensed coastal fleets for five years\n\n"
    "Morocco and Mauritania signed a fisheries cooperation agreement in Rabat on Tuesday, "
    "opening each other's waters to licensed coastal fleets for five years.\n\n"
    "The agreement sets joint quotas for sardine and octopus and creates a shared patrol "
    "of 12 vessels. Mr. Ould Cheikh, Mauritania's fisheries minister, said the quotas would "
    "be reviewed every year.\n\n"
    "Read Also:\n\n"
    "Click here to subscribe to our weekly newsletter.\n\n"
    "Photo credit: Ministry of Fisheries\n\n"
    "Fishermen's unions in Nouadhibou welcomed the patrols but asked for fuel subsidies. "
    "Prices at the Agadir fish market fell by 4.5% after the announcement.\n\n"
    "0 Comments\n\nSubscribe"
)
TITLE = "Rabat and Nouakchott sign a fisheries cooperation pact"


def summary_of(text: str = SEED_SHAPED, **changes: object) -> Summary:
    values: dict[str, object] = {"title": TITLE, "text": text, "word_budget": 60}
    values.update(changes)
    return extractive_summary(SummaryRequest(**values))  # type: ignore[arg-type]


def test_extractive_summary_leaves_out_boilerplate_title_and_repeats() -> None:
    summary = summary_of()

    assert summary.method == "extractive"
    for noise in ("Home", "minutes read", "By Youssef", "Read Also", "Click here", "Photo"):
        assert noise not in summary.text
    assert TITLE not in summary.text
    assert summary.text.count("signed a fisheries cooperation agreement") == 1
    assert count_words(summary.text) <= 60
    assert summary.text.endswith(".")


@pytest.mark.parametrize("budget", [10, 15, 20, 25, 30, 40, 60, 100])
def test_extractive_summary_is_whole_sentences_in_order_within_the_budget(budget: int) -> None:
    summary = summary_of(word_budget=budget)
    sentences = split_sentences(SEED_SHAPED)

    assert count_words(summary.text) <= budget
    if "…" in summary.text:
        # Only when not one sentence fits: the best one cut at a word, and marked as cut.
        real = [s for s in sentences if s.endswith(".") and not is_boilerplate(s)]
        assert all(count_words(s) > budget for s in real)
        assert summary.text.removesuffix("…") in " ".join(real)
        return
    chosen = split_sentences(summary.text)
    assert all(s in sentences for s in chosen)
    positions = [sentences.index(s) for s in chosen]
    assert positions == sorted(positions)


def test_extractive_summary_respects_the_sentence_cap() -> None:
    assert len(split_sentences(summary_of(max_sentences=1).text)) == 1
    assert len(split_sentences(summary_of(max_sentences=2, word_budget=200).text)) == 2


def test_extractive_summary_prefers_the_lead_and_central_sentences() -> None:
    text = (
        "The central bank of Ghana raised its policy rate to 29 percent on Monday. "
        "The bank said the rate rise should slow inflation, which reached 40 percent. "
        "A football match was postponed. "
        "The weather in Accra was warm and dry. "
        "Economists expect the bank to keep the rate at 29 percent until inflation slows."
    )

    summary = summary_of(text, title="Ghana raises its policy rate", word_budget=40)

    assert summary.text == (
        "The central bank of Ghana raised its policy rate to 29 percent on Monday. "
        "The bank said the rate rise should slow inflation, which reached 40 percent."
    )


def test_extractive_summary_never_repeats_a_sentence_said_again() -> None:
    text = (
        "Dakar's new bus line opened on Monday with 120 electric buses. "
        "Dakar's new bus line opened on Monday, with 120 electric buses! "
        "Commuters said the trip to the airport now takes forty minutes."
    )

    summary = summary_of(text, title="Dakar bus line opens", word_budget=60)

    assert summary.text.count("bus line opened") == 1


def test_extractive_summary_uses_a_clean_feed_description() -> None:
    clean = "Morocco and Mauritania open their waters to each other's coastal fleets."

    assert summary_of(feed_description=clean) == Summary(clean, "feed")
    for unusable in (
        "Morocco and Mauritania open their waters to…",  # cut short
        "Morocco and Mauritania open their waters [...]",
        "Click here to read how Morocco and Mauritania open their waters.",  # boilerplate
        TITLE + ".",  # the title again
        "Fisheries pact signed.",  # too short to be a summary
        " ".join(["Morocco and Mauritania open their waters."] * 12),  # over the budget
        "A fisheries pact between Morocco and Mauritania, opening waters to fleets",  # no stop
    ):
        assert summary_of(feed_description=unusable).method == "extractive", unusable


def test_extractive_summary_of_text_without_sentences_is_the_cut_lead() -> None:
    assert summary_of("").text == ""
    heading_only = "A long heading without any stop " * 10
    summary = summary_of(heading_only, word_budget=12)
    assert summary.text.endswith("…") and count_words(summary.text) <= 12


def test_extractive_summariser_is_a_summariser() -> None:
    import asyncio

    summariser: Summariser = ExtractiveSummariser()
    requests = [SummaryRequest(TITLE, SEED_SHAPED), SummaryRequest("Empty", "")]

    assert asyncio.run(summariser.summarise(requests)) == [extractive_summary(r) for r in requests]


@pytest.mark.parametrize(
    "sentence",
    [
        "By Amina Kettani",
        "Read Also: Dakar hub grows",
        "READ MORE: the port reopens",
        "Lire aussi : le port rouvre",
        "Click here to subscribe.",
        "Subscribe to our newsletter for more.",
        "Photo: Reuters/Ahmed Jallanzo",
        "Photo credit: Ministry of Energy",
        "(3 minutes read)",
        "© 2026 Maghreb Dispatch. All rights reserved.",
        "Abonnez-vous à notre lettre.",
    ],
)
def test_boilerplate_sentences(sentence: str) -> None:
    assert is_boilerplate(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "By Tuesday the port had reopened to container ships from Europe and Asia.",
        "Photographers gathered at the port.",
        "The minister said subscribers to the scheme would pay less.",
    ],
)
def test_not_boilerplate(sentence: str) -> None:
    assert not is_boilerplate(sentence)


def test_extractive_summary_of_chinese_text() -> None:
    text = (
        "在美国旧金山举行的中美元首会晤吸引了全世界的目光。"
        "多名外国专家告诉记者，中美元首会晤有利于合作。"
        "今天天气很好。"
    )

    summary = summary_of(text, title="中美元首会晤", word_budget=30)

    # Sentences end at 。 and are joined as written, without a space; each character pair
    # counts as a word when sentences are compared, so the unrelated weather is left out.
    assert summary.text == (
        "在美国旧金山举行的中美元首会晤吸引了全世界的目光。多名外国专家告诉记者，中美元首会晤有利于合作。"
    )


# Arabic and French: summaries end on a whole sentence --------------------------------------

ARABIC_ARTICLE = (
    "وقعت الرباط ودكار يوم الثلاثاء مذكرة تفاهم لإنتاج الهيدروجين الأخضر وتصديره عبر ميناء "
    "طنجة المتوسط، في خطوة يقول المسؤولون إنها ستخلق آلاف الوظائف في البلدين خلال العقد "
    "المقبل. هل يستطيع البلدان تمويل المشروع وحدهما دون قروض خارجية؟ يقول وزير الطاقة "
    "المغربي إن ثلث التمويل سيأتي من صناديق سيادية، وإن الباقي سيُطرح على مستثمرين من القطاع "
    "الخاص في بداية العام المقبل. وسيتدرب مهندسون من البلدين معًا في معهد جديد بمدينة "
    "الداخلة ابتداءً من شهر مارس، على أن يتخرج الفوج الأول بعد عامين من التكوين."
)


def test_an_arabic_summary_ends_on_a_whole_sentence() -> None:
    summary = extractive_summary(
        SummaryRequest(title="مذكرة الهيدروجين", text=ARABIC_ARTICLE, language="ar")
    ).text
    assert summary.startswith("وقعت الرباط ودكار")
    assert summary.endswith(("؟", "."))
    assert "…" not in summary
    sentences = split_sentences(summary, "ar")
    assert len(sentences) == 2
    assert all(sentence in ARABIC_ARTICLE for sentence in sentences)


def test_a_french_summary_ends_on_a_whole_sentence() -> None:
    text = (
        "Les riziculteurs de Ségou passent au pompage solaire, après trois saisons de gasoil "
        "trop cher et de pannes à répétition sur les vieux moteurs. « Le gasoil coûtait plus "
        "que la récolte », dit M. Traoré, qui cultive quatre hectares près du fleuve. Quelque "
        "340 exploitants irriguent désormais au solaire, selon la chambre d’agriculture, qui "
        "en attend le double l’an prochain. Les banques locales suivent."
    )
    summary = extractive_summary(SummaryRequest(title="Ségou", text=text, language="fr")).text
    assert summary.startswith("Les riziculteurs de Ségou")
    assert summary.endswith(".")
    assert "…" not in summary


@pytest.mark.parametrize("line", ["اقرأ أيضا: المغرب يوقع اتفاقية", "إقرأ المزيد"])
def test_an_arabic_read_also_line_is_boilerplate(line: str) -> None:
    assert is_boilerplate(line)
