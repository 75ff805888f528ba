"""The sign-up form another site may paste into its pages (readers.embed_origins): plain HTML
posting to /subscribe, with the honeypot and the consent wording; no script, no style sheet."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from subscribers.reader_words import Words

# The field bots fill in and people never see (our stylesheet hides it on our page; the
# snippet hides it with its own style attribute, since it lives on another site's page).
HONEYPOT = "website"


def embed_snippet(
    base_url: str,
    slug: str,
    list_name: str,
    wording: Words | str,
    *,
    say: Callable[[Words], str] = str,
    language: str = "en",
    direction: str = "ltr",
) -> str:
    """The form for one list in its language (say: Words in it; the default, English), every
    value escaped for HTML. The consent sentence is Words when it is the catalogue's (shown,
    like the sign-up page's, in the list's language), else the site's own, as written."""
    action = escape(f"{base_url}/subscribe")
    consent = say(wording) if isinstance(wording, Words) else wording
    email, name = say(Words("Email address")), say(Words("Your name (optional)"))
    empty, button = (
        say(Words("Leave this empty")),
        say(Words("Subscribe to %(list)s", list=list_name)),
    )
    return f"""<form method="post" action="{action}" accept-charset="utf-8" \
lang="{escape(language)}" dir="{escape(direction)}">
  <input type="hidden" name="lists" value="{escape(slug)}">
  <label>{escape(email)} <input type="email" name="email" required autocomplete="email"></label>
  <label>{escape(name)} <input type="text" name="name" autocomplete="name"></label>
  <div style="position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden" \
aria-hidden="true">
    <label>{escape(empty)} <input type="text" name="{HONEYPOT}" tabindex="-1" \
autocomplete="off"></label>
  </div>
  <p>{escape(consent)}</p>
  <button type="submit">{escape(button)}</button>
</form>
"""
