"""Team members' rows: name, role, wrapped key pair, and their copy of the event key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils

from cocdesk.domain.roles import Role
from cocdesk.vault.kdf import KdfParams
from cocdesk.vault.member_keys import WrappedKey


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    role: Role
    key: WrappedKey
    checksum: bytes
    active: bool


def _row(raw: dict[str, Any]) -> MemberRow:
    return MemberRow(
        id=int(raw["id"]),
        name=str(raw["name"]),
        role=Role(str(raw["role"])),
        key=WrappedKey(
            public_key=bytes(raw["public_key"]),
            wrapped=bytes(raw["wrapped_key"]),
            salt=bytes(raw["salt"]),
            params=KdfParams(int(raw["opslimit"]), int(raw["memlimit"])),
        ),
        checksum=bytes(raw["checksum"]),
        active=bool(raw["active"]),
    )


def next_id(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM members").fetchone()
    return int(row[0])


def insert(
    db: sqlite_utils.Database, member_id: int, name: str, role: Role, key: WrappedKey, at: str
) -> None:
    db.table("members").insert(
        {
            "id": member_id,
            "name": name,
            "role": role.value,
            "public_key": key.public_key,
            "wrapped_key": key.wrapped,
            "salt": key.salt,
            "opslimit": key.params.opslimit,
            "memlimit": key.params.memlimit,
            "checksum": key.checksum(member_id),
            "created_at": at,
            "active": 1,
        }
    )


def by_name(db: sqlite_utils.Database, name: str) -> MemberRow | None:
    rows = list(db.table("members").rows_where("name = ?", [name]))
    return _row(rows[0]) if rows else None


def by_id(db: sqlite_utils.Database, member_id: int) -> MemberRow | None:
    rows = list(db.table("members").rows_where("id = ?", [member_id]))
    return _row(rows[0]) if rows else None


def all_members(db: sqlite_utils.Database) -> list[MemberRow]:
    return [_row(r) for r in db.table("members").rows_where(order_by="id")]


def put_event_key(db: sqlite_utils.Database, member_id: int, sealed: bytes) -> None:
    db.table("event_keys").upsert({"member_id": member_id, "sealed": sealed}, pk="member_id")


def event_key(db: sqlite_utils.Database, member_id: int) -> bytes | None:
    rows = list(db.table("event_keys").rows_where("member_id = ?", [member_id]))
    return bytes(rows[0]["sealed"]) if rows else None
