"""The rules of click counting over values: UTM parameters on the target, and which clicks a
link scanner made (a mail security gateway opening every link of a message on delivery).

The scanner rule: one client (a keyed hash of its network and user agent, made by the caller
and held here only, in memory, for the window) that follows every story link of one mail
within the window is a scanner. Its clicks on that issue are taken back and its further ones
in the window are not counted. A story followed again by the same client within the window
counts once. "Every story" is every story of the mail the link was in (its link says how
many: a reader who chose topics gets fewer than the issue has). A mail of one story cannot
tell a scanner from a reader: its click counts.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.config_analytics import UtmSettings

Reason = Literal["counted", "repeat", "scanner"]
# (article id, subscriber id or None): a click as the counts hold it.
Click = tuple[int, int | None]


def with_utm(url: str, utm: UtmSettings | None, list_slug: str, number: int) -> str:
    """The article URL with utm_source, utm_medium and utm_campaign added; a parameter the
    site's own link already carries is kept as it is."""
    if utm is None:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    added = [
        (name, value)
        for name, value in (
            ("utm_source", utm.source),
            ("utm_medium", utm.medium),
            ("utm_campaign", utm.campaign_of(list_slug, number)),
        )
        if name not in present
    ]
    return urlunsplit(parts._replace(query=urlencode(query + added)))


@dataclass(frozen=True)
class Judgement:
    reason: Reason
    # The client's earlier clicks on the issue, counted before it showed itself a scanner.
    taken_back: tuple[Click, ...] = ()

    @property
    def counted(self) -> bool:
        return self.reason == "counted"


@dataclass
class _Visit:
    started: float
    followed: set[int] = field(default_factory=set)
    counted: list[Click] = field(default_factory=list)
    scanner: bool = False


class ScannerFilter:
    """Each client's visits to each issue within the window; at most max_clients of them, the
    oldest forgotten first. `now` is any monotonic clock in seconds."""

    def __init__(self, window_seconds: float, max_clients: int) -> None:
        self.window = window_seconds
        self.max_clients = max_clients
        self._visits: OrderedDict[tuple[str, int], _Visit] = OrderedDict()

    def __len__(self) -> int:
        return len(self._visits)

    def judge(
        self,
        client: str,
        issue_id: int,
        article_id: int,
        *,
        stories: int,
        now: float,
        reader: int | None = None,
    ) -> Judgement:
        """Whether this click counts, given the client's earlier ones on the issue."""
        self._forget(now)
        key = (client, issue_id)
        visit = self._visits.get(key)
        if visit is None:
            visit = self._visits[key] = _Visit(now)
            while len(self._visits) > self.max_clients:
                self._visits.popitem(last=False)
        if visit.scanner:
            return Judgement("scanner")
        if article_id in visit.followed:
            return Judgement("repeat")
        visit.followed.add(article_id)
        if stories >= 2 and len(visit.followed) >= stories:
            visit.scanner = True
            taken_back, visit.counted = tuple(visit.counted), []
            return Judgement("scanner", taken_back)
        visit.counted.append((article_id, reader))
        return Judgement("counted")

    def _forget(self, now: float) -> None:
        """Drop the visits whose window has passed (they were added in the order they began)."""
        while self._visits:
            key, visit = next(iter(self._visits.items()))
            if now - visit.started < self.window:
                return
            del self._visits[key]
