"""An article's region: the source's, the page's section, or the places the article names."""

from __future__ import annotations

from digest.editorial.regions import Gazetteer, choose_region, infer_region

GAZETTEER = Gazetteer.from_mapping(
    {
        "Northern Africa": ["Morocco", "Moroccan", "Rabat", "Algeria", "Tunisia", "Libya"],
        "West Africa": ["Senegal", "Dakar", "Mali", "Niger", "Côte d'Ivoire", "Ivory Coast"],
        "East Africa": ["Kenya", "Nairobi", "Addis Ababa"],
    }
)


def region(section: str | None = None, title: str = "", text: str = "", source: str = "") -> str:
    return choose_region(
        source_region=source, section=section, title=title, text=text, gazetteer=GAZETTEER
    )


def test_the_source_region_wins() -> None:
    assert region("West Africa", "Morocco votes", "Rabat. Rabat.", source="Maghreb") == "Maghreb"


def test_a_section_or_breadcrumb_naming_a_known_region() -> None:
    assert region("Northern Africa") == "Northern Africa"
    assert region("Home › northern africa") == "Northern Africa"
    assert region("  West   Africa ") == "West Africa"


def test_places_in_title_and_text_place_an_article_from_a_general_feed() -> None:
    assert region(None, "Morocco signs a defence deal", "") == "Northern Africa"
    assert region("World", "", "Talks in Nairobi. Kenya agreed; Nairobi hosts.") == "East Africa"
    # Whole words with their capitals: "Niger" is not in "Nigeria", "mali" is no place.
    assert infer_region("", "Nigeria and Nigerians. A mali word. Dakar.", GAZETTEER) is None
    assert region("", "", "Officials in Addis Ababa and Addis  Ababa met.") == "East Africa"


def test_one_passing_mention_or_a_tie_places_nothing() -> None:
    assert region("World", "", "A trade fair, with a stand from Kenya.") == "World"
    assert region("", "", "Morocco and Senegal signed. Rabat and Dakar agreed.") == ""


def test_inference_can_be_turned_off() -> None:
    assert (
        choose_region(
            source_region="",
            section="World",
            title="Morocco votes",
            text="",
            gazetteer=GAZETTEER,
            infer=False,
        )
        == "World"
    )


def test_apostrophes_and_multi_word_places() -> None:
    assert region("", "Côte d'Ivoire cocoa", "") == "West Africa"
    assert region("", "Ivory Coast cocoa", "") == "West Africa"


def test_a_longer_place_name_is_read_whole() -> None:
    gazetteer = Gazetteer.from_mapping(
        {"Northern Africa": ["Sudan", "Khartoum"], "East Africa": ["South Sudan", "Juba"]}
    )

    assert infer_region("South Sudan votes", "In South Sudan, Juba voted.", gazetteer) == (
        "East Africa"
    )
    assert infer_region("Sudan votes", "In Khartoum, Sudan voted.", gazetteer) == (
        "Northern Africa"
    )


def test_a_place_listed_under_two_regions_counts_for_the_first() -> None:
    gazetteer = Gazetteer.from_mapping({"A": ["Nouakchott"], "B": ["Nouakchott", "Dakar"]})

    assert infer_region("Nouakchott", "", gazetteer) == "A"


def test_an_empty_gazetteer_places_nothing() -> None:
    assert infer_region("Morocco", "Morocco, Morocco.", Gazetteer.from_mapping({})) is None
    assert infer_region("Morocco", "", Gazetteer()) is None
