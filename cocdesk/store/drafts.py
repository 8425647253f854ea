"""Each member's one unsaved intake draft (a sealed blob)."""

from __future__ import annotations

import sqlite_utils


def put(db: sqlite_utils.Database, member_id: int, updated_at: str, sealed: bytes) -> None:
    db.table("drafts").upsert(
        {"member_id": member_id, "updated_at": updated_at, "sealed": sealed}, pk="member_id"
    )


def get(db: sqlite_utils.Database, member_id: int) -> tuple[str, bytes] | None:
    """The draft's time and sealed blob, if the member has one."""
    row = db.execute("SELECT updated_at, sealed FROM drafts WHERE member_id = ?", [member_id]).fetchone()
    return (str(row[0]), bytes(row[1])) if row else None


def delete(db: sqlite_utils.Database, member_id: int) -> None:
    db.execute("DELETE FROM drafts WHERE member_id = ?", [member_id])
