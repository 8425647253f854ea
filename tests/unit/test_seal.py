"""The vault's seal (store/seal.py): kept current by every write, and broken by any row put back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.integrity import verify
from cocdesk.store import seal
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report, use_fast_kdf
from tests.security.attacker import attacker

FIXTURES = Path(__file__).parent.parent / "fixtures"
KIM, KIM_PASSPHRASE = "Kim", "kim's passphrase"


def test_every_write_keeps_the_seal_whole(cases: CaseService, session: Session) -> None:
    first = cases.add_report(sample_report("a"))
    cases.add_note(first, "a note")
    cases.update_report(first, sample_report("b"))
    TeamService(session).add_member(KIM, Role.RESPONDER, KIM_PASSPHRASE, FAST_FOR_TESTS)
    cases.purge(cases.add_report(sample_report("c")))
    assert seal.problems(session.db, session.event_keys, each_case=True) == []
    assert verify(session) == []


def test_a_worker_copy_keeps_the_seal_whole(cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    with session.worker_copy() as copy:
        CaseService(copy).add_note(case_id, "written from a worker thread's connection")
    assert verify(session) == []


def test_a_case_edited_in_the_file_while_open_is_not_sealed_in(
    cases: CaseService, session: Session, vault_dir: Path
) -> None:
    """The next save of that case stops, rather than sealing the edit as if cocdesk made it."""
    case_id = cases.add_report(sample_report("first"))
    before = bytes(
        session.db.execute(
            "SELECT ciphertext FROM case_fields WHERE case_id = ? AND field = 'description'", [case_id]
        ).fetchone()[0]
    )
    cases.update_report(case_id, sample_report("second"))
    with attacker(database_path(vault_dir)) as conn:
        conn.execute(
            "UPDATE case_fields SET ciphertext = ? WHERE case_id = ? AND field = 'description'",
            [before, case_id],
        )
    with pytest.raises(IntegrityFailure, match=f"{case_id} does not match its sealed state"):
        cases.open_case(case_id)
    with pytest.raises(IntegrityFailure, match=f"{case_id} does not match its sealed state"):
        cases.add_note(case_id, "a note on the tampered case")
    assert f"{case_id} does not match its sealed state" in " ".join(verify(session))


def test_the_seal_cannot_be_removed(cases: CaseService, session: Session) -> None:
    cases.add_report(sample_report())
    session.db.execute("DELETE FROM meta WHERE key = 'vault_seal'")
    assert "the vault's seal is missing: it was removed outside cocdesk" in verify(session)
    session.db.execute("INSERT INTO meta (key, value) VALUES ('vault_seal', 'pending')")
    assert "the vault's seal is missing: it was removed outside cocdesk" in verify(session)


def test_a_vault_written_before_the_seal_opens_and_is_sealed_on_first_unlock(tmp_path: Path) -> None:
    """A vault made by the release before the seal (migration 0009): it upgrades in place."""
    folder = tmp_path / "old"
    folder.mkdir()
    shutil.copy(FIXTURES / "vault-0009.db", database_path(folder))
    desk = Desk.open(folder)
    try:
        lead = desk.unlock(LEAD, LEAD_PASSPHRASE)
        assert verify(lead) == []
        view = CaseService(lead).open_case("C-0001")
        assert [n.text for n in view.notes] == ["a note from before the seal"]
        kim = desk.unlock(KIM, KIM_PASSPHRASE)
        assert [c.id for c in CaseService(kim).list_cases()] == ["C-0001"]  # Kim stepped out of C-0002
    finally:
        desk.close()
    # Sealed now: a case put back from the file as it was before the upgrade is caught.
    with attacker(database_path(folder)) as conn:
        conn.execute("ATTACH DATABASE ? AS old", [str(FIXTURES / "vault-0009.db")])
        conn.execute("DELETE FROM main.case_fields WHERE case_id = 'C-0001' AND field LIKE 'note:%'")
        conn.execute("UPDATE main.cases SET state = NULL WHERE id = 'C-0001'")
    desk = Desk.open(folder)
    try:
        with pytest.raises(IntegrityFailure):
            desk.unlock(LEAD, LEAD_PASSPHRASE)
    finally:
        desk.close()


# -- property: any one row put back from any earlier state is caught ---------------------------
SEALED_TABLES = (
    "cases",
    "case_fields",
    "case_keys",
    "blind_index",
    "recusals",
    "meta",
    "members",
    "event_keys",
)


def _snapshot(db_path: Path) -> dict[str, set[tuple[object, ...]]]:
    with attacker(db_path) as conn:
        return {t: set(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in SEALED_TABLES}


@pytest.fixture(scope="module")
def history(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, list[dict[str, set[tuple[object, ...]]]]]:
    """A vault through a day's work, and the rows of every sealed table after each step."""
    base = tmp_path_factory.mktemp("seal-history")
    with pytest.MonkeyPatch.context() as mp:
        use_fast_kdf(mp)  # (module-scoped: built before the per-test fixture lowers the floor)
        mp.setenv("COCDESK_STATE", str(base / "state"))
        desk = Desk.create(base / "v", "E", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS)
        path = database_path(base / "v")
        lead = desk.unlock(LEAD, LEAD_PASSPHRASE)
        cases = CaseService(lead)
        states = [_snapshot(path)]
        steps = [
            lambda: TeamService(lead).add_member(KIM, Role.RESPONDER, KIM_PASSPHRASE, FAST_FOR_TESTS),
            lambda: cases.add_report(sample_report("one")),
            lambda: cases.add_report(sample_report("two")),
            lambda: cases.add_note("C-0001", "first note"),
            lambda: cases.update_report("C-0001", sample_report("one, corrected")),
            lambda: AccessService(desk.unlock(KIM, KIM_PASSPHRASE)).declare_conflict("C-0002"),
            lambda: cases.add_note("C-0002", "after Kim stepped out"),
        ]
        for step in steps:
            step()
            states.append(_snapshot(path))
        lead.lock()
        desk.close()
    return base, states


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_row_put_back_from_an_earlier_state_is_caught(
    history: tuple[Path, list[dict[str, set[tuple[object, ...]]]]],
    tmp_path_factory: pytest.TempPathFactory,
    data: st.DataObject,
) -> None:
    base, states = history
    now = states[-1]
    # (table, a row that existed at some earlier point and is not in the vault now)
    older = sorted(
        {(t, row) for state in states[:-1] for t in SEALED_TABLES for row in state[t] if row not in now[t]},
        key=repr,
    )
    table, row = data.draw(st.sampled_from(older))
    folder = tmp_path_factory.mktemp("put-back") / "v"
    shutil.copytree(base / "v", folder)
    with attacker(database_path(folder)) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        marks = ",".join("?" * len(row))
        conn.execute(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", list(row))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COCDESK_STATE", str(base / "state"))
        desk = Desk.open(folder)
        try:
            lead = desk.unlock(LEAD, LEAD_PASSPHRASE, check=False)
            assert verify(lead) != [], f"{table} row put back unnoticed: {row!r}"[:300]
        except IntegrityFailure:
            pass  # refused before verify could even start (a member or settings record)
        finally:
            desk.close()
