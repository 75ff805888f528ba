"""CSRF defence for every POST: a per-session token in a hidden field, from our own pages only."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from starlette.datastructures import FormData
from starlette.requests import Request

from digest.config import Settings
from digest.config_sections import web_origin
from digest.web.sessions import stored_csrf_token
from subscribers.form_body import limited_form
from subscribers.reader_words import Words
from subscribers.refusals import Refusal

FIELD = "csrf_token"

# What a browser says about where a request comes from (Fetch Metadata); absent in old browsers.
_OWN_FETCH_SITES = {"same-origin", "none"}


async def checked_form(request: Request, settings: Settings) -> FormData:
    """The POSTed form, once the request has shown it comes from one of our pages; else 403."""
    check_site(request, settings)  # before the body is read
    # Starlette's form() takes 1,000 fields of any kind; ours are a few urlencoded ones.
    form = await limited_form(request, settings.readers.max_body_bytes)
    _check_token(request, form)
    return form


def check_form(request: Request, settings: Settings, form: FormData) -> None:
    """Raise 403 unless this form, already read, carries this session's token and comes from
    one of our pages (the reader's pages read their forms themselves, within a size limit)."""
    check_site(request, settings)
    _check_token(request, form)


def check_embedded(request: Request, settings: Settings) -> None:
    """A form posted by another site's page: allowed only from an origin listed in
    readers.embed_origins (scheme, host and port exactly); else 403 naming the origin. No CSRF
    token can come from there, and none is needed: the browser writes Origin (or Referer), a
    page cannot, so only the listed sites' pages pass."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    origin = _origin(source)
    if origin is not None and origin in settings.readers.embed_origins:
        return
    if origin is None:
        raise Refusal(
            403,
            Words(
                "Refused: this form was sent from a page that does not say where it is, which "
                "may not post it here. The site's owner can list the sites that may in "
                "readers.embed_origins."
            ),
        )
    shown = origin
    raise Refusal(
        403,
        Words(
            "Refused: this form was sent from %(origin)s, which may not post it here. The "
            "site's owner can list it in readers.embed_origins.",
            origin=shown,
        ),
    )


def check_site(request: Request, settings: Settings) -> None:
    if not from_this_site(request, settings):
        raise Refusal(403, Words("Refused: this request came from another site."))


def _check_token(request: Request, form: FormData) -> None:
    expected = stored_csrf_token(request)
    given = form.get(FIELD)
    if (
        expected is None
        or not isinstance(given, str)
        or not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    ):
        raise Refusal(
            403,
            Words(
                "Refused: this form has expired or did not come from this site. Reload the page."
            ),
        )


def from_this_site(request: Request, settings: Settings) -> bool:
    """False when the browser says the request was sent by another site's page."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in _OWN_FETCH_SITES:
        return False
    # Browsers send Origin with every POST (Referer when they do not); a client that sends
    # neither is not a browser acting for someone else, and it still needs the token.
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True
    own = {_origin(str(request.base_url)), _origin(settings.newsletter.base_url)}
    origin = _origin(source)
    return origin is not None and origin in own


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None  # also the "null" origin of sandboxed frames and file: pages
    try:
        return web_origin(f"{parts.scheme}://{parts.netloc}")
    except ValueError:
        return None
