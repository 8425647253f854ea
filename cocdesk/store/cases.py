"""Case rows, their sealed fields, sealed keys and blind-index tags.

The plain columns of a case (status, category, urgency, holder) and the list
of its sealed fields carry a MAC under the event key, so editing them in the
file, or deleting a field (a note, the checklist), is detected on read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

import sqlite_utils

from cocdesk.domain.status import Status
from cocdesk.errors import IntegrityFailure, NotFound
from cocdesk.store import meta
from cocdesk.store.encoding import canonical
from cocdesk.vault.keyed_hash import EventKeys, same

LAST_SEQ = "last_case_seq"
CASE_COLUMNS = (
    "id, seq, created_at, updated_at, status, category, urgent, holder, mac, fields, outcome, actions, uid"
)


@dataclass(frozen=True)
class CaseRow:
    id: str
    seq: int
    created_at: str
    updated_at: str
    status: Status
    category: str
    urgent: bool
    holder: int | None
    fields: tuple[str, ...] = ()  # the names of its sealed fields: the manifest
    outcome: str = ""  # the decision's outcome (steps.Outcome), once decided
    actions: tuple[str, ...] = ()  # the decision's action codes
    uid: str = ""  # the id a handoff bundle matches the case by, across vaults

    def with_fields(self, names: Iterable[str]) -> CaseRow:
        return replace(self, fields=tuple(sorted(set(names))))


def case_id_for(seq: int) -> str:
    return f"C-{seq:04d}"


def _mac(keys: EventKeys, row: CaseRow) -> bytes:
    # Action codes join with the outcome even without one: codes written into an
    # undecided case's row must not pass as authentic.
    decided = bool(row.outcome or row.actions)
    # With a uid every optional part is present, so no shorter tuple can pass for it.
    has_uid = bool(row.uid)
    return keys.record_mac(
        canonical(
            (
                "case",
                row.id,
                row.seq,
                row.created_at,
                row.updated_at,
                row.status.value,
                row.category,
                int(row.urgent),
                row.holder,
                # Later columns join the MAC only once set, so older records still verify.
                *((",".join(row.fields),) if row.fields or decided or has_uid else ()),
                *((row.outcome, ",".join(row.actions)) if decided or has_uid else ()),
                *(("uid", row.uid) if has_uid else ()),
            )
        )
    )


def _checked(keys: EventKeys, raw: tuple[object, ...]) -> CaseRow:
    case_id = str(raw[0])
    try:
        row = CaseRow(
            id=case_id,
            seq=int(raw[1]),  # type: ignore[call-overload]
            created_at=str(raw[2]),
            updated_at=str(raw[3]),
            status=Status(str(raw[4])),
            category=str(raw[5] or ""),
            urgent=bool(raw[6]),
            holder=None if raw[7] is None else int(raw[7]),  # type: ignore[call-overload]
            fields=tuple(str(raw[9]).split(",")) if raw[9] else (),
            outcome=str(raw[10] or ""),
            actions=tuple(str(raw[11]).split(",")) if raw[11] else (),
            uid=str(raw[12] or ""),
        )
    except (TypeError, ValueError):
        raise IntegrityFailure(f"case {case_id} has a damaged record") from None
    stored = raw[8]
    if not isinstance(stored, bytes) or not same(_mac(keys, row), stored):
        raise IntegrityFailure(f"case {case_id} was altered outside cocdesk")
    return row


def next_seq(db: sqlite_utils.Database, keys: EventKeys) -> int:
    """Take the next case number (inside the caller's write transaction).

    Numbers only ever go up: a purged case's id is never handed out again, so
    the audit log's entries for it can never be mistaken for a new case's.
    """
    meta.check(db, keys)  # never re-MAC settings someone edited while the vault was open
    in_cases = int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM cases").fetchone()[0])
    seq = max(in_cases, int(meta.get(db, LAST_SEQ) or 0)) + 1
    meta.put(db, LAST_SEQ, str(seq))
    meta.seal(db, keys)
    return seq


# Writes are plain SQL through the Database: sqlite-utils' table.insert/upsert
# introspect the schema on every call (about ten statements each), and a save
# makes eight of them.
_INSERT_CASE = "INSERT INTO cases ({}) VALUES ({})".format(CASE_COLUMNS, ", ".join("?" * 13))
_UPDATE_CASE = "UPDATE cases SET {} WHERE id = ?".format(
    ", ".join(f"{c.strip()} = ?" for c in CASE_COLUMNS.split(",")[1:])
)


def insert(db: sqlite_utils.Database, keys: EventKeys, row: CaseRow) -> None:
    db.execute(_INSERT_CASE, _values(keys, row))


def update(db: sqlite_utils.Database, keys: EventKeys, row: CaseRow) -> None:
    values = _values(keys, row)
    if db.execute(_UPDATE_CASE, [*values[1:], row.id]).rowcount != 1:
        raise NotFound(f"there is no case {row.id}")


def _values(keys: EventKeys, row: CaseRow) -> list[object]:
    """The row's columns in CASE_COLUMNS order, its MAC computed afresh."""
    d = _as_dict(keys, row)
    return [d[c.strip()] for c in CASE_COLUMNS.split(",")]


def _as_dict(keys: EventKeys, row: CaseRow) -> dict[str, object]:
    return {
        "id": row.id,
        "seq": row.seq,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "status": row.status.value,
        "category": row.category,
        "urgent": int(row.urgent),
        "holder": row.holder,
        "mac": _mac(keys, row),
        "fields": ",".join(row.fields) or None,
        "outcome": row.outcome or None,
        "actions": ",".join(row.actions) or None,
        "uid": row.uid or None,
    }


def get(db: sqlite_utils.Database, keys: EventKeys, case_id: str) -> CaseRow | None:
    raw = db.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = ?", [case_id]).fetchone()
    return _checked(keys, raw) if raw else None


def for_member(db: sqlite_utils.Database, keys: EventKeys, member_id: int) -> list[CaseRow]:
    """Every case the member holds a sealed key for, oldest first."""
    cursor = db.execute(
        f"SELECT {CASE_COLUMNS} FROM cases WHERE id IN "
        f"(SELECT case_id FROM case_keys WHERE member_id = ? AND case_id NOT IN ({STEPPED_OUT})) "
        "ORDER BY seq",
        [member_id, *_stepped_out_args(member_id)],
    )
    return [_checked(keys, raw) for raw in cursor]


def all_rows(db: sqlite_utils.Database, keys: EventKeys) -> list[CaseRow]:
    return [_checked(keys, raw) for raw in db.execute(f"SELECT {CASE_COLUMNS} FROM cases ORDER BY seq")]


def finished_before(
    db: sqlite_utils.Database, keys: EventKeys, statuses: Iterable[str], before: str
) -> list[CaseRow]:
    """Cases in these statuses last updated at or before `before` (a stored stamp), MAC-checked.

    Chosen in SQL (stamps are ISO UTC, so they sort as text): the queue's retention
    line asks on every return to the queue, and must not read every case to say "none".
    """
    wanted = list(statuses)
    marks = ",".join("?" * len(wanted))
    cursor = db.execute(
        f"SELECT {CASE_COLUMNS} FROM cases WHERE status IN ({marks}) AND updated_at <= ? ORDER BY seq",
        [*wanted, before],
    )
    return [_checked(keys, raw) for raw in cursor]


def put_sealed_key(db: sqlite_utils.Database, case_id: str, member_id: int, sealed: bytes) -> None:
    db.execute(
        "INSERT INTO case_keys (case_id, member_id, sealed) VALUES (?, ?, ?) "
        "ON CONFLICT(case_id, member_id) DO UPDATE SET sealed = excluded.sealed",
        [case_id, member_id, sealed],
    )


def sealed_key(db: sqlite_utils.Database, case_id: str, member_id: int) -> bytes | None:
    row = db.execute(
        "SELECT sealed FROM case_keys WHERE case_id = ? AND member_id = ?", [case_id, member_id]
    ).fetchone()
    return bytes(row[0]) if row else None


def sealed_keys_for(db: sqlite_utils.Database, member_id: int) -> dict[str, bytes]:
    """The member's key copies, less those of cases they stepped out of.

    A copy of a stepped-out case should not exist; one put back from an older copy
    of the file must still open nothing (verify reports it).
    """
    cursor = db.execute(
        f"SELECT case_id, sealed FROM case_keys WHERE member_id = ? AND case_id NOT IN ({STEPPED_OUT})",
        [member_id, *_stepped_out_args(member_id)],
    )
    return {str(case_id): bytes(sealed) for case_id, sealed in cursor}


RECUSED = "case.recused"  # audit kinds; the member whose conflict it is is the entry's detail
LIFTED = "case.recusal_lifted"
# The cases a member stepped out of: by the recusal records, and by the audit log's last
# word on them (a recusal row deleted in the file does not end a recusal).
STEPPED_OUT = (
    "SELECT case_id FROM recusals WHERE member_id = ? UNION "
    "SELECT a.case_id FROM audit a WHERE a.kind = ? AND a.detail = ? AND a.case_id IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM audit b WHERE b.case_id = a.case_id AND b.kind = ? "
    "AND b.detail = a.detail AND b.seq > a.seq)"
)


def _stepped_out_args(member_id: int) -> list[object]:
    return [member_id, RECUSED, str(member_id).encode("ascii"), LIFTED]


def stepped_out(db: sqlite_utils.Database, member_id: int) -> set[str]:
    return {str(r[0]) for r in db.execute(STEPPED_OUT, _stepped_out_args(member_id))}


def has_stepped_out(db: sqlite_utils.Database, case_id: str, member_id: int) -> bool:
    """True if the member stepped out of this case (recusal record, or the audit log's last word)."""
    row = db.execute(
        "SELECT 1 FROM recusals WHERE case_id = ? AND member_id = ? UNION "
        "SELECT 1 FROM audit a WHERE a.case_id = ? AND a.kind = ? AND a.detail = ? "
        "AND NOT EXISTS (SELECT 1 FROM audit b WHERE b.case_id = a.case_id AND b.kind = ? "
        "AND b.detail = a.detail AND b.seq > a.seq) LIMIT 1",
        [case_id, member_id, case_id, RECUSED, str(member_id).encode("ascii"), LIFTED],
    ).fetchone()
    return row is not None


def all_key_copies(db: sqlite_utils.Database) -> dict[str, set[int]]:
    """Every case's key holders (case id -> member ids), in one read."""
    found: dict[str, set[int]] = {}
    for case_id, member_id in db.execute("SELECT case_id, member_id FROM case_keys"):
        if not isinstance(member_id, int):
            raise IntegrityFailure(f"a key copy of {case_id} has a damaged record")
        found.setdefault(str(case_id), set()).add(member_id)
    return found


def put_fields(db: sqlite_utils.Database, case_id: str, sealed: Mapping[str, bytes]) -> None:
    for f, c in sealed.items():
        db.execute(
            "INSERT INTO case_fields (case_id, field, ciphertext) VALUES (?, ?, ?) "
            "ON CONFLICT(case_id, field) DO UPDATE SET ciphertext = excluded.ciphertext",
            [case_id, f, c],
        )


def fields(db: sqlite_utils.Database, case_id: str, names: Iterable[str] | None = None) -> dict[str, bytes]:
    cursor = db.execute("SELECT field, ciphertext FROM case_fields WHERE case_id = ?", [case_id])
    wanted = None if names is None else set(names)
    return {str(f): bytes(c) for f, c in cursor if wanted is None or f in wanted}


def field_names(db: sqlite_utils.Database, case_id: str) -> set[str]:
    return {str(r[0]) for r in db.execute("SELECT field FROM case_fields WHERE case_id = ?", [case_id])}


def check_manifest(row: CaseRow, present: Iterable[str]) -> None:
    """Every field the case's MACed manifest lists is there, and nothing else."""
    if row.fields and set(row.fields) != set(present):
        raise IntegrityFailure(f"{row.id} is missing a sealed field, or has one too many")


def tags(db: sqlite_utils.Database, case_id: str) -> set[bytes]:
    return {bytes(r[0]) for r in db.execute("SELECT tag FROM blind_index WHERE case_id = ?", [case_id])}


def put_tags(db: sqlite_utils.Database, case_id: str, tags: Iterable[bytes]) -> None:
    db.execute("DELETE FROM blind_index WHERE case_id = ?", [case_id])
    for t in dict.fromkeys(tags):
        db.execute("INSERT INTO blind_index (case_id, tag) VALUES (?, ?)", [case_id, t])


def cases_with_tags(db: sqlite_utils.Database, tags: Iterable[bytes], member_id: int) -> set[str]:
    """Ids of cases, among those the member may open, whose index holds any of `tags`."""
    wanted = list(dict.fromkeys(tags))
    if not wanted:
        return set()
    marks = ",".join("?" * len(wanted))
    cursor = db.execute(
        f"SELECT DISTINCT b.case_id FROM blind_index b JOIN case_keys k "
        f"ON k.case_id = b.case_id AND k.member_id = ? WHERE b.tag IN ({marks})",
        [member_id, *wanted],
    )
    return {str(r[0]) for r in cursor}


def outcomes(db: sqlite_utils.Database, keys: EventKeys, case_ids: Iterable[str]) -> dict[str, str]:
    """The decision outcome of each case ("" if undecided), each row's MAC checked first."""
    ids = list(case_ids)
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cursor = db.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE id IN ({marks})", ids)
    return {row.id: row.outcome for row in (_checked(keys, raw) for raw in cursor)}


def remove_sealed_key(db: sqlite_utils.Database, case_id: str, member_id: int) -> None:
    db.execute("DELETE FROM case_keys WHERE case_id = ? AND member_id = ?", [case_id, member_id])


def key_holders(db: sqlite_utils.Database, case_id: str) -> set[int]:
    return {int(r[0]) for r in db.execute("SELECT member_id FROM case_keys WHERE case_id = ?", [case_id])}


def delete(db: sqlite_utils.Database, case_id: str) -> None:
    """Every row of a case: fields, index tags, sealed keys, then the case itself."""
    for table in ("case_fields", "blind_index", "case_keys", "recusals"):
        db.execute(f"DELETE FROM {table} WHERE case_id = ?", [case_id])
    db.execute("DELETE FROM cases WHERE id = ?", [case_id])


def by_uid(db: sqlite_utils.Database, keys: EventKeys, uid: str) -> CaseRow | None:
    raw = db.execute(f"SELECT {CASE_COLUMNS} FROM cases WHERE uid = ?", [uid]).fetchone()
    return _checked(keys, raw) if raw else None
