"""The vault's schema, as ordered migrations (sqlite-utils `Migrations`).

Each migration runs in its own transaction together with the record that it
ran, so an interrupted upgrade leaves the file at the previous version.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils.migrations import Migrations

from cocdesk.store.connection import scratch_database, write

migrations = Migrations("cocdesk")


@migrations(name="0001_initial")
def _initial(db: sqlite_utils.Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("members").create(
        {
            "id": int,
            "name": str,
            "role": str,
            "public_key": bytes,
            "wrapped_key": bytes,
            "salt": bytes,
            "opslimit": int,
            "memlimit": int,
            "checksum": bytes,
            "mac": bytes,
            "created_at": str,
            "active": int,
        },
        pk="id",
        not_null={"name", "role", "public_key", "wrapped_key", "salt", "checksum", "mac"},
    )
    db.table("members").create_index(["name"], unique=True)
    db.table("event_keys").create(
        {"member_id": int, "sealed": bytes},
        pk="member_id",
        foreign_keys=[("member_id", "members", "id")],
    )
    db.table("cases").create(
        {
            "id": str,
            "seq": int,
            "created_at": str,
            "updated_at": str,
            "status": str,
            "category": str,
            "urgent": int,
            "holder": int,
            "mac": bytes,
        },
        pk="id",
        not_null={"seq", "created_at", "updated_at", "status", "mac"},
        foreign_keys=[("holder", "members", "id")],
    )
    db.table("cases").create_index(["seq"], unique=True)
    db.table("case_keys").create(
        {"case_id": str, "member_id": int, "sealed": bytes},
        pk=("case_id", "member_id"),
        foreign_keys=[("case_id", "cases", "id"), ("member_id", "members", "id")],
    )
    db.table("case_keys").create_index(["member_id"])
    db.table("case_fields").create(
        {"case_id": str, "field": str, "ciphertext": bytes},
        pk=("case_id", "field"),
        foreign_keys=[("case_id", "cases", "id")],
    )
    db.table("blind_index").create(
        {"case_id": str, "tag": bytes},
        pk=("case_id", "tag"),
        foreign_keys=[("case_id", "cases", "id")],
    )
    db.table("blind_index").create_index(["tag"])
    # No foreign key to cases: the log outlives a purged case (that is its point).
    db.table("audit").create(
        {
            "seq": int,
            "at": str,
            "member_id": int,
            "kind": str,
            "case_id": str,
            "detail": bytes,
            "hash": bytes,
        },
        pk="seq",
        not_null={"at", "kind", "hash"},
    )


@migrations(name="0002_drafts")
def _drafts(db: sqlite_utils.Database) -> None:
    # One unsaved intake per member, sealed to that member alone, so work in
    # progress survives a crash or a lock without reaching the disk in the clear.
    db.table("drafts").create(
        {"member_id": int, "updated_at": str, "sealed": bytes},
        pk="member_id",
        foreign_keys=[("member_id", "members", "id")],
    )


@migrations(name="0003_audit_by_case")
def _audit_by_case(db: sqlite_utils.Database) -> None:
    # A case's timeline reads its audit entries; without this, every open scans the log.
    db.table("audit").create_index(["case_id", "seq"])


@migrations(name="0004_case_field_manifest")
def _case_field_manifest(db: sqlite_utils.Database) -> None:
    # The names of a case's sealed fields, covered by the case MAC: a deleted
    # note or checklist row then reads as damage, not as "nothing there".
    db.table("cases").add_column("fields", str)


@migrations(name="0005_case_outcome")
def _case_outcome(db: sqlite_utils.Database) -> None:
    # The decision's outcome and action codes stay plain (DESIGN.md): the
    # transparency report counts them and the blind index flags an escrow
    # without decrypting any case.
    db.table("cases").add_column("outcome", str)
    db.table("cases").add_column("actions", str)


@migrations(name="0006_step_drafts")
def _step_drafts(db: sqlite_utils.Database) -> None:
    # The meeting, decision and follow-up forms are drafted as typed, like intake,
    # in their own table so saving a report never drops a meeting's notes.
    db.table("step_drafts").create(
        {"member_id": int, "updated_at": str, "sealed": bytes},
        pk="member_id",
        foreign_keys=[("member_id", "members", "id")],
    )


@migrations(name="0007_recusals")
def _recusals(db: sqlite_utils.Database) -> None:
    # Who stepped out of which case (never why). The key side is the deleted
    # sealed copy; this record lets the case view and the queue say so.
    db.table("recusals").create(
        {"case_id": str, "member_id": int, "at": str, "mac": bytes},
        pk=("case_id", "member_id"),
        foreign_keys=[("case_id", "cases", "id"), ("member_id", "members", "id")],
        not_null={"at", "mac"},
    )


@migrations(name="0008_case_uid")
def _case_uid(db: sqlite_utils.Database) -> None:
    # A case's id across vaults: C-0007 here may be C-0031 at the committee, so a
    # handoff bundle matches cases by this random id instead. Older cases have
    # none until they are first put in a bundle (service/handoff.py).
    db.table("cases").add_column("uid", str)
    db.table("cases").create_index(["uid"], unique=True)


@migrations(name="0009_draft_case")
def _draft_case(db: sqlite_utils.Database) -> None:
    # Which case a draft is about (plain, like every case id), so purging a case
    # deletes every member's sealed draft of it, not only the purging member's.
    db.table("drafts").add_column("case_id", str)
    db.table("step_drafts").add_column("case_id", str)


@migrations(name="0010_vault_seal")
def _vault_seal(db: sqlite_utils.Database) -> None:
    # Each case's state hash, summed into the vault's seal (store/seal.py), so rows put
    # back from an older copy of the file disagree with it. Sealed at the next unlock:
    # this step has no key.
    db.table("cases").add_column("state", bytes)
    # Who stepped out of what is asked on every key lookup (store/cases.py STEPPED_OUT).
    db.table("audit").create_index(["kind", "case_id"])
    db.execute("INSERT INTO meta (key, value) VALUES ('vault_seal', 'pending') ON CONFLICT(key) DO NOTHING")


def expected_schema() -> set[tuple[str, str, str, str]]:
    """(type, name, table, sql) of every table and index a fresh vault has."""
    fresh = scratch_database()
    migrations.apply(fresh)
    return _schema(fresh)


def _schema(db: sqlite_utils.Database) -> set[tuple[str, str, str, str]]:
    # Everything but rootpage (page numbers legitimately differ between files).
    return {
        (str(t), str(n), str(tbl), str(q))
        for t, n, tbl, q in db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
    }


def schema_problems(db: sqlite_utils.Database) -> list[str]:
    """Differences between this file's schema and the one cocdesk creates."""
    found, wanted = _schema(db), expected_schema()
    names = {name for _, name, _, _ in found}
    problems = [
        f"schema: {kind} {name} differs from cocdesk's" for kind, name, _, _ in sorted(found - wanted)
    ]
    problems += [
        f"schema: {kind} {name} is missing"
        for kind, name, _, _ in sorted(wanted - found)
        if name not in names
    ]
    applied = [m.name for m in migrations.applied(db)]
    if applied != [m.name for m in migrations.pending(scratch_database())]:
        problems.append("schema: the record of applied migrations was altered")
    return problems


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the file up to the current schema (taking the write lock first)."""
    with write(db):
        migrations.apply(db)


def is_initialised(db: sqlite_utils.Database) -> bool:
    return db.table("meta").exists() and db.table("members").exists()
