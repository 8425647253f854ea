"""Restoring a backup (service level, real files): verified before anything is replaced,
the old vault kept, byte for byte, until the restored one verifies."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cocdesk.domain.roles import Role
from cocdesk.errors import (
    CocdeskError,
    IntegrityFailure,
    NotAMember,
    RuleRefused,
    VaultExists,
    WrongPassphrase,
)
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service import restore as restore_module
from cocdesk.service.access import AccessService
from cocdesk.service.copies import backup
from cocdesk.service.integrity import verify
from cocdesk.service.restore import BackupInfo, restore
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report
from tests.unit.test_service_steps import Team, passphrase


def as_lead(names: list[str]) -> tuple[str, str]:
    assert LEAD in names
    return LEAD, LEAD_PASSPHRASE


LOCK = "cocdesk.lock"  # the empty file every cocdesk that opens the vault holds a flock on


def files(folder: Path) -> dict[str, bytes]:
    """Every file in the folder (and below) but the lock file, by relative path, with its bytes."""
    found = (p for p in sorted(folder.rglob("*")) if p.is_file() and p.name != LOCK)
    return {str(p.relative_to(folder)): p.read_bytes() for p in found}


def case_ids(folder: Path) -> list[str]:
    desk = Desk.open(folder, clock=lambda: FROZEN)
    try:
        session = desk.unlock(LEAD, LEAD_PASSPHRASE)
        assert verify(session) == []
        return [c.id for c in CaseService(session).list_cases()]
    finally:
        desk.close()


@pytest.fixture
def saved(desk: Desk, cases: CaseService, tmp_path: Path) -> Path:
    """A backup holding C-0001; the vault then gets C-0002 and is closed."""
    cases.add_report(sample_report("one"))
    target = tmp_path / "backup.db"
    backup(desk, cases.session, target)
    cases.add_report(sample_report("two"))
    desk.close()
    return target


def test_a_restore_brings_back_the_backup_and_the_later_change_is_gone(saved: Path, vault_dir: Path) -> None:
    assert case_ids(vault_dir) == ["C-0001", "C-0002"]
    asked: list[BackupInfo] = []

    def confirm(info: BackupInfo) -> bool:
        asked.append(info)
        return True

    done = restore(vault_dir, saved, as_lead, confirm, clock=lambda: FROZEN)
    assert done is not None
    assert asked == [
        BackupInfo(
            "PyColorado 2026",
            1,
            "2026-05-02T15:00:00Z",
            replaces=True,
            lacks=(
                "1 case not in the backup: C-0002",
                "the backup's audit log has 4 entries, the vault's 5",
            ),
        )
    ]
    assert case_ids(vault_dir) == ["C-0001"]
    # Only the vault is left: no copy aside, no private staging folder.
    assert sorted(os.listdir(vault_dir)) == ["cocdesk.db", LOCK]
    assert stat.S_IMODE((vault_dir / "cocdesk.db").stat().st_mode) == 0o600
    desk = Desk.open(vault_dir)
    try:
        kinds = [e.kind for e in audit.entries(desk.db)]
    finally:
        desk.close()
    assert kinds[-2:] == ["vault.backup", "vault.restored"]


def test_answering_no_changes_nothing(saved: Path, vault_dir: Path) -> None:
    before = files(vault_dir)
    assert restore(vault_dir, saved, as_lead, lambda info: False) is None
    assert files(vault_dir) == before


def test_a_restore_onto_a_fresh_laptop_just_installs(saved: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "new laptop" / "cocdesk"
    asked: list[BackupInfo] = []
    done = restore(fresh, saved, as_lead, lambda info: asked.append(info) or True)
    assert done is not None and asked[0].replaces is False
    assert case_ids(fresh) == ["C-0001"]
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert stat.S_IMODE((fresh / "cocdesk.db").stat().st_mode) == 0o600


# -- refused backups: the vault is byte-identical and still opens ---------------------------------
def flip_a_ciphertext_byte(path: Path, vault_dir: Path) -> None:
    desk = Desk.open(vault_dir)
    try:
        blob = bytes(desk.db.execute("SELECT ciphertext FROM case_fields LIMIT 1").fetchone()[0])
    finally:
        desk.close()
    data = bytearray(path.read_bytes())
    at = data.find(blob)
    assert at > 0
    data[at + len(blob) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def truncate(path: Path, vault_dir: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def not_a_vault(path: Path, vault_dir: Path) -> None:
    path.write_text("name,contact\nAna,ana@example.org\n", encoding="utf-8")


def another_sqlite_file(path: Path, vault_dir: Path) -> None:
    import sqlite3

    path.unlink()
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()


DAMAGE: list[Callable[[Path, Path], None]] = [
    flip_a_ciphertext_byte,
    truncate,
    not_a_vault,
    another_sqlite_file,
]


@pytest.mark.parametrize("damage", DAMAGE, ids=lambda f: f.__name__)
def test_a_damaged_backup_is_refused_and_the_vault_is_untouched(
    saved: Path, vault_dir: Path, damage: Callable[[Path, Path], None]
) -> None:
    damage(saved, vault_dir)
    before = files(vault_dir)
    with pytest.raises(IntegrityFailure) as caught:
        restore(vault_dir, saved, as_lead)
    message = str(caught.value)
    assert "\n" not in message and message.endswith("the vault was not changed")
    assert str(saved) in message
    assert files(vault_dir) == before
    assert case_ids(vault_dir) == ["C-0001", "C-0002"]


@pytest.mark.parametrize(
    ("who", "error"),
    [((LEAD, "not the passphrase"), WrongPassphrase), (("Nobody", LEAD_PASSPHRASE), NotAMember)],
)
def test_a_wrong_passphrase_or_member_is_refused_and_the_vault_is_untouched(
    saved: Path, vault_dir: Path, who: tuple[str, str], error: type[CocdeskError]
) -> None:
    before = files(vault_dir)
    with pytest.raises(error):
        restore(vault_dir, saved, lambda names: who)
    assert files(vault_dir) == before
    assert case_ids(vault_dir) == ["C-0001", "C-0002"]


def test_a_failed_restore_onto_a_fresh_folder_leaves_no_folder(saved: Path, tmp_path: Path) -> None:
    truncate(saved, tmp_path)
    fresh = tmp_path / "fresh"
    with pytest.raises(IntegrityFailure):
        restore(fresh, saved, as_lead)
    assert not fresh.exists()


# -- the old vault's -wal and -shm go with it, and come back with it -------------------------------
def crashed_copy(desk: Desk, folder: Path, into: Path) -> None:
    """The vault's files as a crash leaves them: committed changes still in the -wal."""
    desk.db.execute("PRAGMA wal_autocheckpoint=0")
    CaseService(desk.unlock(LEAD, LEAD_PASSPHRASE)).add_report(sample_report("in the wal"))
    into.mkdir(mode=0o700)
    for name in ("cocdesk.db", "cocdesk.db-wal", "cocdesk.db-shm"):
        shutil.copy2(folder / name, into / name)
    assert (into / "cocdesk.db-wal").stat().st_size > 0


