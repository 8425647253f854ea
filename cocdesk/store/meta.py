"""Vault-wide settings: event name, playbook text, creation time, counters.

The settings carry one MAC under the event key (`seal` after writing, `check`
on unlock and in verify), so an edited playbook, emergency number or idle-lock
time is refused rather than obeyed.
"""

from __future__ import annotations

import sqlite_utils

from cocdesk.errors import IntegrityFailure
from cocdesk.store.encoding import canonical
from cocdesk.vault.keyed_hash import EventKeys, same

MAC_KEY = "meta_mac"
# Set when a purge could not rebuild the file (another program had it open): the next
# open finishes it. Unsealed: opening must read it without a key, and a forged one
# only causes a harmless VACUUM.
COMPACT_PENDING = "compact_pending"
# The audit head carries its own MAC (see audit.py) and changes with every entry.
# The vault's seal (store/seal.py) carries its own MAC and covers these settings.
UNSEALED = frozenset({MAC_KEY, "audit_head", COMPACT_PENDING, "vault_seal"})


# Plain SQL through the Database: sqlite-utils' table helpers introspect the schema
# on every call (about ten statements each), and these run several times per save.
def get(db: sqlite_utils.Database, key: str, default: str | None = None) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else default


def put(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def _mac(db: sqlite_utils.Database, keys: EventKeys) -> bytes:
    rows = sorted((str(k), str(v)) for k, v in db.execute("SELECT key, value FROM meta") if k not in UNSEALED)
    return keys.record_mac(canonical(("meta", *(part for row in rows for part in row))))


def seal(db: sqlite_utils.Database, keys: EventKeys) -> None:
    """Re-MAC the settings after a change (inside the caller's write transaction)."""
    put(db, MAC_KEY, _mac(db, keys).hex())


def check(db: sqlite_utils.Database, keys: EventKeys) -> None:
    stored = get(db, MAC_KEY)
    try:
        ok = stored is not None and same(bytes.fromhex(stored), _mac(db, keys))
    except ValueError:
        ok = False
    if not ok:
        raise IntegrityFailure("the vault's settings (event, playbook) were altered outside cocdesk")
