"""Bounces: delivery status notifications read from a mailbox, applied to the audience."""

from __future__ import annotations

import contextlib
import hashlib
import mailbox
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import db
from digest.delivery.addresses import address_forms
from digest.delivery.bounces import Bounce, parse_dsn
from digest.errors import DigestError
from digest.models import ProcessedBounce
from digest.pipeline.runtime import Runtime
from subscribers.models import Subscriber
from subscribers.states import SuppressionReason
from subscribers.suppression import note_soft_bounce, suppress


@dataclass
class BounceReport:
    messages: int = 0
    hard: int = 0
    soft: int = 0
    complaints: int = 0  # ARF reports: the reader marked us as spam
    unknown: int = 0  # reports naming no subscriber we know
    already_processed: int = 0  # read before: nothing done again
    # Messages the reader failed on ("key: error"): recorded as processed, not read again.
    unreadable: list[str] = field(default_factory=list)


def process_bounces(rt: Runtime, path: Path, now: datetime) -> BounceReport:
    """Read bounces and complaints from an mbox file or a Maildir folder: suppress the addresses
    that are dead and the readers who complained, count the other failures as soft bounces;
    delays and success reports change nothing."""
    report = BounceReport()
    try:
        box: mailbox.Mailbox = (
            mailbox.Maildir(path, factory=None, create=False)
            if path.is_dir()
            else mailbox.mbox(path, create=False)
        )
        keys = list(box.keys())
    except (OSError, mailbox.Error) as exc:
        raise DigestError(
            f"{path}: cannot read bounces: {exc}", hint="give an mbox file or a Maildir folder"
        ) from None
    # The mbox holds its file open until closed.
    with contextlib.closing(box):
        for key in keys:
            report.messages += 1
            raw = box.get_bytes(key)
            digest_of_report = hashlib.sha256(raw).hexdigest()
            with db.transaction(rt.sessions) as session:
                seen = select(ProcessedBounce.id).where(
                    ProcessedBounce.report_hash == digest_of_report
                )
                if session.scalar(seen) is not None:
                    report.already_processed += 1
                    continue
                for bounce in _bounces_in(raw, key, report):
                    if not (bounce.complaint or bounce.hard or bounce.failure):
                        continue
                    email = _bounced_address(rt, session, bounce)
                    if email is None:
                        report.unknown += 1
                    elif bounce.complaint:
                        suppress(
                            session, email, SuppressionReason.COMPLAINT, now, bounce.diagnostic
                        )
                        report.complaints += 1
                    elif bounce.hard:
                        suppress(
                            session,
                            email,
                            SuppressionReason.HARD_BOUNCE,
                            now,
                            f"{bounce.reason}: {bounce.diagnostic or bounce.status}",
                        )
                        report.hard += 1
                    else:
                        note_soft_bounce(session, email, now)
                        report.soft += 1
                # In the same transaction as its effects: a report counts once, whatever happens.
                session.add(ProcessedBounce(report_hash=digest_of_report, processed_at=now))
    return report


def _bounces_in(raw: bytes, key: str, report: BounceReport) -> list[Bounce]:
    """A message's bounces; none when reading it fails (a message no one foresaw, a defect of
    the reader's): it fails alone, named in the report, and counts as processed, so one
    message neither stops the rest of the mailbox nor fails every run after."""
    try:
        return parse_dsn(raw)
    except Exception as exc:
        # Printed to the operator's terminal: the error may quote the hostile message, so no
        # control character (an escape sequence) and no more than a line of it.
        said = "".join(c if c.isprintable() else "?" for c in str(exc)[:200])
        report.unreadable.append(f"{key}: {type(exc).__name__}: {said}")
        return []


def _bounced_address(rt: Runtime, session: Session, bounce: Bounce) -> str | None:
    """The subscriber a bounce is about: by its VERP token, else by the address it names."""
    if bounce.verp_token:
        subject = rt.signer.verify("bounce", bounce.verp_token)
        if subject is not None:
            row = session.get(Subscriber, subject.subscriber_id)
            if row is not None:
                return row.email
    if bounce.recipient:
        # Stored with its domain in Unicode; a report may give it as its IDNA A-label (xn--).
        forms = address_forms(bounce.recipient)
        return session.scalar(select(Subscriber.email).where(Subscriber.email.in_(forms)))
    return None
