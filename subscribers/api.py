"""The subscribers REST API (FastAPI, mounted at /api): Bearer API keys, an OpenAPI document."""

# No `from __future__ import annotations`: FastAPI reads the routes' annotations at runtime,
# and those naming types local to create_api cannot be resolved from strings.
import hmac
import logging
import zoneinfo
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest import db
from subscribers import api_operations as operations
from subscribers.addresses import InvalidAddress
from subscribers.api_models import (
    SLUG_PATTERN,
    ArticlePage,
    ErrorOut,
    SubscriberOut,
    SubscriberPage,
    SubscriberUpdate,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionPage,
)
from subscribers.fields import NAME_PATTERN, WORDING_PATTERN, FieldError
from subscribers.states import SubscriptionStatus

log = logging.getLogger("subscribers.api")

# Sends the confirmation mail of a pending subscription, by id, after it is committed; it
# skips the mail when one went out within the resend window. An exception means no mail left.
SendConfirmation = Callable[[int], None]
# Far more than any valid body needs; a larger one is refused before it is read whole.
BODY_MAX = 64 * 1024
# Ids are 32-bit integers on PostgreSQL; a larger one is a bad request, not a server error.
ID_MAX = 2**31 - 1


@dataclass(frozen=True)
class ApiContext:
    """What the API needs from the app that mounts it."""

    engine: Callable[[], Engine]  # the app's database, once it serves
    clock: Callable[[], datetime]
    keys: tuple[str, ...]
    offered_topics: frozenset[str]
    send_confirmation: SendConfirmation
    page_size_max: int = 500
    # The collected stories after an id, at most a limit of them: GET /articles, when given
    # (the app that mounts the API owns the articles; this package never reads them itself).
    articles: Callable[[int, int], ArticlePage] | None = None


_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "No API key, or not one of ours."},
    413: {"model": ErrorOut, "description": "The body is larger than BODY_MAX bytes."},
    422: {"model": ErrorOut, "description": "A field is invalid; the error names it."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "No such."}}


