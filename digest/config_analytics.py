"""config.yaml's analytics section: which story links are counted, and how."""

from __future__ import annotations

from pydantic import Field, field_validator

from digest.config_sections import Section

# The names a campaign pattern may use, filled in per issue.
CAMPAIGN_FIELDS = ("list", "number")


class UtmSettings(Section):
    """utm_* parameters added to the article URL a counted link goes to."""

    source: str = Field("digest", min_length=1, max_length=100)
    medium: str = Field("email", min_length=1, max_length=100)
    # {list} (the list's slug) and {number} (the issue's) are filled in.
    campaign: str = Field("{list}-{number}", min_length=1, max_length=200)

    @field_validator("campaign")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            value.format(**{name: "x" for name in CAMPAIGN_FIELDS})
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"expected a pattern using only {{list}} and {{number}} ({value!r}: {exc!r})"
            ) from None
        return value

    def campaign_of(self, list_slug: str, number: int) -> str:
        return self.campaign.format(list=list_slug, number=number)


class AnalyticsSettings(Section):
    """Story clicks, counted per (issue, story) through a signed redirect; never opens."""

    # false: the mails carry the raw article links and nothing is counted (a list's own
    # `clicks:` setting wins over this one).
    enabled: bool = True
    # true: also records which reader followed which story (their link carries a token of
    # theirs); the preferences page tells readers so. Off: no link names anyone.
    per_reader: bool = False
    # A client that follows every story link of one mail within this many seconds is a link
    # scanner (a mail security gateway): its clicks on that issue are taken back.
    scanner_window_seconds: float = Field(60.0, gt=0, le=3600)
    # Clients remembered at once for that rule (in memory only); the oldest are forgotten.
    scanner_clients_max: int = Field(100_000, ge=100)
    utm: UtmSettings | None = None