def test_the_old_vaults_wal_is_never_applied_to_the_restored_one(
    desk: Desk, cases: CaseService, vault_dir: Path, tmp_path: Path
) -> None:
    cases.add_report(sample_report("one"))
    saved = tmp_path / "backup.db"
    backup(desk, cases.session, saved)
    crashed = tmp_path / "crashed"
    crashed_copy(desk, vault_dir, crashed)
    desk.close()
    restore(crashed, saved, as_lead)
    assert sorted(os.listdir(crashed)) == ["cocdesk.db", LOCK]
    assert case_ids(crashed) == ["C-0001"]


def test_when_the_installed_copy_fails_its_check_the_old_vault_comes_back_as_it_was(
    desk: Desk, cases: CaseService, vault_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases.add_report(sample_report("one"))
    saved = tmp_path / "backup.db"
    backup(desk, cases.session, saved)
    crashed = tmp_path / "crashed"
    crashed_copy(desk, vault_dir, crashed)
    desk.close()
    # Restore unlocks the vault it replaces (to check the member may, and to list what
    # the backup lacks); opening it folds its -wal in, as any cocdesk that opens it does.
    Desk.open(crashed).close()
    before = files(crashed)
    real = restore_module.verify
    calls: list[int] = []

    def second_check_fails(session: object, **options: bool) -> list[str]:
        calls.append(1)
        # The backup itself passes; the installed copy (the second check) is reported damaged.
        return real(session, **options) if len(calls) == 1 else ["sqlite: simulated damage after the rename"]  # type: ignore[arg-type]

    monkeypatch.setattr(restore_module, "verify", second_check_fails)
    with pytest.raises(IntegrityFailure, match="^the restored vault failed verification"):
        restore(crashed, saved, as_lead)
    assert len(calls) == 2
    assert files(crashed) == before
    monkeypatch.setattr(restore_module, "verify", real)
    assert case_ids(crashed) == ["C-0001", "C-0002"]


def test_a_copy_left_aside_by_an_interrupted_restore_is_never_overwritten(
    saved: Path, vault_dir: Path
) -> None:
    (vault_dir / "cocdesk.db.before-restore").write_bytes(b"an earlier vault")
    before = files(vault_dir)
    with pytest.raises(VaultExists, match="before-restore is left from an earlier restore"):
        restore(vault_dir, saved, as_lead)
    assert files(vault_dir) == before


def test_the_vault_itself_is_not_a_backup(saved: Path, vault_dir: Path) -> None:
    with pytest.raises(CocdeskError, match="is the vault itself, not a backup"):
        restore(vault_dir, vault_dir / "cocdesk.db", as_lead)


def test_a_vault_open_in_the_app_or_a_command_is_not_restored_over(saved: Path, vault_dir: Path) -> None:
    """Its saves would go to the file moved aside and be lost: refused before anything moves."""
    from cocdesk.errors import UsageProblem

    holder = Desk.open(vault_dir, clock=lambda: FROZEN)
    try:
        before = files(vault_dir)
        with pytest.raises(UsageProblem, match="the vault is open in cocdesk .*close it first"):
            restore(vault_dir, saved, as_lead)
        assert files(vault_dir) == before
    finally:
        holder.close()
    restore(vault_dir, saved, as_lead)
    assert case_ids(vault_dir) == ["C-0001"]


def test_a_vault_set_aside_by_a_crashed_restore_is_named_not_replaced(vault_dir: Path, saved: Path) -> None:
    """A kill between restore's renames leaves only cocdesk.db.before-restore: cocdesk says where
    the vault is, and neither opens an empty folder as "no vault" nor creates a new one over it."""
    (vault_dir / "cocdesk.db").rename(vault_dir / "cocdesk.db.before-restore")
    with pytest.raises(
        CocdeskError, match="a restore was interrupted: the vault is in cocdesk.db.before-restore"
    ):
        Desk.open(vault_dir)
    with pytest.raises(CocdeskError, match="rename it back to cocdesk.db"):
        Desk.create(vault_dir, "Another", LEAD, LEAD_PASSPHRASE)
    (vault_dir / "cocdesk.db.before-restore").rename(vault_dir / "cocdesk.db")
    assert case_ids(vault_dir) == ["C-0001", "C-0002"]


# -- who may restore, what the backup lacks, and what it may never undo ----------------------------
def with_backup(team: Team, tmp_path: Path) -> Path:
    """C-0001 held by the whole team, saved to a backup (the team's vault stays open)."""
    CaseService(team.sessions[LEAD]).add_report(sample_report("one"))
    saved = tmp_path / "team-backup.db"
    backup(team.desk, team.sessions[LEAD], saved)
    return saved


def as_member(name: str) -> Callable[[list[str]], tuple[str, str]]:
    return lambda names: (name, passphrase(name))


@contextmanager
def unlocked(folder: Path, name: str) -> Iterator[Session]:
    desk = Desk.open(folder, clock=lambda: FROZEN)
    try:
        yield desk.unlock(name, passphrase(name))
    finally:
        desk.close()


def test_a_responder_may_not_restore_over_the_vault(team: Team, vault_dir: Path, tmp_path: Path) -> None:
    """Any member with a backup could otherwise undo a decision or a recusal for the whole team."""
    saved = with_backup(team, tmp_path)
    CaseService(team.sessions[LEAD]).add_report(sample_report("two"))
    team.desk.close()
    before = files(vault_dir)
    with pytest.raises(RuleRefused) as caught:
        restore(vault_dir, saved, as_member("Kim"))
    assert (
        str(caught.value)
        == "only a lead or the chair restores a backup over the vault; the vault was not changed"
    )
    assert caught.value.exit_code == 1
    assert files(vault_dir) == before
    assert case_ids(vault_dir) == ["C-0001", "C-0002"]


@pytest.mark.parametrize("who", ["Jo", "Avery"])
def test_a_lead_or_the_chair_may_restore(team: Team, vault_dir: Path, tmp_path: Path, who: str) -> None:
    saved = with_backup(team, tmp_path)
    CaseService(team.sessions[LEAD]).add_report(sample_report("two"))
    team.desk.close()
    assert restore(vault_dir, saved, as_member(who)) is not None
    assert case_ids(vault_dir) == ["C-0001"]


def test_restore_names_what_the_backup_lacks_before_asking(
    team: Team, vault_dir: Path, tmp_path: Path
) -> None:
    saved = with_backup(team, tmp_path)
    at_backup = len(audit.entries(team.desk.db))
    robin = CaseService(team.sessions[LEAD])
    robin.add_note("C-0001", "written after the backup")
    robin.add_report(sample_report("two"))
    TeamService(team.sessions[LEAD]).add_member("Lee", Role.RESPONDER, passphrase("Lee"), FAST_FOR_TESTS)
    length = len(audit.entries(team.desk.db))
    team.desk.close()
    asked: list[BackupInfo] = []

    def no(info: BackupInfo) -> bool:
        asked.append(info)
        return False

    before = files(vault_dir)
    assert restore(vault_dir, saved, as_member(LEAD), no) is None
    assert files(vault_dir) == before
    [info] = asked
    assert info.lacks[0] == "1 case not in the backup: C-0002"
    assert info.lacks[1].startswith("C-0001 is older in the backup: last change 2026-05-02T15:00:00Z (")
    assert info.lacks[2] == "Lee (responder) is not on the team in the backup"
    assert info.lacks[3] == f"the backup's audit log has {at_backup} entries, the vault's {length}"
    assert len(info.lacks) == 4


def test_a_recusal_recorded_after_the_backup_still_holds_after_the_restore(
    team: Team, vault_dir: Path, tmp_path: Path
) -> None:
    """The attack of issue 14: Kim steps out, an old backup is restored, Kim reads the case again."""
    saved = with_backup(team, tmp_path)
    AccessService(team.sessions["Kim"]).declare_conflict("C-0001")
    CaseService(team.sessions[LEAD]).add_note("C-0001", "written after Kim stepped out")
    team.desk.close()
    asked: list[BackupInfo] = []
    restore(vault_dir, saved, as_member(LEAD), lambda info: asked.append(info) or True)
    assert "Kim stepped out of C-0001 after the backup: kept (the case is re-keyed)" in asked[0].lacks
    with unlocked(vault_dir, "Kim") as kim:
        with pytest.raises(NotAMember):
            kim.case_key("C-0001")
        assert team.ids["Kim"] not in case_store.key_holders(kim.db, "C-0001")
    with unlocked(vault_dir, LEAD) as robin:
        assert verify(robin) == []
        assert team.ids["Kim"] in AccessService(robin).recused("C-0001")
        assert AccessService(robin).access("C-0001").recused == ("Kim",)
        # The note written after Kim stepped out is not in the backup; what is, is re-keyed.
        assert "written after Kim stepped out" not in str(CaseService(robin).values("C-0001"))


def test_a_member_removed_after_the_backup_stays_removed(team: Team, vault_dir: Path, tmp_path: Path) -> None:
    saved = with_backup(team, tmp_path)
    TeamService(team.sessions[LEAD]).remove_member("Kim")
    team.desk.close()
    asked: list[BackupInfo] = []
    restore(vault_dir, saved, as_member(LEAD), lambda info: asked.append(info) or True)
    assert "Kim was removed from the team after the backup: kept removed" in asked[0].lacks
    with pytest.raises(NotAMember), unlocked(vault_dir, "Kim"):
        pass
    with unlocked(vault_dir, LEAD) as robin:
        assert verify(robin) == []
        assert team.ids["Kim"] not in case_store.key_holders(robin.db, "C-0001")


def test_a_backup_the_member_is_not_in_is_refused_by_name(
    team: Team, vault_dir: Path, tmp_path: Path
) -> None:
    saved = with_backup(team, tmp_path)
    TeamService(team.sessions[LEAD]).add_member("Lee", Role.LEAD, passphrase("Lee"), FAST_FOR_TESTS)
    team.desk.close()
    before = files(vault_dir)
    with pytest.raises(NotAMember, match=r"^Lee is not on the team in .*team-backup.db: a lead or the chair"):
        restore(vault_dir, saved, as_member("Lee"))
    assert files(vault_dir) == before


def test_a_vault_whose_recusals_cannot_be_read_is_not_restored_over_blind(
    team: Team, vault_dir: Path, tmp_path: Path
) -> None:
    """Unread, its recusals could not be carried over: refused, with the way out named."""
    import sqlite3

    saved = with_backup(team, tmp_path)
    AccessService(team.sessions["Kim"]).declare_conflict("C-0001")
    team.desk.close()
    conn = sqlite3.connect(vault_dir / "cocdesk.db")
    conn.execute("UPDATE recusals SET at = '2020-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    before = files(vault_dir)
    with pytest.raises(
        IntegrityFailure, match="what a restore would lose cannot be listed; move its files aside"
    ):
        restore(vault_dir, saved, as_member(LEAD))
    assert files(vault_dir) == before
