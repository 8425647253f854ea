"""Each member's unsaved drafts, one per kind (intake, a step form), as sealed blobs."""

from __future__ import annotations

import sqlite_utils

TABLES = frozenset({"drafts", "step_drafts"})


def _table(table: str) -> str:
    if table not in TABLES:  # the name goes into SQL: only ours
        raise ValueError(f"no draft table {table}")
    return table


def put(
    db: sqlite_utils.Database, member_id: int, updated_at: str, sealed: bytes, table: str = "drafts"
) -> None:
    # Plain SQL: sqlite-utils' table.upsert introspects the schema on every call.
    db.execute(
        f"INSERT INTO {_table(table)} (member_id, updated_at, sealed) VALUES (?, ?, ?) "
        "ON CONFLICT(member_id) DO UPDATE SET updated_at = excluded.updated_at, sealed = excluded.sealed",
        [member_id, updated_at, sealed],
    )


def get(db: sqlite_utils.Database, member_id: int, table: str = "drafts") -> tuple[str, bytes] | None:
    """The draft's time and sealed blob, if the member has one."""
    row = db.execute(
        f"SELECT updated_at, sealed FROM {_table(table)} WHERE member_id = ?", [member_id]
    ).fetchone()
    return (str(row[0]), bytes(row[1])) if row else None


def delete(db: sqlite_utils.Database, member_id: int, table: str = "drafts") -> None:
    db.execute(f"DELETE FROM {_table(table)} WHERE member_id = ?", [member_id])
