"""Sealed copies of the vault for another laptop or the post-event committee."""

from __future__ import annotations

from pathlib import Path

from cocdesk.service.desk import Desk
from cocdesk.service.session import Session
from cocdesk.store import audit
from cocdesk.store.connection import write


def backup(desk: Desk, session: Session, target: Path) -> None:
    """Record the backup in the audit log, then write the copy with VACUUM INTO."""
    desk.check_backup_target(target)
    with write(session.db):
        audit.append(session.db, session.event_keys, session.now(), session.member_id, "vault.backup")
    desk.backup(target)