def create_api(context: ApiContext) -> FastAPI:
    api = FastAPI(
        title="digest subscribers API",
        version="1",
        description="Subscribe readers from a site's own forms, and manage them. Every request "
        "carries `Authorization: Bearer <key>`, a key from the variable api.keys_env names.",
        docs_url=None,  # the interactive page loads scripts from a CDN our policy forbids
        redoc_url=None,
        responses=_ERRORS,
    )
    bearer = HTTPBearer(auto_error=False, description="An API key from api.keys_env.")
    limit_max = context.page_size_max

    def authorised(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> None:
        given = credentials.credentials.encode("utf-8") if credentials else b""
        # Every key compared, in constant time: the answer's timing tells nothing.
        matched = False
        for key in context.keys:
            matched |= hmac.compare_digest(given, key.encode("utf-8"))
        if not matched:
            raise HTTPException(401, "a valid API key is required: Authorization: Bearer <key>")

    @contextmanager
    def writing() -> Iterator[Session]:
        # One writer at a time on SQLite (BEGIN IMMEDIATE): two deferred transactions that
        # both read and then write would fail, the second with "database is locked".
        with db.claim_transaction(context.engine()) as session:
            yield session

    @contextmanager
    def reading() -> Iterator[Session]:
        with Session(context.engine()) as session, session.begin():
            yield session

    Auth = Depends(authorised)
    After = Annotated[int, Query(ge=0, le=ID_MAX, description="The last id of the page before.")]
    Id = Annotated[int, Path(ge=1, le=ID_MAX)]
    Limit = Annotated[int, Query(ge=1, le=limit_max, description="Items per page.")]

    @api.post(
        "/subscriptions",
        dependencies=[Auth],
        response_model=SubscriptionOut,
        status_code=201,
        responses={
            200: {"model": SubscriptionOut, "description": "Already subscribed: unchanged."},
            404: {"model": ErrorOut, "description": "No such list."},
            409: {
                "model": ErrorOut,
                "description": "Suppressed, bounced or blocked, or unsubscribed before "
                "(see resubscribe).",
            },
            503: {"model": ErrorOut, "description": "Saved as pending; the mail failed."},
        },
    )
    def create_subscription(body: SubscriptionCreate, response: Response) -> SubscriptionOut:
        """Subscribe a reader: pending, with a confirmation mail, unless `confirmed`."""
        try:
            with writing() as session:
                out, changed = operations.create_subscription(
                    session, body, offered=context.offered_topics, now=context.clock()
                )
        except IntegrityError:
            # A request for the same reader committed first; now this one finds their rows.
            with writing() as session:
                out, changed = operations.create_subscription(
                    session, body, offered=context.offered_topics, now=context.clock()
                )
        if not changed:
            response.status_code = 200
        if out.status == SubscriptionStatus.PENDING:
            try:
                context.send_confirmation(out.id)
            except Exception as exc:
                log.exception("confirmation mail for subscription %s failed", out.id)
                raise operations.Refused(
                    503,
                    f"subscription {out.id} is saved as pending but its confirmation mail "
                    f"could not be sent ({type(exc).__name__}); post it again later",
                ) from None
            with reading() as session:
                out = operations.get_subscription(session, out.id)
        return out

    @api.get("/subscriptions", dependencies=[Auth], response_model=SubscriptionPage)
    def list_subscriptions(
        after: After = 0,
        limit: Limit = 100,
        list: Annotated[
            str | None, Query(max_length=64, pattern=SLUG_PATTERN, description="A list's slug.")
        ] = None,
        status: SubscriptionStatus | None = None,
    ) -> SubscriptionPage:
        """Subscriptions in id order, a page at a time."""
        with reading() as session:
            return operations.list_subscriptions(
                session, list_slug=list, status=status, after=after, limit=limit
            )

    @api.get(
        "/subscriptions/{subscription_id}",
        dependencies=[Auth],
        response_model=SubscriptionOut,
        responses=_NOT_FOUND,
    )
    def get_subscription(subscription_id: Id) -> SubscriptionOut:
        with reading() as session:
            return operations.get_subscription(session, subscription_id)

    @api.post(
        "/subscriptions/{subscription_id}/unsubscribe",
        dependencies=[Auth],
        response_model=SubscriptionOut,
        responses=_NOT_FOUND,
    )
    def unsubscribe(subscription_id: Id) -> SubscriptionOut:
        """End a subscription at once (the record stays, as consent withdrawn)."""
        with writing() as session:
            return operations.unsubscribe(session, subscription_id, now=context.clock())

    if context.articles is not None:
        articles = context.articles

        @api.get("/articles", dependencies=[Auth], response_model=ArticlePage)
        def list_articles(after: After = 0, limit: Limit = 100) -> ArticlePage:
            """Collected stories in id order, a page at a time, each with its language."""
            return articles(after, limit)

    @api.get("/subscribers", dependencies=[Auth], response_model=SubscriberPage)
    def list_subscribers(
        after: After = 0,
        limit: Limit = 100,
        email: Annotated[str | None, Query(max_length=320, description="Find one.")] = None,
    ) -> SubscriberPage:
        """Subscribers in id order, a page at a time, each with their subscriptions."""
        with reading() as session:
            return operations.list_subscribers(session, email=email, after=after, limit=limit)

    @api.get(
        "/subscribers/{subscriber_id}",
        dependencies=[Auth],
        response_model=SubscriberOut,
        responses=_NOT_FOUND,
    )
    def get_subscriber(subscriber_id: Id) -> SubscriberOut:
        with reading() as session:
            return operations.get_subscriber(session, subscriber_id)

    @api.patch(
        "/subscribers/{subscriber_id}",
        dependencies=[Auth],
        response_model=SubscriberOut,
        responses=_NOT_FOUND,
    )
    def update_subscriber(subscriber_id: Id, body: SubscriberUpdate) -> SubscriberOut:
        """Change a reader's name, topics or time zone."""
        with writing() as session:
            return operations.update_subscriber(
                session, subscriber_id, body, offered=context.offered_topics, now=context.clock()
            )

    @api.delete(
        "/subscribers/{subscriber_id}",
        dependencies=[Auth],
        status_code=204,
        response_class=Response,
        responses=_NOT_FOUND,
    )
    def erase_subscriber(subscriber_id: Id) -> Response:
        """Erase a reader and everything kept about them (a suppression of the address stays)."""
        with writing() as session:
            operations.erase_subscriber(session, subscriber_id)
        return Response(status_code=204)

    _handle_errors(api)
    _describe_choices(api, context.offered_topics)
    api.add_middleware(BodyLimit, limit=BODY_MAX)
    return api


class BodyLimit:
    """Refuses (413) a request whose body is over `limit` bytes, by its Content-Length or, when
    it is sent in chunks, as soon as the chunks add up to more."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = JSONResponse(
            {"error": f"the request body is larger than {self.limit} bytes"}, status_code=413
        )
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.limit:
            await refusal(scope, receive, send)
            return
        received = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Answer now; to the app the client has gone, and what it sends is dropped.
                    refused = True
                    await refusal(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted_receive, unless_refused)
        except Exception:
            if not refused:
                raise


def _describe_choices(api: FastAPI, offered: frozenset[str]) -> None:
    """The OpenAPI document names the values the rules accept: topics on offer (known only
    from the configuration), IANA zones, addresses, names without control characters."""
    generate = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is not None:
            return api.openapi_schema
        document = generate()
        components = document["components"]["schemas"]
        for model in ("SubscriptionCreate", "SubscriberUpdate"):
            fields = components[model]["properties"]
            for choice in fields["topics"].get("anyOf", [fields["topics"]]):
                if choice.get("type") == "array":
                    choice["items"] = {"type": "string", "enum": sorted(offered)}
            for choice in fields["timezone"]["anyOf"]:
                if choice.get("type") == "string":
                    choice["enum"] = sorted(zoneinfo.available_timezones())
            for choice in fields["name"]["anyOf"]:
                if choice.get("type") == "string":
                    choice["pattern"] = NAME_PATTERN
        created = components["SubscriptionCreate"]["properties"]
        created["email"]["format"] = "email"
        created["consent"]["pattern"] = WORDING_PATTERN
        api.openapi_schema = document
        return document

    api.openapi = openapi  # type: ignore[method-assign]


def _handle_errors(api: FastAPI) -> None:
    """Every error as {"error": "..."}; no response is kept in a cache (it holds personal data)."""

    def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
        return JSONResponse({"error": message}, status_code=status, headers=headers)

    @api.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
        return error(exc.status_code, str(exc.detail), headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problems = []
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"])
            problems.append(f"{where}: {problem['msg']}")
        return error(422, "; ".join(problems) or "invalid request")

    @api.exception_handler(operations.Refused)
    async def refused(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, operations.Refused)
        return error(exc.status, exc.message)

    @api.exception_handler(FieldError)
    @api.exception_handler(InvalidAddress)
    async def bad_field(_request: Request, exc: Exception) -> Response:
        return error(422, str(exc))

    @api.middleware("http")
    async def no_store(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Cache-Control"] = "no-store"
        return response
