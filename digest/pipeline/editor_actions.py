"""The editor's work on a draft issue: read it, change it, send a test, approve or hold it.

Everything an editor changes is stored on the issue, so composing again never undoes it. Once
an issue has started sending it can no longer be changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from digest import db
from digest.config import Settings
from digest.delivery.envelope import message_template, personal
from digest.delivery.transport import SendResult, Transport
from digest.delivery.transport_factory import make_transport
from digest.editorial.compose import Entry
from digest.editorial.layout import (
    arranged,
    move_within,
    one_line,
    section_names,
    story_edit,
)
from digest.editorial.layout import move_section as layout_move_section
from digest.editorial.layout import move_to_section as layout_move_to_section
from digest.errors import DigestError, NotFoundError
from digest.models import Issue, IssueArticle
from digest.pipeline.composing import (
    IssueRef,
    issue_ref,
    issues_of,
    refresh_subject,
    stored_entries,
)
from digest.pipeline.rendering import find_reader, render, sample_reader
from digest.pipeline.runtime import Runtime
from digest.states import Approval, IssueStatus
from subscribers.addresses import normalise_address


@dataclass(frozen=True)
class EditorEntry:
    article_id: int
    title: str  # as the email shows it: the editor's, if they wrote one
    url: str
    section: str
    reading_minutes: int
    tags: tuple[str, ...]
    summary: str
    edited_title: str = ""  # the editor's own title and summary ("": the collected ones)
    edited_summary: str = ""


@dataclass(frozen=True)
class EditorIssue:
    ref: IssueRef
    intro: str
    subject_edited: bool
    approval: Approval
    approved_by: str | None
    edited_by: str | None
    requires_approval: bool  # the list sends only approved issues
    entries: tuple[EditorEntry, ...]  # section by section, as the email shows them
    sections: tuple[str, ...] = ()  # in the email's order
    lead_article_id: int | None = None  # the editor's lead story (None: the first)
    send_at: datetime | None = None  # a send the editor set for later

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
        rows = {entry.article_id: entry for entry in issue.entries}
        order = arranged(stored_entries(issue), issue.section_order or ())
        edits = issue.story_edits or {}
        entries = []
        for placed in order:
            article = rows[placed.article_id].article
            edit = edits.get(str(placed.article_id), {})
            entries.append(
                EditorEntry(
                    article_id=article.id,
                    title=edit.get("title") or article.title,
                    url=article.url,
                    section=placed.section,
                    reading_minutes=article.reading_minutes,
                    tags=tuple(article.tags or ()),
                    summary=edit.get("summary") or article.summary,
                    edited_title=edit.get("title", ""),
                    edited_summary=edit.get("summary", ""),
                )
            )
        return EditorIssue(
            ref=issue_ref(issue, slug),
            intro=issue.intro or "",
            subject_edited=issue.subject_edited,
            approval=issue.approval,
            approved_by=issue.approved_by,
            edited_by=issue.edited_by,
            requires_approval=rt.settings.mailing_list(slug).approval == "required",
            entries=tuple(entries),
            sections=tuple(section_names(order)),
            lead_article_id=issue.lead_article_id if issue.lead_article_id in rows else None,
            send_at=issue.send_at,
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
            subject = one_line(subject, "subject")
            if not subject:
                raise DigestError("the subject cannot be empty", hint="write a subject")
            issue.subject, issue.subject_edited = subject, True
        if intro is not None:
            issue.intro = intro.replace("\r\n", "\n").strip()
        _touch(rt.settings, issue, editor, now)


def remove_article(
    rt: Runtime, issue_id: int, article_id: int, *, editor: str, now: datetime
) -> None:
    """Take an article out of the draft; composing again will not bring it back."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        entry = _entry(issue, article_id)
        issue.entries.remove(entry)
        issue.excluded_article_ids = [*(issue.excluded_article_ids or []), article_id]
        _touch(rt.settings, issue, editor, now)


def move_article(
    rt: Runtime, issue_id: int, article_id: int, offset: int, *, editor: str, now: datetime
) -> None:
    """Move an article up (offset -1) or down (+1) inside its section; at its section's edge
    this is an error (layout.move_within), never a move the email would not show."""
    _rearrange(
        rt,
        issue_id,
        lambda issue, entries: move_within(entries, issue.section_order or (), article_id, offset),
        editor=editor,
        now=now,
    )


def move_to_section(
    rt: Runtime, issue_id: int, article_id: int, section: str, *, editor: str, now: datetime
) -> None:
    """Move an article to the end of another section (a new one, if none has that name)."""
    _rearrange(
        rt,
        issue_id,
        lambda issue, entries: layout_move_to_section(
            entries, issue.section_order or (), article_id, section
        ),
        editor=editor,
        now=now,
    )


def move_section(
    rt: Runtime, issue_id: int, section: str, offset: int, *, editor: str, now: datetime
) -> None:
    """Move a whole section up (offset -1) or down (+1) in the issue."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        issue.section_order = layout_move_section(
            stored_entries(issue), issue.section_order or (), section, offset
        )
        _store_order(issue, arranged(stored_entries(issue), issue.section_order))
        _touch(rt.settings, issue, editor, now)


def set_lead(
    rt: Runtime, issue_id: int, article_id: int | None, *, editor: str, now: datetime
) -> None:
    """Make a story of the issue its lead (None: the first story leads again)."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        if article_id is not None:
            _entry(issue, article_id)
        issue.lead_article_id = article_id
        _touch(rt.settings, issue, editor, now)


def edit_story(
    rt: Runtime,
    issue_id: int,
    article_id: int,
    *,
    title: str,
    summary: str,
    editor: str,
    now: datetime,
) -> None:
    """The story's title and summary in this issue (blank: the collected one); the collected
    article is left as it is, and composing again keeps the edit."""
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        _entry(issue, article_id)
        edits = dict(issue.story_edits or {})
        edit = story_edit(title, summary)
        if edit:
            edits[str(article_id)] = edit
        else:
            edits.pop(str(article_id), None)
        issue.story_edits = edits  # a new dict: JSON columns see only assignments
        _touch(rt.settings, issue, editor, now)


def _rearrange(
    rt: Runtime,
    issue_id: int,
    change: Callable[[Issue, tuple[Entry, ...]], tuple[Entry, ...]],
    *,
    editor: str,
    now: datetime,
) -> None:
    with db.transaction(rt.sessions) as session:
        issue = _draft(session, issue_id)
        _store_order(issue, change(issue, stored_entries(issue)))
        _touch(rt.settings, issue, editor, now)


def _store_order(issue: Issue, order: tuple[Entry, ...]) -> None:
    """Each entry's position and section made the order's (the same articles)."""
    rows = {entry.article_id: entry for entry in issue.entries}
    for position, placed in enumerate(order):
        row = rows[placed.article_id]
        row.position, row.section = position, placed.section


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


def _touch(settings: Settings, issue: Issue, editor: str, now: datetime) -> None:
    """An editor's change recorded: by whom and when, and the subject made to name the lead
    as it now is."""
    issue.edited_at, issue.edited_by = now, editor
    refresh_subject(settings, issue)
