"""Who declared a conflict of interest in which case: plain, so the case view can say
who stepped out (never why), and MACed, so a row deleted or added in the file is caught.

The key side of a recusal is elsewhere: the member's sealed copy of the case key is
deleted and the case re-keyed (service/access.py). This table only remembers it.
"""

from __future__ import annotations

import sqlite_utils

from cocdesk.errors import IntegrityFailure
from cocdesk.store.encoding import canonical
from cocdesk.vault.keyed_hash import EventKeys, same


def _mac(keys: EventKeys, case_id: str, member_id: int, at: str) -> bytes:
    return keys.record_mac(canonical(("recusal", case_id, member_id, at)))


def add(db: sqlite_utils.Database, keys: EventKeys, case_id: str, member_id: int, at: str) -> None:
    db.table("recusals").insert(
        {"case_id": case_id, "member_id": member_id, "at": at, "mac": _mac(keys, case_id, member_id, at)},
        pk=("case_id", "member_id"),
    )


def remove(db: sqlite_utils.Database, case_id: str, member_id: int) -> None:
    db.execute("DELETE FROM recusals WHERE case_id = ? AND member_id = ?", [case_id, member_id])


def _rows(
    db: sqlite_utils.Database, keys: EventKeys, where: str, args: list[object]
) -> list[tuple[str, int]]:
    found = []
    for case_id, member_id, at, mac in db.execute(
        f"SELECT case_id, member_id, at, mac FROM recusals WHERE {where}", args
    ):
        if not isinstance(mac, bytes) or not same(_mac(keys, str(case_id), int(member_id), str(at)), mac):
            raise IntegrityFailure(f"a recusal on {case_id} was altered outside cocdesk")
        found.append((str(case_id), int(member_id)))
    return found


def for_case(db: sqlite_utils.Database, keys: EventKeys, case_id: str) -> set[int]:
    """Members recused from `case_id`."""
    return {m for _, m in _rows(db, keys, "case_id = ?", [case_id])}


def for_member(db: sqlite_utils.Database, keys: EventKeys, member_id: int) -> set[str]:
    """Cases `member_id` is recused from."""
    return {c for c, _ in _rows(db, keys, "member_id = ?", [member_id])}


def by_case(db: sqlite_utils.Database, keys: EventKeys) -> dict[str, set[int]]:
    """Every recusal, each MAC-checked, as case id -> members recused (one read for all cases)."""
    found: dict[str, set[int]] = {}
    for case_id, member_id in _rows(db, keys, "1 = 1", []):
        found.setdefault(case_id, set()).add(member_id)
    return found


def check_all(db: sqlite_utils.Database, keys: EventKeys) -> None:
    _rows(db, keys, "1 = 1", [])
