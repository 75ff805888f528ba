"""The rendered issue as each reader's message: what the send loop sends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from digest.delivery.envelope import (
    envelope_sender,
    issue_message_id,
    message_template,
    personal,
)
from digest.delivery.message import MessageTemplate
from digest.editorial.curate import topic_key
from digest.pipeline.composing import IssueRef
from digest.pipeline.rendering import IssueRenderings, signed_recipient
from digest.pipeline.runtime import Runtime
from digest.render.email import Markers


class RenderedIssueMail:
    """The issue as each reader's message: rendered once for everyone, and once more for each
    set of topics readers chose (by renderings, which the run may share)."""

    def __init__(
        self,
        rt: Runtime,
        ref: IssueRef,
        list_id: int,
        now: datetime,
        renderings: IssueRenderings | None = None,
    ) -> None:
        self.rt = rt
        self.renderings = renderings or IssueRenderings(rt)
        self.ref = ref
        self.list_id = list_id
        self.now = now
        # Per set of topics: the message and the markers its rendering drew (None: no story).
        self._templates: dict[tuple[str, ...], tuple[MessageTemplate, Markers] | None] = {}
        self._unrenderable: dict[tuple[str, ...], Exception] = {}

    def template(self, topics: Sequence[str] | None) -> tuple[MessageTemplate, Markers] | None:
        """The message for readers of these topics and its markers; None when no story
        matches them."""
        key = topic_key(topics or ())
        if key in self._unrenderable:
            raise self._unrenderable[key]
        if key not in self._templates:
            try:
                view, rendered = self.renderings.view(self.ref.id, key)
            except Exception as exc:
                # Once per set of topics: its other readers fail at once, not after a render.
                self._unrenderable[key] = exc
                raise
            assert rendered.markers is not None
            self._templates[key] = (
                (
                    message_template(self.rt.settings, self.ref.list_slug, rendered, self.now),
                    rendered.markers,
                )
                if view.sections
                else None
            )
        return self._templates[key]

    def has_stories(self, topics: Sequence[str] | None) -> bool:
        return self.template(topics) is not None

    def message(
        self, subscriber_id: int, email: str, topics: Sequence[str] | None
    ) -> tuple[bytes, str]:
        found = self.template(topics)
        assert found is not None, "readers with no matching story are skipped, not sent"
        template, markers = found
        recipient = signed_recipient(self.rt, subscriber_id, self.list_id, email, self.ref.id)
        message_id = issue_message_id(
            self.rt.signer,
            self.rt.settings.newsletter.from_address,
            self.ref.id,
            subscriber_id,
            self.list_id,
        )
        return template.build(personal(self.rt.settings, recipient, markers), message_id)

    def envelope_sender(self, subscriber_id: int) -> str:
        return envelope_sender(self.rt.settings, self.rt.signer, subscriber_id, self.list_id)
