"""The store: schema migrations, write transactions, the audit chain, record MACs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cocdesk.errors import IntegrityFailure
from cocdesk.service import CaseService, Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store.connection import open_database, write
from cocdesk.store.schema import migrate, migrations
from cocdesk.vault.keyed_hash import EventKeys
from tests.conftest import sample_report

KEYS = EventKeys(bytes(32))


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    db = open_database(tmp_path / "x.db")
    migrate(db)
    migrate(db)
    assert [m.name for m in migrations.applied(db)] == [
        "0001_initial",
        "0002_drafts",
        "0003_audit_by_case",
        "0004_case_field_manifest",
        "0005_case_outcome",
        "0006_step_drafts",
        "0007_recusals",
        "0008_case_uid",
        "0009_draft_case",
        "0010_vault_seal",
    ]
    assert {"meta", "members", "cases", "case_keys", "case_fields", "blind_index", "audit", "drafts"} <= set(
        db.table_names()
    )


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    db = open_database(tmp_path / "x.db")
    migrate(db)
    with pytest.raises(RuntimeError), write(db):
        meta.put(db, "a", "1")
        raise RuntimeError("power cut")
    assert meta.get(db, "a") is None
    with write(db):
        meta.put(db, "a", "1")
    assert meta.get(db, "a") == "1"


def test_writes_take_the_lock_immediately(tmp_path: Path) -> None:
    one = open_database(tmp_path / "x.db")
    migrate(one)
    two = open_database(tmp_path / "x.db")
    two.conn.execute("PRAGMA busy_timeout=0")
    with write(one), pytest.raises(sqlite3.OperationalError, match="locked"):
        two.conn.execute("BEGIN IMMEDIATE")


def _log(tmp_path: Path, n: int = 4):  # type: ignore[no-untyped-def]
    db = open_database(tmp_path / "x.db")
    migrate(db)
    with write(db):
        for i in range(n):
            audit.append(db, KEYS, f"2026-05-02T15:00:0{i}Z", 1, "case.reported", f"C-000{i}")
    return db


def test_an_intact_audit_chain_verifies(tmp_path: Path) -> None:
    db = _log(tmp_path)
    assert audit.verify_chain(db, KEYS) == []
    assert [e.seq for e in audit.entries(db)] == [1, 2, 3, 4]


def test_an_edited_audit_entry_breaks_the_chain_there(tmp_path: Path) -> None:
    db = _log(tmp_path)
    db.execute("UPDATE audit SET kind = 'case.edited' WHERE seq = 2")
    assert "audit log: entry 2 was altered or reordered" in audit.verify_chain(db, KEYS)


def test_a_deleted_audit_entry_is_reported_missing(tmp_path: Path) -> None:
    db = _log(tmp_path)
    db.execute("DELETE FROM audit WHERE seq = 2")
    problems = audit.verify_chain(db, KEYS)
    assert "audit log: entry 2 is missing (next is 3)" in problems


def test_cutting_entries_off_the_end_is_caught_by_the_head(tmp_path: Path) -> None:
    db = _log(tmp_path)
    db.execute("DELETE FROM audit WHERE seq = 4")
    assert audit.verify_chain(db, KEYS) == ["audit log: 4 entries were written but 3 remain"]


def test_reordered_entries_are_caught(tmp_path: Path) -> None:
    db = _log(tmp_path)
    db.execute("UPDATE audit SET seq = seq + 100 WHERE seq IN (2, 3)")
    db.execute("UPDATE audit SET seq = 3 WHERE seq = 102")
    db.execute("UPDATE audit SET seq = 2 WHERE seq = 103")
    assert any("altered or reordered" in p for p in audit.verify_chain(db, KEYS))


def test_a_chain_recomputed_under_another_key_is_refused(tmp_path: Path) -> None:
    db = _log(tmp_path)
    assert audit.verify_chain(db, EventKeys(bytes([7]) * 32)) != []


def test_editing_a_case_status_in_the_file_is_detected(session: Session) -> None:
    case_id = CaseService(session).add_report(sample_report())
    session.db.execute("UPDATE cases SET status = 'closed' WHERE id = ?", [case_id])
    with pytest.raises(IntegrityFailure, match=f"case {case_id} was altered outside cocdesk"):
        case_store.get(session.db, session.event_keys, case_id)


def test_an_unknown_status_in_the_file_is_damage(session: Session) -> None:
    case_id = CaseService(session).add_report(sample_report())
    session.db.execute("UPDATE cases SET status = 'gone' WHERE id = ?", [case_id])
    with pytest.raises(IntegrityFailure, match="damaged record"):
        CaseService(session).list_cases()


def test_a_write_that_cannot_get_the_lock_says_the_vault_is_busy(tmp_path: Path) -> None:
    from cocdesk.errors import VaultBusy

    holder = open_database(tmp_path / "x.db")
    migrate(holder)
    waiting = open_database(tmp_path / "x.db")
    waiting.conn.execute("PRAGMA busy_timeout=50")
    with write(holder), pytest.raises(VaultBusy, match="the vault is busy"), write(waiting):
        meta.put(waiting, "a", "1")
    assert not waiting.conn.in_transaction
    assert meta.get(waiting, "a") is None


def test_reads_in_one_read_transaction_see_one_state(tmp_path: Path) -> None:
    from cocdesk.store.connection import read

    reader = open_database(tmp_path / "x.db")
    migrate(reader)
    writer = open_database(tmp_path / "x.db")
    with read(reader):
        before = meta.get(reader, "a")
        with write(writer):
            meta.put(writer, "a", "1")
        assert meta.get(reader, "a") == before  # the snapshot holds until the read ends
    assert meta.get(reader, "a") == "1"
