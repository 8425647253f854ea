"""Which cases were purged, by a keyed tag of their uid: so a bundle cannot bring one back.

Only keyed BLAKE2b tags (the event key's blind-index subkey) are kept, in the
settings under their MAC: nothing that names a case, a person or a date.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlite_utils

from cocdesk.errors import IntegrityFailure
from cocdesk.store import meta
from cocdesk.vault.keyed_hash import EventKeys

KEY = "purged_uids"


def _tag(keys: EventKeys, uid: str) -> str:
    return keys.blind_tag("uid", uid).hex()


def tags(db: sqlite_utils.Database) -> set[str]:
    try:
        found = json.loads(meta.get(db, KEY) or "[]")
    except ValueError:
        raise IntegrityFailure("the vault's record of purged cases is damaged") from None
    if not isinstance(found, list) or not all(isinstance(t, str) for t in found):
        raise IntegrityFailure("the vault's record of purged cases is damaged")
    return set(found)


def was_purged(db: sqlite_utils.Database, keys: EventKeys, uid: str) -> bool:
    return _tag(keys, uid) in tags(db)


def add(db: sqlite_utils.Database, keys: EventKeys, uids: Iterable[str]) -> None:
    """Remember these uids as purged (inside the caller's write transaction)."""
    new = {_tag(keys, uid) for uid in uids if uid}
    if not new:
        return
    meta.put(db, KEY, json.dumps(sorted(tags(db) | new)))
    meta.seal(db, keys)
