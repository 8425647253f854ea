"""Team members' rows: name, role, wrapped key pair, and their copy of the event key.

Two seals on each row: an unkeyed checksum, so a damaged row reads as damage
before anyone is unlocked (not as "wrong passphrase" or "no such member"), and
a MAC under the event key, so nobody without a key can promote a responder to
lead or swap in a public key of their own to receive future case keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlite_utils
from nacl import hash as nacl_hash
from nacl.encoding import RawEncoder

from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure, NotFound
from cocdesk.store.encoding import canonical
from cocdesk.vault.kdf import KdfParams
from cocdesk.vault.keyed_hash import EventKeys, same
from cocdesk.vault.member_keys import WrappedKey

COLUMNS = (
    "id, name, role, active, public_key, wrapped_key, salt, opslimit, memlimit, checksum, mac, created_at"
)


@dataclass(frozen=True)
class MemberRow:
    id: int
    name: str
    role: Role
    active: bool
    key: WrappedKey
    created_at: str = ""


def _identity(row: MemberRow) -> bytes:
    return canonical(
        ("member", row.id, row.name, row.role.value, int(row.active), row.key.public_key, row.created_at)
    )


def _checksum(row: MemberRow) -> bytes:
    k = row.key
    data = _identity(row) + canonical((k.wrapped, k.salt, k.params.opslimit, k.params.memlimit))
    return nacl_hash.blake2b(data, digest_size=16, person=b"cocdesk-member", encoder=RawEncoder)


def _row(raw: tuple[Any, ...]) -> MemberRow:
    try:
        row = MemberRow(
            id=int(raw[0]),
            name=str(raw[1]),
            role=Role(str(raw[2])),
            active=bool(raw[3]),
            key=WrappedKey(
                public_key=bytes(raw[4]),
                wrapped=bytes(raw[5]),
                salt=bytes(raw[6]),
                params=KdfParams(int(raw[7]), int(raw[8])),
            ),
            created_at=str(raw[11]),
        )
    except (TypeError, ValueError):
        raise IntegrityFailure("a team member's record is damaged") from None
    if not isinstance(raw[9], bytes) or not same(_checksum(row), raw[9]):
        raise IntegrityFailure(f"the team member record #{row.id} is damaged")
    return row


def check_mac(db: sqlite_utils.Database, keys: EventKeys, row: MemberRow) -> None:
    """Refuse a member record edited outside cocdesk (role, name or public key)."""
    stored = db.execute("SELECT mac FROM members WHERE id = ?", [row.id]).fetchone()
    if (
        stored is None
        or not isinstance(stored[0], bytes)
        or not same(keys.record_mac(_identity(row)), stored[0])
    ):
        raise IntegrityFailure(f"the team member record #{row.id} was altered outside cocdesk")


def next_id(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM members").fetchone()
    return int(row[0])


def insert(
    db: sqlite_utils.Database,
    keys: EventKeys,
    member_id: int,
    name: str,
    role: Role,
    key: WrappedKey,
    at: str,
) -> None:
    row = MemberRow(id=member_id, name=name, role=role, active=True, key=key, created_at=at)
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
            "checksum": _checksum(row),
            "mac": keys.record_mac(_identity(row)),
            "created_at": at,
            "active": 1,
        }
    )


def all_members(db: sqlite_utils.Database) -> list[MemberRow]:
    """Every member, each row checked for damage."""
    return [_row(r) for r in db.execute(f"SELECT {COLUMNS} FROM members ORDER BY id")]


def by_name(db: sqlite_utils.Database, name: str) -> MemberRow | None:
    # Read them all: a damaged row must read as damage, not as "no such member".
    return next((m for m in all_members(db) if m.name == name), None)


def by_id(db: sqlite_utils.Database, member_id: int) -> MemberRow | None:
    return next((m for m in all_members(db) if m.id == member_id), None)


def put_event_key(db: sqlite_utils.Database, member_id: int, sealed: bytes) -> None:
    db.table("event_keys").upsert({"member_id": member_id, "sealed": sealed}, pk="member_id")


def event_key(db: sqlite_utils.Database, member_id: int) -> bytes | None:
    row = db.execute("SELECT sealed FROM event_keys WHERE member_id = ?", [member_id]).fetchone()
    return bytes(row[0]) if row else None


def update(db: sqlite_utils.Database, keys: EventKeys, row: MemberRow) -> None:
    """Rewrite a member's record (a new key, a removal), checksum and MAC renewed."""
    k = row.key
    db.table("members").update(
        row.id,
        {
            "name": row.name,
            "role": row.role.value,
            "active": int(row.active),
            "public_key": k.public_key,
            "wrapped_key": k.wrapped,
            "salt": k.salt,
            "opslimit": k.params.opslimit,
            "memlimit": k.params.memlimit,
            "checksum": _checksum(row),
            "mac": keys.record_mac(_identity(row)),
        },
    )


def delete_event_key(db: sqlite_utils.Database, member_id: int) -> None:
    db.execute("DELETE FROM event_keys WHERE member_id = ?", [member_id])


def active_by_name(db: sqlite_utils.Database, keys: EventKeys, name: str) -> MemberRow:
    """The active member called `name`, their record checked under its MAC, or NotFound."""
    member = by_name(db, name)
    if member is None or not member.active:
        raise NotFound(f"there is no active member called '{name}'")
    check_mac(db, keys, member)
    return member
