"""The append-only audit log, each entry chained to the last by a keyed hash.

Without the event key nobody can recompute a link, so editing, deleting or
reordering entries in the file breaks the chain where it happened. The head
(entry count + last hash) is MACed in meta, so cutting entries off the end is
caught too.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from cocdesk.errors import IntegrityFailure
from cocdesk.store import meta
from cocdesk.store.encoding import canonical
from cocdesk.vault.keyed_hash import EventKeys, same

GENESIS = b"\0" * 32
HEAD_KEY = "audit_head"


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    member_id: int | None
    kind: str
    case_id: str | None
    detail: bytes | None


def _entry_bytes(e: AuditEntry) -> bytes:
    return canonical((e.seq, e.at, e.member_id, e.kind, e.case_id, e.detail))


def _head_mac(keys: EventKeys, count: int, last: bytes) -> str:
    return keys.record_mac(canonical(("audit-head", count, last))).hex()


def append(
    db: sqlite_utils.Database,
    keys: EventKeys,
    at: str,
    member_id: int | None,
    kind: str,
    case_id: str | None = None,
    detail: bytes | None = None,
) -> int:
    """Add one entry (inside the caller's write transaction) and return its number."""
    row = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    seq, previous = (int(row[0]) + 1, bytes(row[1])) if row else (1, GENESIS)
    entry = AuditEntry(seq, at, member_id, kind, case_id, detail)
    link = keys.audit_link(previous, _entry_bytes(entry))
    # Plain SQL: sqlite-utils' table.insert introspects the schema on every call.
    db.execute(
        "INSERT INTO audit (seq, at, member_id, kind, case_id, detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [seq, at, member_id, kind, case_id, detail, link],
    )
    meta.put(db, HEAD_KEY, f"{seq}:{link.hex()}:{_head_mac(keys, seq, link)}")
    return seq


def entries(db: sqlite_utils.Database, case_id: str | None = None) -> list[AuditEntry]:
    # Plain SQL: rows_where introspects the table on every call (opening a case reads this).
    where, args = ("WHERE case_id = ?", [case_id]) if case_id else ("", [])
    return [
        AuditEntry(
            seq=int(seq),
            at=str(at),
            member_id=None if member_id is None else int(member_id),
            kind=str(kind),
            case_id=None if entry_case is None else str(entry_case),
            detail=None if detail is None else bytes(detail),
        )
        for seq, at, member_id, kind, entry_case, detail in db.execute(
            f"SELECT seq, at, member_id, kind, case_id, detail FROM audit {where} ORDER BY seq", args
        )
    ]


def head(db: sqlite_utils.Database) -> tuple[int, bytes]:
    """(entries written, newest hash) as the settings record them (verify_chain checks them)."""
    try:
        count, last, _ = (meta.get(db, HEAD_KEY) or "0::").split(":")
        return int(count or 0), bytes.fromhex(last)
    except ValueError:
        raise IntegrityFailure("the audit log's head record is damaged") from None


def hash_at(db: sqlite_utils.Database, seq: int) -> bytes | None:
    row = db.execute("SELECT hash FROM audit WHERE seq = ?", [seq]).fetchone()
    return bytes(row[0]) if row and isinstance(row[0], bytes) else None


def verify_chain(db: sqlite_utils.Database, keys: EventKeys) -> list[str]:
    """Recompute every link; return one line per problem found (empty = intact)."""
    problems: list[str] = []
    previous = GENESIS
    expected_seq = 1
    count = 0
    for r in db.execute("SELECT seq, at, member_id, kind, case_id, detail, hash FROM audit ORDER BY seq"):
        seq, at, member_id, kind, case_id, detail, stored = r
        entry = AuditEntry(seq, at, member_id, kind, case_id, detail)
        if seq != expected_seq:
            problems.append(f"audit log: entry {expected_seq} is missing (next is {seq})")
        link = keys.audit_link(previous, _entry_bytes(entry))
        if not isinstance(stored, bytes) or not same(link, stored):
            problems.append(f"audit log: entry {seq} was altered or reordered")
        previous = stored if isinstance(stored, bytes) else b""
        expected_seq = int(seq) + 1 if isinstance(seq, int) else expected_seq + 1
        count += 1
    head = meta.get(db, HEAD_KEY)
    if count == 0 and head is None:
        return problems
    try:
        head_seq, head_hash, head_mac = (head or "").split(":")
        ok = same(
            bytes.fromhex(head_mac),
            bytes.fromhex(_head_mac(keys, int(head_seq), bytes.fromhex(head_hash))),
        )
    except ValueError:
        ok = False
        head_seq, head_hash = "0", ""
    if not ok:
        problems.append("audit log: its head record was altered")
    elif int(head_seq) != count or bytes.fromhex(head_hash) != previous:
        problems.append(f"audit log: {head_seq} entries were written but {count} remain")
    return problems


def subject_id(entry: AuditEntry) -> int | None:
    """The member an entry is about (a recusal, a removal), kept in its detail as digits."""
    detail = entry.detail
    return int(detail) if detail and detail.isdigit() else None
