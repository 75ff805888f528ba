"""Bounces: delivery status notifications read from a mailbox, applied to the audience."""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import db
from digest.delivery.bounces import Bounce, parse_dsn
from digest.errors import DigestError
from digest.pipeline.runtime import Runtime
from subscribers.models import Subscriber
from subscribers.suppression import note_soft_bounce, suppress


@dataclass
class BounceReport:
    messages: int = 0
    hard: int = 0
    soft: int = 0
    unknown: int = 0  # reports naming no subscriber we know


def process_bounces(rt: Runtime, path: Path, now: datetime) -> BounceReport:
    """Read DSNs from an mbox file or a Maildir folder: suppress hard bounces, count soft ones."""
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
    for key in keys:
        report.messages += 1
        for bounce in parse_dsn(box.get_bytes(key)):
            with db.transaction(rt.sessions) as session:
                email = _bounced_address(rt, session, bounce)
                if email is None:
                    report.unknown += 1
                elif bounce.hard:
                    suppress(session, email, "hard_bounce", now, bounce.diagnostic or bounce.status)
                    report.hard += 1
                else:
                    note_soft_bounce(session, email, now)
                    report.soft += 1
    return report


def _bounced_address(rt: Runtime, session: Session, bounce: Bounce) -> str | None:
    """The subscriber a bounce is about: by its VERP token, else by the address it names."""
    if bounce.verp_token:
        subject = rt.signer.verify("bounce", bounce.verp_token)
        if subject is not None:
            row = session.get(Subscriber, subject.subscriber_id)
            if row is not None:
                return row.email
    if bounce.recipient:
        found = session.scalar(select(Subscriber.email).where(Subscriber.email == bounce.recipient))
        return found
    return None
