"""SECURITY.md battery 13: someone holds the file and an older copy of it, and no passphrase.

They put back one case's rows, one sealed field, the settings, or the whole file from
the older copy; cut the newest audit entries off and write back the old head; or delete
one member's key copy. Each time `cocdesk verify` exits 4 with a line naming what is
wrong, and the member who stepped out of the case opens nothing, whatever rows exist.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cocdesk import exit_codes
from cocdesk.cli import main
from cocdesk.domain.roles import Role
from cocdesk.errors import CocdeskError, IntegrityFailure
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.drafts import DraftService
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report, use_fast_kdf
from tests.security.attacker import attacker

KIM, KIM_PASSPHRASE = "Kim", "kim's passphrase"
SECRET = "written after Kim stepped out"
CASE, OTHER = "C-0001", "C-0002"


@dataclass
class Scene:
    """The current vault (`folder`) and an older copy of its file (`old`)."""

    folder: Path
    old: Path

    @property
    def db(self) -> Path:
        return database_path(self.folder)


def build(base: Path) -> Scene:
    """Two cases both members hold; an older copy; then Kim steps out of C-0001 and the
    lead corrects its account and adds a note Kim must never read."""
    folder = base / "vault"
    desk = Desk.create(
        folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    lead = desk.unlock(LEAD, LEAD_PASSPHRASE)
    TeamService(lead).add_member(KIM, Role.RESPONDER, KIM_PASSPHRASE, FAST_FOR_TESTS)
    cases = CaseService(lead)
    cases.add_report(sample_report("first account"))
    cases.add_report(sample_report("other"))
    old = base / "old.db"
    desk.backup(old)  # the older copy: any backup, synced copy or snapshot

    kim = desk.unlock(KIM, KIM_PASSPHRASE)
    DraftService(kim, "step").save({"case_id": CASE, "step": "meeting", "notes": "Kim's half-typed notes"})
    AccessService(kim).declare_conflict(CASE)
    cases.update_report(CASE, sample_report("corrected account"))
    cases.add_note(CASE, SECRET)
    lead.lock()
    kim.lock()
    desk.close()
    return Scene(folder, old)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    base = tmp_path_factory.mktemp("rollback")
    with pytest.MonkeyPatch.context() as mp:
        use_fast_kdf(mp)  # (module-scoped: built before the per-test fixture lowers the floor)
        mp.setenv("COCDESK_STATE", str(base / "laptop-state"))
        return build(base)


@pytest.fixture
def scene(pristine: Scene, tmp_path: Path) -> Scene:
    """A fresh copy of the scene for each attack (the vault's folder and the old file),
    opened once where it now lies, so this laptop has its record of it (service/seen.py)."""
    shutil.copytree(pristine.folder, tmp_path / "vault")
    shutil.copy(pristine.old, tmp_path / "old.db")
    desk = Desk.open(tmp_path / "vault")
    try:
        desk.unlock(LEAD, LEAD_PASSPHRASE).lock()
    finally:
        desk.close()
    return Scene(tmp_path / "vault", tmp_path / "old.db")


def cli(scene: Scene, member: str, *argv: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    passphrase = LEAD_PASSPHRASE if member == LEAD else KIM_PASSPHRASE
    monkeypatch.setenv("COCDESK_MEMBER", member)
    monkeypatch.setenv("COCDESK_PASSPHRASE", passphrase)
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data-dir", str(scene.folder), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


# -- the attacks ----------------------------------------------------------------------------
def put_back_rows(scene: Scene, table: str, where: str, args: list[object]) -> None:
    """Replace the rows of `table` matching `where` with the older copy's."""
    with attacker(scene.db) as conn:
        conn.execute("ATTACH DATABASE ? AS old", [str(scene.old)])
        conn.execute(f"DELETE FROM main.{table} WHERE {where}", args)
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table} WHERE {where}", args)
        conn.execute("DETACH DATABASE old")


def case_rows_from_old_copy(scene: Scene) -> None:
    """The whole case: its record, sealed fields, key copies and index tags."""
    for table in ("case_fields", "case_keys", "blind_index"):
        put_back_rows(scene, table, "case_id = ?", [CASE])
    with attacker(scene.db) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("ATTACH DATABASE ? AS old", [str(scene.old)])
        conn.execute("DELETE FROM main.cases WHERE id = ?", [CASE])
        conn.execute("INSERT INTO main.cases SELECT * FROM old.cases WHERE id = ?", [CASE])


def case_rows_and_recusal_from_old_copy(scene: Scene) -> None:
    """As above, and the recusal record deleted too (the older copy had none)."""
    case_rows_from_old_copy(scene)
    with attacker(scene.db) as conn:
        conn.execute("DELETE FROM recusals WHERE case_id = ?", [CASE])


