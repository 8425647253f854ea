"""The kept tally of purged cases (domain/tally.py), stored with the vault's settings.

It lives in `meta`, so the settings' MAC covers it: an edited count is refused
by unlock and verify like an edited playbook.
"""

from __future__ import annotations

import json

import sqlite_utils

from cocdesk.domain.tally import Tally, from_data
from cocdesk.errors import IntegrityFailure
from cocdesk.store import meta
from cocdesk.vault.keyed_hash import EventKeys

KEY = "purged_tally"


def purged(db: sqlite_utils.Database) -> Tally:
    """The counts of every case purged so far (zero before the first purge)."""
    text = meta.get(db, KEY)
    if text is None:
        return Tally()
    try:
        return from_data(json.loads(text))
    except ValueError:
        raise IntegrityFailure("the vault's tally of purged cases is damaged") from None


def add_purged(db: sqlite_utils.Database, keys: EventKeys, more: Tally) -> None:
    """Fold `more` into the kept tally (inside the caller's write transaction)."""
    total = purged(db) + more
    meta.put(db, KEY, json.dumps(total.to_data(), sort_keys=True))
    meta.seal(db, keys)
