"""This laptop's own record of how far each vault has come, kept outside the vault's folder.

The vault's seal (store/seal.py) catches any part of the file put back from an older
copy, but not the whole file: an older copy is a vault whose seal is whole. So each
laptop keeps, in its own state folder (paths.state_dir), the audit log's length and
newest hash as it last saw them at that place, under a MAC of the event key, and
refuses a vault there whose history stops short of that or took another path. `restore` is the one way to
go back to an older copy on purpose; it writes the record anew.

Someone who can also edit this laptop's state folder can remove the record; what it
guards against is a copy put in place of the vault file, by hand or by a sync.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import sqlite_utils

from cocdesk.errors import IntegrityFailure
from cocdesk.paths import state_dir
from cocdesk.store import audit
from cocdesk.store.encoding import canonical
from cocdesk.vault.keyed_hash import EventKeys, same


def _path(db: sqlite_utils.Database, keys: EventKeys) -> Path:
    # One record per vault and place: a backup opened in another folder is a copy with a
    # history of its own. Named by a keyed tag, which says nothing of the event or the folder.
    where = str(Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).resolve())
    return state_dir() / "seen" / f"{keys.blind_tag('vault-seen', where).hex()}.txt"


def _mac(keys: EventKeys, count: int, last: bytes) -> bytes:
    return keys.record_mac(canonical(("seen", count, last)))


def check(db: sqlite_utils.Database, keys: EventKeys) -> None:
    """Refuse a vault older than, or diverging from, the one this laptop last saw."""
    try:
        text = _path(db, keys).read_text("ascii").strip()
    except (OSError, UnicodeDecodeError):
        return  # never seen here (another laptop's vault, or a first unlock)
    try:
        count_text, last_hex, mac_hex = text.split(":")
        seen_count, seen_last = int(count_text), bytes.fromhex(last_hex)
        valid = same(bytes.fromhex(mac_hex), _mac(keys, seen_count, seen_last))
    except ValueError:
        valid = False
    if not valid:
        where = _path(db, keys)
        raise IntegrityFailure(f"this laptop's record of the vault ({where}) is damaged or was altered")
    count, _ = audit.head(db)
    if count < seen_count:
        raise IntegrityFailure(
            f"this vault is older than the one this laptop last opened ({count} audit entries, "
            f"it had {seen_count}): an older copy was put in its place (`cocdesk restore` is the way back)"
        )
    at = audit.hash_at(db, seen_count) if seen_count else b""
    if at is None or not same(at, seen_last):
        raise IntegrityFailure(
            "this vault's history is not the one this laptop last opened: another copy was put in its place"
        )


def remember(db: sqlite_utils.Database, keys: EventKeys) -> None:
    """Record how far the vault has come (best effort: a read-only home must not stop work)."""
    count, last = audit.head(db)
    path = _path(db, keys)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".seen-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:
                out.write(f"{count}:{last.hex()}:{_mac(keys, count, last).hex()}\n")
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
