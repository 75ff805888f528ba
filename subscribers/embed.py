"""The sign-up form another site may paste into its pages (readers.embed_origins): plain HTML
posting to /subscribe, with the honeypot and the consent wording; no script, no style sheet."""

from __future__ import annotations

from html import escape

# The field bots fill in and people never see (our stylesheet hides it on our page; the
# snippet hides it with its own style attribute, since it lives on another site's page).
HONEYPOT = "website"


def embed_snippet(base_url: str, slug: str, list_name: str, wording: str) -> str:
    """The form for one list, every value escaped for HTML."""
    action = escape(f"{base_url}/subscribe")
    return f"""<form method="post" action="{action}" accept-charset="utf-8">
  <input type="hidden" name="lists" value="{escape(slug)}">
  <label>Email address <input type="email" name="email" required autocomplete="email"></label>
  <label>Your name (optional) <input type="text" name="name" autocomplete="name"></label>
  <div style="position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden" \
aria-hidden="true">
    <label>Leave this empty <input type="text" name="{HONEYPOT}" tabindex="-1" \
autocomplete="off"></label>
  </div>
  <p>{escape(wording)}</p>
  <button type="submit">Subscribe to {escape(list_name)}</button>
</form>
"""
