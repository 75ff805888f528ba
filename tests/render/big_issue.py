"""A full issue for size and layout checks: 40 stories in four regions, every other one with an
image, titles and summaries of a real issue's lengths, in English, French or Arabic."""

from __future__ import annotations

import email
import email.policy
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from types import ModuleType

from digest.editorial.compose import ListRules, issue_subject
from digest.editorial.curate import Section, Story
from digest.render.email import EmailRenderer, IssueView
from tests.render.test_golden import ISSUE, READER

REGIONS = {
    "en": ("Northern Africa", "West Africa", "East Africa", "Southern Africa"),
    "fr": ("Afrique du Nord", "Afrique de l’Ouest", "Afrique de l’Est", "Afrique australe"),
    "ar": ("شمال أفريقيا", "غرب أفريقيا", "شرق أفريقيا", "جنوب أفريقيا"),
}
TITLES = {
    "en": "Port of {place} reopens its deep-water terminal after months of dredging work",
    "fr": "Le port de {place} rouvre son terminal en eau profonde après des mois de dragage",
    "ar": "ميناء {place} يعيد فتح محطته للمياه العميقة بعد أشهر من أعمال التجريف",
}
SUMMARIES = {
    "en": "After fourteen months of dredging, the free-zone port in {place} can now receive "
    "ships carrying up to 9,000 containers, though traders say inland transport and currency "
    "rules still hold trade back, and economists expect the effect on prices to take a year.",
    "fr": "Après quatorze mois de dragage, le port franc de {place} peut désormais accueillir "
    "des navires de 9 000 conteneurs, mais les commerçants jugent que le transport intérieur "
    "et les règles de change freinent encore les échanges ; l’effet sur les prix prendra un an.",
    "ar": "بعد أربعة عشر شهرا من التجريف، أصبح بإمكان الميناء الحر في {place} استقبال سفن "
    "تحمل حتى تسعة آلاف حاوية، غير أن التجار يرون أن النقل الداخلي وقواعد الصرف ما زالت "
    "تعرقل التجارة، ويتوقع الاقتصاديون أن يستغرق أثرها على الأسعار عاما كاملا.",
}
PLACES = (
    "Misrata",
    "Sfax",
    "Nouakchott",
    "Dakar",
    "Abidjan",
    "Lomé",
    "Cotonou",
    "Mombasa",
    "Tanga",
    "Beira",
    "Walvis Bay",
    "Durban",
)
TAGS = {"en": ("Economy", "Transport"), "fr": ("Économie", "Transport"), "ar": ("اقتصاد", "نقل")}


def story(number: int, language: str = "en") -> Story:
    place = f"{PLACES[number % len(PLACES)]} {number}"
    with_image = number % 2 == 0
    return Story(
        id=number,
        title=TITLES[language].format(place=place),
        url=f"https://regional-news.example.org/{language}/2026/11/{number:02d}/port-{number}/",
        region=REGIONS[language][number % 4],
        tags=TAGS[language][: 1 + number % 2],
        reading_minutes=2 + number % 7,
        summary=SUMMARIES[language].format(place=place),
        published_at=datetime(2026, 11, 16 + number % 7, 9, 0, tzinfo=UTC),
        image_url=f"https://cdn.regional-news.example.org/2026/11/port-{number}.jpg"
        if with_image
        else None,
        image_alt="Cranes over stacked containers on the quay at dusk" if with_image else None,
        language=language,
    )


def big_issue(count: int = 40, language: str = "en") -> IssueView:
    stories = [story(n, language) for n in range(1, count + 1)]
    sections = tuple(
        Section(region, tuple(s for s in stories if s.region == region))
        for region in REGIONS[language]
        if any(s.region == region for s in stories)
    )
    return replace(
        ISSUE,
        list_name="Lettre régionale : Maghreb & Sahel",
        number=48,
        subject=stories[0].title,
        sections=sections,
        archive_url="https://news.example.org/archive/weekly/48",
        intro="Ports, harvests and elections: the week in four regions.",
        language=language,
    )


def message_of(renderer: EmailRenderer, message: ModuleType, pattern: str, now: datetime) -> bytes:
    """The whole message of big_issue(40) as a reader gets it: its subject from the pattern,
    built by a digest.delivery.message module (today's, or one as it was at a git ref)."""
    issue = big_issue(40, "en")
    rules = ListRules("weekly", issue.list_name, issue.newsletter_name, pattern, "UTC", 40, None)
    start, end = datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)
    lead = issue.sections[0].stories[0].title
    subject = issue_subject(rules, issue.number, start, end, lead)
    rendered = renderer.render(replace(issue, subject=subject))
    assert rendered.markers is not None
    template = message.MessageTemplate(
        envelope=message.Envelope(
            "digest@news.example.org", "Regional Digest", issue.list_name, "weekly.example.org"
        ),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=rendered.markers.all(),
        now=now,
    )
    personal = message.Personal(
        to=READER.email,
        values=READER.values(rendered.markers),
        unsubscribe_url=READER.unsubscribe_url,
    )
    return bytes(template.build(personal, "<design.1@news.example.org>")[0])


def spam_status(raw: bytes) -> str:
    """SpamAssassin's verdict on a message, offline rules only and Bayes off (nothing learnt):
    "score=-0.0 required=5.0 tests=HTML_MESSAGE,…"."""
    checked = subprocess.run(
        ["spamassassin", "-L", "-t", "--cf=use_bayes 0", "--cf=bayes_auto_learn 0"],
        input=raw,
        capture_output=True,
        check=False,
        timeout=300,
    ).stdout
    status = email.message_from_bytes(checked, policy=email.policy.default)["X-Spam-Status"]
    words = " ".join(str(status or "no X-Spam-Status").split())
    return words.split(", ", 1)[-1]