def one_field_from_old_copy(scene: Scene) -> None:
    """Only the account, from before the correction."""
    put_back_rows(scene, "case_fields", "case_id = ? AND field = 'description'", [CASE])


def settings_from_old_copy(scene: Scene) -> None:
    """Every setting (counters, audit head, the seal itself) from the older copy."""
    put_back_rows(scene, "meta", "1 = 1", [])


def audit_tail_cut(scene: Scene) -> None:
    """The newest audit entries deleted, the older copy's head written back."""
    with attacker(scene.db) as conn:
        conn.execute("ATTACH DATABASE ? AS old", [str(scene.old)])
        last = conn.execute("SELECT MAX(seq) FROM old.audit").fetchone()[0]
        conn.execute("DELETE FROM main.audit WHERE seq > ?", [last])
    put_back_rows(scene, "meta", "key = 'audit_head'", [])


def audit_tail_cut_with_old_settings(scene: Scene) -> None:
    """The same, with every setting (and the seal) from the older copy."""
    audit_tail_cut(scene)
    settings_from_old_copy(scene)


def one_key_copy_deleted(scene: Scene) -> None:
    """Kim's copy of the other case: it vanishes from Kim's queue with no sign."""
    with attacker(scene.db) as conn:
        conn.execute("DELETE FROM case_keys WHERE case_id = ? AND member_id = 2", [OTHER])


def whole_file_from_old_copy(scene: Scene) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{scene.db}{suffix}").unlink(missing_ok=True)
    shutil.copy(scene.old, scene.db)


ATTACKS: dict[str, tuple[Callable[[Scene], None], str]] = {
    # attack: (how, what the first line of verify's refusal names)
    "case rows": (case_rows_from_old_copy, f"{CASE}: Kim stepped out of it but holds a key copy of it"),
    "case rows and recusal": (
        case_rows_and_recusal_from_old_copy,
        f"{CASE}: its recusal records differ from the audit log",
    ),
    "one sealed field": (one_field_from_old_copy, f"{CASE} does not match its sealed state"),
    "settings": (settings_from_old_copy, "older than the one this laptop last opened"),
    "audit tail": (audit_tail_cut, "the vault's settings are not the ones it last sealed"),
    "audit tail and settings": (
        audit_tail_cut_with_old_settings,
        "older than the one this laptop last opened",
    ),
    "one key copy": (one_key_copy_deleted, f"{OTHER}: no key copy for Kim"),
    "whole file": (whole_file_from_old_copy, "older than the one this laptop last opened"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_verify_exits_4_and_names_what_was_put_back(
    scene: Scene, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    how, named = ATTACKS[attack]
    assert cli(scene, LEAD, "verify", monkeypatch=monkeypatch)[0] == exit_codes.OK  # (proof it was whole)
    how(scene)
    code, out, err = cli(scene, LEAD, "verify", monkeypatch=monkeypatch)
    assert code == exit_codes.INTEGRITY, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err, err  # one line on stderr…
    assert named in out, out  # …and every problem on stdout, this one among them


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_member_who_stepped_out_opens_nothing(
    scene: Scene, attack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kim, by the command line after the edit and in an app left open before it."""
    if attack == "whole file":
        ATTACKS[attack][0](scene)  # (a file swapped under an open app is not a vault at all)
    else:
        _in_an_app_left_open(scene, attack)
    code, out, err = cli(scene, KIM, "export", CASE, "--format", "json", monkeypatch=monkeypatch)
    assert code in (exit_codes.ACCESS_DENIED, exit_codes.INTEGRITY), (code, err)
    assert SECRET not in out and "corrected account" not in out and "first account" not in out


def _in_an_app_left_open(scene: Scene, attack: str) -> None:
    desk = Desk.open(scene.folder)
    try:
        open_app = desk.unlock(KIM, KIM_PASSPHRASE)
        ATTACKS[attack][0](scene)
        with pytest.raises(CocdeskError):
            CaseService(open_app).open_case(CASE)
        assert CASE not in CaseService(open_app).search_texts()
    finally:
        desk.close()


def test_a_key_copy_put_back_is_refused_on_the_recusal_itself(scene: Scene) -> None:
    """Not on a missing copy: with the copy back, Kim's key lookup still says no."""
    case_rows_from_old_copy(scene)
    desk = Desk.open(scene.folder)
    try:
        with pytest.raises(IntegrityFailure):
            desk.unlock(KIM, KIM_PASSPHRASE)  # the seal: a case's rows were put back
    finally:
        desk.close()


def test_a_recusal_deletes_the_members_draft_of_that_case(pristine: Scene) -> None:
    """Kim's half-typed meeting notes of the case go with the recusal, not at the next unlock."""
    with attacker(pristine.db) as conn:
        rows = conn.execute("SELECT case_id FROM step_drafts WHERE member_id = 2").fetchall()
    assert rows == []
