"""Each member's unsaved drafts, one per kind (intake, a step form), as sealed blobs."""

from __future__ import annotations

import sqlite_utils

TABLES = frozenset({"drafts", "step_drafts"})


def _table(table: str) -> str:
    if table not in TABLES:  # the name goes into SQL: only ours
        raise ValueError(f"no draft table {table}")
    return table


def put(
    db: sqlite_utils.Database,
    member_id: int,
    updated_at: str,
    sealed: bytes,
    table: str = "drafts",
    case_id: str | None = None,
) -> None:
    # Plain SQL: sqlite-utils' table.upsert introspects the schema on every call.
    db.execute(
        f"INSERT INTO {_table(table)} (member_id, updated_at, sealed, case_id) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(member_id) DO UPDATE SET updated_at = excluded.updated_at, "
        "sealed = excluded.sealed, case_id = excluded.case_id",
        [member_id, updated_at, sealed, case_id],
    )


def get(
    db: sqlite_utils.Database, member_id: int, table: str = "drafts"
) -> tuple[str, bytes, str | None] | None:
    """The draft's time, sealed blob and the case it is about (if any), if the member has one."""
    row = db.execute(
        f"SELECT updated_at, sealed, case_id FROM {_table(table)} WHERE member_id = ?", [member_id]
    ).fetchone()
    return (str(row[0]), bytes(row[1]), None if row[2] is None else str(row[2])) if row else None


def delete_for_cases(db: sqlite_utils.Database, case_ids: list[str]) -> None:
    """Every member's drafts about these cases (a purge: sealed or not, nothing of them stays)."""
    if not case_ids:
        return
    marks = ",".join("?" * len(case_ids))
    for table in sorted(TABLES):
        db.execute(f"DELETE FROM {table} WHERE case_id IN ({marks})", case_ids)


def delete_of_member_for_case(db: sqlite_utils.Database, member_id: int, case_id: str) -> None:
    """One member's drafts about one case (they stepped out of it: their work on it goes too)."""
    for table in sorted(TABLES):
        db.execute(f"DELETE FROM {table} WHERE member_id = ? AND case_id = ?", [member_id, case_id])


def delete(db: sqlite_utils.Database, member_id: int, table: str = "drafts") -> None:
    db.execute(f"DELETE FROM {_table(table)} WHERE member_id = ?", [member_id])
