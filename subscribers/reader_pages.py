"""The reader's web pages: subscribe, confirm, one-click unsubscribe (with its undo and the
question why) and preferences.

Every page that acts on someone is reached through a signed token made for one purpose
(subscribers.tokens). Every form carries a CSRF token but the one-click unsubscribe POST of
RFC 8058, which a mail client sends with no cookie: there the token in the URL is the proof.
"""

from __future__ import annotations

from starlette.routing import Route

from subscribers.preference_pages import PreferencePages
from subscribers.reader_site import ReaderSite
from subscribers.reader_urls import route
from subscribers.signup_pages import SignupPages


class ReaderPages:
    def __init__(self, site: ReaderSite) -> None:
        self.signup = SignupPages(site)
        self.preferences = PreferencePages(site)

    async def close(self) -> None:
        """End the connections of the sign-up limits' storage (in the app's event loop)."""
        await self.signup.counts.close()

    def routes(self) -> list[Route]:
        signup, prefs = self.signup, self.preferences
        return [
            Route("/subscribe", signup.subscribe_page, methods=["GET"], name="subscribe"),
            Route("/subscribe", signup.subscribe, methods=["POST"]),
            Route(route("confirm"), signup.confirm_page, methods=["GET"], name="confirm"),
            Route(route("confirm"), signup.confirm, methods=["POST"]),
            Route(
                route("unsubscribe"), prefs.unsubscribe_page, methods=["GET"], name="unsubscribe"
            ),
            Route(route("unsubscribe"), prefs.unsubscribe, methods=["POST"]),
            Route(route("unsubscribe", "undo"), prefs.leaving.undo, methods=["POST"]),
            Route(route("unsubscribe", "why"), prefs.leaving.why, methods=["POST"]),
            Route(
                route("preferences"), prefs.preferences_page, methods=["GET"], name="preferences"
            ),
            Route(route("preferences"), prefs.save_preferences, methods=["POST"]),
            Route(route("preferences", "leave"), prefs.leave, methods=["POST"]),
            Route(route("preferences", "export"), prefs.export, methods=["POST"]),
            Route(route("preferences", "erase"), prefs.erase, methods=["POST"]),
        ]
