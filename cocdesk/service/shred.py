"""Crypto-shredding (SECURITY.md, "Retention"): what every purge does, one case or many.

Inside one write transaction each case's rows go (every ciphertext, every
sealed copy of its key, its blind-index tags and recusal records), its plain
counts are folded into the kept tally, and the audit log records the purge.
After the commit, one checkpoint(TRUNCATE) and one VACUUM for the lot: the WAL
and the free pages hold the deleted rows' old images until then.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Sequence

import sqlite_utils

from cocdesk.domain.tally import Counted, count
from cocdesk.errors import CocdeskError
from cocdesk.service.drafts import DraftService
from cocdesk.service.session import Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store import drafts as draft_store
from cocdesk.store import purged as purged_store
from cocdesk.store import tally as tally_store
from cocdesk.store.connection import checkpoint, write

PURGED = "case.purged"
COMPACT_PENDING = meta.COMPACT_PENDING


def shred_in(session: Session, rows: Sequence[case_store.CaseRow]) -> None:
    """Delete these cases, keep their counts, audit each (inside the caller's write transaction)."""
    if not rows:
        return
    db, keys = session.db, session.event_keys
    # The tally re-MACs the settings: never over settings someone edited in the file.
    meta.check(db, keys)
    at = session.now()
    for row in rows:
        case_store.delete(db, row.id)
        audit.append(db, keys, at, session.member_id, PURGED, row.id)
    # Same transaction as the deletes: a purged case is counted exactly once,
    # by the transparency report's kept tally, whatever moment a crash comes.
    tally_store.add_purged(db, keys, count(Counted(r.category, r.status.value, r.actions) for r in rows))
    # A handoff bundle made before the purge must not bring the case back.
    purged_store.add(db, keys, (r.uid for r in rows))
    # Every member's draft about these cases, by the case id kept beside it; the
    # purging member's own older drafts (from before that column) are opened to check.
    draft_store.delete_for_cases(db, [r.id for r in rows])
    _drop_own_drafts(session, {r.id for r in rows})


def after_shred(session: Session, case_ids: Collection[str]) -> bool:
    """After the commit: forget the keys, then rebuild the file without the deleted rows' pages.

    True when the file is clean. False when another program holds the vault open
    (its reads pin the old pages): the purge stands, the vault is marked, and the
    next open with nobody else on it finishes the job (Desk.open).
    """
    for case_id in case_ids:
        session.forget_case_key(case_id)
    if not case_ids:
        return True
    clean = compact(session.db)
    if not clean:
        with contextlib.suppress(sqlite3.Error), write(session.db):
            meta.put(session.db, COMPACT_PENDING, "1")
    return clean


def compact(db: sqlite_utils.Database) -> bool:
    """Checkpoint(TRUNCATE), VACUUM, checkpoint(TRUNCATE) again; True if all of it was done.

    secure_delete zeroed the freed pages in the main file; the WAL still holds
    their old images until a checkpoint, and VACUUM rebuilds the file without
    them (its own writes pass through the WAL, hence the second checkpoint).
    Best effort: the data is already gone from every table, so a busy file is
    said, never raised.
    """
    try:
        if not checkpoint(db):
            return False
        db.execute("VACUUM")
        return checkpoint(db)
    except sqlite3.Error:
        return False


def _drop_own_drafts(session: Session, case_ids: set[str]) -> None:
    """The purging member's unsaved edit of a purged case goes too.

    Other members' drafts are sealed to them alone and cannot be read here;
    theirs are set aside when they next unlock and the case no longer opens.
    """
    for kind in ("intake", "step"):
        drafts = DraftService(session, kind)
        with contextlib.suppress(CocdeskError):  # a damaged draft must not stop a purge
            found = drafts.load()
            if found is not None and found.get("case_id") in case_ids:
                drafts.discard()
