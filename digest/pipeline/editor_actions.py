"""The editor's work on a draft issue: read it, change it, send a test, approve or hold it.

Everything an editor changes is stored on the issue, so composing again never undoes it. Once
an issue has started sending it can no longer be changed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from digest import db
from digest.delivery.envelope import message_template, personal
from digest.delivery.transport import SendResult, Transport
from digest.delivery.transport_factory import make_transport
from digest.errors import DigestError, NotFoundError
from digest.models import Issue, IssueArticle
from digest.pipeline.composing import IssueRef, issue_ref, issues_of
from digest.pipeline.rendering import find_reader, render, sample_reader
from digest.pipeline.runtime import Runtime
from digest.states import Approval, IssueStatus
from subscribers.addresses import normalise_address


@dataclass(frozen=True)
class EditorEntry:
    article_id: int
    title: str
    url: str
    section: str
    reading_minutes: int
    tags: tuple[str, ...]
    summary: str


@dataclass(frozen=True)
class EditorIssue:
    ref: IssueRef
    intro: str
    subject_edited: bool
    approval: Approval
    approved_by: str | None
    edited_by: str | None
    requires_approval: bool  # the list sends only approved issues
    entries: tuple[EditorEntry, ...]

    @property
    def editable(self) -> bool:
        return self.ref.status == IssueStatus.DRAFT


def issues_of_list(rt: Runtime, list_slug: str) -> list[IssueRef]:
    """Every issue of a list, newest first."""
    with rt.sessions() as session:
        rows = session.scalars(issues_of(list_slug))
        return [issue_ref(issue, list_slug) for issue in rows]


def editor_issue(rt: Runtime, issue_id: int) -> EditorIssue:
    with rt.sessions() as session:
        issue = _issue(session, issue_id)
        slug = issue.mailing_list.slug
        return EditorIssue(
            ref=issue_ref(issue, slug),
            intro=issue.intro or "",
            subject_edited=issue.subject_edited,
            approval=issue.approval,
            approved_by=issue.approved_by,
            edited_by=issue.edited_by,
            requires_approval=rt.settings.mailing_list(slug).approval == "required",
            entries=tuple(
                EditorEntry(
                    article_id=entry.article_id,
                    title=entry.article.title,
                    url=entry.article.url,
                    section=entry.section,
                    reading_minutes=entry.article.reading_minutes,
                    tags=tuple(entry.article.tags or ()),
                    summary=entry.article.summary,
                )
                for entry in issue.entries
            ),
        )


def edit_issue(
    rt: Runtime,
    issue_id: int,
    *,
    editor: str,
    now: datetime,
    subject: str | None = None,
    intro: str | None = None,
) -> None:
    """Change the subject and/or the introduction of a draft."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        if subject is not None:
            subject = " ".join(subject.split())
            if not subject:
                raise DigestError("the subject cannot be empty", hint="write a subject")
            issue.subject, issue.subject_edited = subject, True
        if intro is not None:
            issue.intro = intro.replace("\r\n", "\n").strip()
        _touch(issue, editor, now)


def remove_article(
    rt: Runtime, issue_id: int, article_id: int, *, editor: str, now: datetime
) -> None:
    """Take an article out of the draft; composing again will not bring it back."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        entry = _entry(issue, article_id)
        issue.entries.remove(entry)
        issue.excluded_article_ids = [*(issue.excluded_article_ids or []), article_id]
        _touch(issue, editor, now)


def move_article(
    rt: Runtime, issue_id: int, article_id: int, offset: int, *, editor: str, now: datetime
) -> None:
    """Move an article up (offset -1) or down (+1) in the draft."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        entries = list(issue.entries)
        index = entries.index(_entry(issue, article_id))
        target = min(max(index + offset, 0), len(entries) - 1)
        entries.insert(target, entries.pop(index))
        for position, entry in enumerate(entries):
            entry.position = position
        _touch(issue, editor, now)


def approve(rt: Runtime, issue_id: int, *, editor: str, now: datetime) -> None:
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        issue.approval, issue.approved_by, issue.approved_at = Approval.APPROVED, editor, now


def hold(rt: Runtime, issue_id: int, *, editor: str, now: datetime) -> None:
    """Keep a draft from being sent (on schedule or by hand) until it is approved."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        issue.approval, issue.approved_by, issue.approved_at = Approval.HELD, editor, now


def send_test(
    rt: Runtime, issue_id: int, address: str, now: datetime, transport: Transport | None = None
) -> SendResult:
    """Send the issue to one address, subject marked [TEST]; no delivery state is touched."""
    email = normalise_address(address)
    rendered = render(rt, issue_id)
    with rt.sessions() as session:
        issue = _issue(session, issue_id)
        slug, list_id = issue.mailing_list.slug, issue.list_id
        try:
            recipient = find_reader(session, rt, list_id, email)
        except NotFoundError:
            recipient = sample_reader(rt.settings)
    recipient = replace(recipient, email=email)  # the address typed, with its links
    template = message_template(rt.settings, slug, rendered, now, subject_prefix="[TEST] ")
    assert rendered.markers is not None
    data, _message_id = template.build(personal(rt.settings, recipient, rendered.markers))
    transport = transport or make_transport(rt.settings)
    return asyncio.run(_send_one(transport, rt.settings.newsletter.from_address, email, data))


async def _send_one(transport: Transport, sender: str, recipient: str, data: bytes) -> SendResult:
    await transport.open()
    try:
        return await transport.send(sender, recipient, data)
    finally:
        await transport.close()


def _issue(session: Session, issue_id: int) -> Issue:
    issue = session.get(Issue, issue_id)
    if issue is None:
        raise NotFoundError(f"issue {issue_id} not found")
    return issue


def _draft(session: Session, issue_id: int) -> Issue:
    issue = _issue(session, issue_id)
    if issue.status != IssueStatus.DRAFT:
        raise DigestError(
            f"issue #{issue.number} has already started sending and can no longer be changed",
            hint="changes apply to drafts only",
        )
    return issue


def _entry(issue: Issue, article_id: int) -> IssueArticle:
    for entry in issue.entries:
        if entry.article_id == article_id:
            return entry
    raise NotFoundError(f"article {article_id} is not in issue #{issue.number}")


def _touch(issue: Issue, editor: str, now: datetime) -> None:
    issue.edited_at, issue.edited_by = now, editor
