"""split_sentences on the edge cases of news text, English and French: one row per case."""

from __future__ import annotations

import pytest

from digest.editorial.sentences import split_sentences

CASES = [
    # (what it shows, text, the sentences)
    (
        "titles",
        "Mr. Yao owns the ferry. He bought a boat.",
        ["Mr. Yao owns the ferry.", "He bought a boat."],
    ),
    (
        "ranks",
        "Gen. Mahamat and Col. Diop met Lt. Sow. They left.",
        ["Gen. Mahamat and Col. Diop met Lt. Sow.", "They left."],
    ),
    (
        "dotted country",
        "Buyers in the U.S. asked first. Price came second.",
        ["Buyers in the U.S. asked first.", "Price came second."],
    ),
    (
        "two dotted names",
        "The U.S. Treasury and the U.K. Foreign Office replied. Nobody else did.",
        ["The U.S. Treasury and the U.K. Foreign Office replied.", "Nobody else did."],
    ),
    (
        "middle initial",
        "It was signed by John F. Kennedy. It was kept.",
        ["It was signed by John F. Kennedy.", "It was kept."],
    ),
    (
        "decimals",
        "Prices rose 3.5 percent. Exports rose 18.5% in 10.2 months.",
        ["Prices rose 3.5 percent.", "Exports rose 18.5% in 10.2 months."],
    ),
    ("money", "It cost $1.2 billion. Nobody paid.", ["It cost $1.2 billion.", "Nobody paid."]),
    (
        "numbered",
        "He lives at No. 5 Harbour Road. It is blue.",
        ["He lives at No. 5 Harbour Road.", "It is blue."],
    ),
    (
        "month",
        "On Jan. 5 the port opened. Trade followed.",
        ["On Jan. 5 the port opened.", "Trade followed."],
    ),
    (
        "questions",
        "Is the port open? Yes! It opened on Monday.",
        ["Is the port open?", "Yes!", "It opened on Monday."],
    ),
    (
        "ellipsis",
        "They waited… Then the rain came. Nothing else...",
        ["They waited…", "Then the rain came.", "Nothing else..."],
    ),
    (
        "curly quotes",
        "“The ship is faster,” he said. “The truck is not.” Traders agreed.",
        ["“The ship is faster,” he said.", "“The truck is not.”", "Traders agreed."],
    ),
    (
        "straight quotes",
        'He said "We are ready." Then he left.',
        ['He said "We are ready."', "Then he left."],
    ),
    (
        "lower case after a stop",
        "The plan, approved in 2024 by the govt. assembly, stands. It works.",
        ["The plan, approved in 2024 by the govt. assembly, stands.", "It works."],
    ),
    (
        "brackets",
        "The port (opened in 1972.) is busy. Ships wait.",
        ["The port (opened in 1972.) is busy.", "Ships wait."],
    ),
    (
        "French titles",
        "M. Traoré et Mme Diallo ont parlé. Ils sont partis.",
        ["M. Traoré et Mme Diallo ont parlé.", "Ils sont partis."],
    ),
    (
        "French guillemets",
        "«Nous restons ici,» dit M. Traoré. «La mer est à nous.» Elle est partie.",
        ["«Nous restons ici,» dit M. Traoré.", "«La mer est à nous.»", "Elle est partie."],
    ),
    (
        "French spaced guillemets",
        "Le ministre a parlé. « Le pays est prêt. » Le public a applaudi.",
        ["Le ministre a parlé.", "« Le pays est prêt. »", "Le public a applaudi."],
    ),
    (
        "etc. ending a sentence",
        "Ils vendent du riz, du mil, etc. Bref, le marché vit. Du sel etc. aussi.",
        ["Ils vendent du riz, du mil, etc.", "Bref, le marché vit.", "Du sel etc. aussi."],
    ),
    (
        "Arabic: no capitals, the Arabic question mark",
        "وقعت الرباط ودكار مذكرة تفاهم. هل يتدرب المهندسون معًا؟ نعم، قال الوزير! وماذا بعد…",
        [
            "وقعت الرباط ودكار مذكرة تفاهم.",
            "هل يتدرب المهندسون معًا؟",
            "نعم، قال الوزير!",
            "وماذا بعد…",
        ],
    ),
    (
        "Arabic commas and abbreviations do not end a sentence",
        "قال د. محمد، وهو خبير، إن الوضع صعب. وأضاف أ.د. علي أن الأمر انتهى.",
        ["قال د. محمد، وهو خبير، إن الوضع صعب.", "وأضاف أ.د. علي أن الأمر انتهى."],
    ),
    (
        "Arabic quotes and digits",
        'ودعا إلى "ضبط النفس." وارتفعت الأسعار 3.5 بالمئة. ٢٠ شخصا غادروا.',
        ['ودعا إلى "ضبط النفس."', "وارتفعت الأسعار 3.5 بالمئة.", "٢٠ شخصا غادروا."],
    ),
    (
        "French era",
        "Fondée en 814 av. J.-C. par les Phéniciens, Carthage domina. Rome la détruisit.",
        ["Fondée en 814 av. J.-C. par les Phéniciens, Carthage domina.", "Rome la détruisit."],
    ),
    (
        "French decimals",
        "Le prix a baissé de 3,5 %. Les exportations ont repris.",
        ["Le prix a baissé de 3,5 %.", "Les exportations ont repris."],
    ),
    (
        "French accented capital",
        "La saison est finie. Également, la pêche reprend.",
        ["La saison est finie.", "Également, la pêche reprend."],
    ),
    (
        "paragraph break ends a sentence",
        "A heading without a stop\n\nThe first sentence.",
        ["A heading without a stop", "The first sentence."],
    ),
    ("whitespace", "  The   ferry\nruns.   It is full.  ", ["The ferry runs.", "It is full."]),
    ("nothing", "  \n\n  ", []),
    (
        "Chinese",
        "会晤吸引了全世界的目光。专家告诉记者！美方应当行动",
        ["会晤吸引了全世界的目光。", "专家告诉记者！", "美方应当行动"],
    ),
    (
        "Japanese",
        "東京は晴れです。明日は雨？「はい。」",
        ["東京は晴れです。", "明日は雨？", "「はい。」"],
    ),
]


@pytest.mark.parametrize(("text", "sentences"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_split_sentences(text: str, sentences: list[str]) -> None:
    assert split_sentences(text) == sentences


def test_languages_the_rules_do_not_know_are_split_by_pysbd() -> None:
    text = "Они приехали в порт. Всё хорошо."
    assert split_sentences(text) == [text]  # Cyrillic capitals: not these rules' business
    assert split_sentences(text, "ru") == ["Они приехали в порт.", "Всё хорошо."]
    assert split_sentences("यह ठीक है। वह गया।", "hi") == ["यह ठीक है।", "वह गया।"]


def test_a_regional_tag_uses_its_language() -> None:
    assert split_sentences("Ils partent. Elles restent.", "fr-CA") == [
        "Ils partent.",
        "Elles restent.",
    ]
