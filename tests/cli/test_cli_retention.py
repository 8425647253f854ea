"""`cocdesk purge` and `cocdesk restore`: output, exit codes (DESIGN.md), one-line errors.

The vault is made in-process with a clock 100 days back, so its finished cases
are past the default playbook's 90 days when the command runs on today's clock.
"""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cocdesk.domain.roles import Role
from cocdesk.domain.steps import Decision, Outcome
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.steps import StepService
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.cli.test_cli import Run
from tests.conftest import sample_report

PW = "robin's passphrase"
NOTE = (
    "note: backups written before this purge still hold these cases (sealed): "
    "delete the backups older than the retention period\n"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """C-0001 and C-0002 referred 100 days ago (past retention); C-0003 reported."""
    folder = tmp_path / "d"
    then = datetime.now(UTC) - timedelta(days=100)
    desk = Desk.create(folder, "PyColorado 2026", "Robin", PW, params=FAST_FOR_TESTS, clock=lambda: then)
    try:
        robin = desk.unlock("Robin", PW)
        TeamService(robin).add_member("Jo", Role.LEAD, "jo passphrase", FAST_FOR_TESTS)
        TeamService(robin).add_member("Kim", Role.RESPONDER, "kim passphrase", FAST_FOR_TESTS)
        cases, steps = CaseService(robin), StepService(robin)
        for _ in range(2):
            case_id = cases.add_report(sample_report())
            steps.decide(case_id, Decision(Outcome.REFERRED, referred_to="venue security"))
        cases.add_report(sample_report())
    finally:
        desk.close()
    return folder


@pytest.fixture
def run(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("COCDESK_MEMBER", "Robin")
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    return Run(folder, monkeypatch)


class Terminal(io.StringIO):
    """A stdin that is a terminal, with the answers typed in advance."""

    def isatty(self) -> bool:
        return True


def listed(run: Run) -> list[str]:
    code, out, _ = run("list", "--json", COCDESK_MEMBER="Robin", COCDESK_PASSPHRASE=PW)
    assert code == 0
    return [row["id"] for row in json.loads(out)]


def one_line(err: str) -> str:
    assert err.count("\n") == 1 and err.startswith("cocdesk: "), err
    return err.removeprefix("cocdesk: ").rstrip("\n")


# -- purge -----------------------------------------------------------------------------------------
def test_purge_list_names_the_cases_past_retention_and_changes_nothing(run: Run) -> None:
    code, out, err = run("purge", "--list")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines[:2]] == [["C-0001", "referred"], ["C-0002", "referred"]]
    assert lines[2] == "2 closed cases are past the 90-day retention"
    assert len(lines) == 3
    assert listed(run) == ["C-0001", "C-0002", "C-0003"]


def test_purge_without_a_terminal_needs_yes(run: Run) -> None:
    code, _, err = run("purge", stdin="")
    assert code == 2
    assert one_line(err) == "nothing was purged: there is no terminal to ask; add --yes to confirm"
    assert listed(run) == ["C-0001", "C-0002", "C-0003"]


def test_purge_yes_shreds_them_with_one_line_each_and_says_backups_still_hold_them(run: Run) -> None:
    code, out, err = run("purge", "--yes")
    assert (code, err) == (0, "")
    assert out == "C-0001 purged\nC-0002 purged\n" + NOTE
    assert listed(run) == ["C-0003"]
    assert run("purge", "--list") == (0, "no closed case is past the 90-day retention\n", "")
    assert run("verify")[0] == 0


@pytest.mark.parametrize(
    ("answer", "left"),
    [("y\n", ["C-0003"]), ("n\n", ["C-0001", "C-0002", "C-0003"]), ("\n", ["C-0001", "C-0002", "C-0003"])],
)
def test_purge_at_a_terminal_asks_first(
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    left: list[str],
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal(answer))
    code, out, err = run("purge")
    assert (code, err) == (0, "")
    assert "Purge 2 case(s)? Every sealed word of them is deleted for good. [y/N]" in capsys.readouterr().out
    assert out.startswith("C-0001   referred")
    assert out.endswith(NOTE if left == ["C-0003"] else "nothing was purged\n")
    monkeypatch.setattr(sys, "stdin", Terminal(""))
    assert listed(run) == left


def test_a_responder_may_list_but_purging_is_refused(run: Run) -> None:
    as_kim = {"COCDESK_MEMBER": "Kim", "COCDESK_PASSPHRASE": "kim passphrase"}
    assert run("purge", "--list", **as_kim)[0] == 0
    code, _, err = run("purge", "--yes", **as_kim)
    assert code == 1
    assert one_line(err) == "only a lead or the chair may purge a case"
    code, _, err = run("purge", "C-0003", "--yes", **as_kim)
    assert (code, one_line(err)) == (1, "only a lead or the chair may purge a case")
    assert listed(run) == ["C-0001", "C-0002", "C-0003"]


def test_a_case_the_lead_stepped_out_of_is_named_not_skipped(run: Run, folder: Path) -> None:
    desk = Desk.open(folder)
    try:
        AccessService(desk.unlock("Jo", "jo passphrase")).declare_conflict("C-0001")
    finally:
        desk.close()
    as_jo = {"COCDESK_MEMBER": "Jo", "COCDESK_PASSPHRASE": "jo passphrase"}
    code, out, err = run("purge", "--yes", **as_jo)
    assert code == 1
    reason = "Jo stepped out of C-0001 (a conflict of interest); another lead or the chair purges it"
    assert out.splitlines()[0].endswith(f"(not purged by you: {reason})")
    assert out.splitlines()[1:] == ["C-0002 purged", NOTE.rstrip("\n")]
    assert one_line(err) == "1 case(s) past retention were not purged (see above)"
    code, _, err = run("purge", "C-0001", "--yes", **as_jo)
    assert (code, one_line(err)) == (3, reason)
    assert listed(run) == ["C-0001", "C-0003"]
    # Robin, who holds it, purges it.
    assert run("purge", "--yes")[:2] == (0, "C-0001 purged\n" + NOTE)


def test_purge_one_case_by_id_even_before_its_retention_ends(run: Run) -> None:
    code, out, err = run("purge", "C-0003", "--yes")
    assert (code, out, err) == (0, "C-0003 purged\n" + NOTE, "")
    assert listed(run) == ["C-0001", "C-0002"]
    code, _, err = run("purge", "C-0099", "--yes")
    assert (code, one_line(err)) == (1, "there is no case C-0099")


def test_purge_one_case_at_a_terminal_says_whether_it_is_past_retention(
    run: Run, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    assert run("purge", "C-0003") == (0, "nothing was purged\n", "")
    asked = capsys.readouterr().out
    assert "Purge C-0003 (reported, NOT past the 90-day retention)? " in asked


def test_purge_list_takes_no_case_and_no_yes(run: Run) -> None:
    code, _, err = run("purge", "--list", "--yes")
    assert (code, one_line(err)) == (2, "--list only lists: give no CASE and no --yes with it")


# -- restore ---------------------------------------------------------------------------------------
def test_restore_round_trip_through_the_command_line(run: Run, tmp_path: Path) -> None:
    saved = tmp_path / "backup.db"
    assert run("backup", str(saved))[0] == 0
    assert run("purge", "--yes")[0] == 0
    assert listed(run) == ["C-0003"]
    code, out, err = run("restore", str(saved), "--yes")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    # What the backup lacks is said with --yes too (the purge and the backup are logged since).
    assert lines[0] == f"the backup lacks, against the vault in {run.folder}:"
    assert lines[1].startswith("  the backup's audit log has ")
    assert lines[2] == f"restored PyColorado 2026 (3 case(s)) into {run.folder}; verify passed"
    # The backup still held the purged cases: the reminder lists them again.
    assert lines[3] == "note: 2 closed cases are past retention (C-0001, C-0002); `cocdesk purge` purges them"
    assert listed(run) == ["C-0001", "C-0002", "C-0003"]
    assert run("verify")[0] == 0


def test_restore_without_a_terminal_needs_yes_when_it_replaces_a_vault(run: Run, tmp_path: Path) -> None:
    saved = tmp_path / "backup.db"
    run("backup", str(saved))
    before = (run.folder / "cocdesk.db").read_bytes()
    code, _, err = run("restore", str(saved), stdin="")
    assert (code, one_line(err)) == (
        2,
        "nothing was restored: there is no terminal to ask; add --yes to confirm",
    )
    assert (run.folder / "cocdesk.db").read_bytes() == before


def test_restore_onto_a_fresh_folder_asks_nothing(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "backup.db"
    run("backup", str(saved))
    fresh = Run(tmp_path / "new", monkeypatch)
    code, out, err = fresh("restore", str(saved), stdin="")
    assert (code, err) == (0, "")
    assert out.startswith("restored PyColorado 2026 (3 case(s))")
    assert fresh("list")[0] == 0


@pytest.mark.parametrize(
    ("spoil", "env", "code"),
    [
        ("truncate", {}, 4),
        ("text", {}, 4),
        ("none", {"COCDESK_PASSPHRASE": "wrong"}, 3),
    ],
)
def test_a_bad_backup_is_refused_in_one_line_and_the_vault_is_unchanged(
    run: Run, tmp_path: Path, spoil: str, env: dict[str, str], code: int
) -> None:
    saved = tmp_path / "backup.db"
    run("backup", str(saved))
    if spoil == "truncate":
        saved.write_bytes(saved.read_bytes()[:4096])
    elif spoil == "text":
        saved.write_text("not a vault\n")
    before = {p.name: p.read_bytes() for p in run.folder.iterdir()}
    got, out, err = run("restore", str(saved), "--yes", **env)
    assert (got, out) == (code, "")
    line = one_line(err)
    assert line == "wrong passphrase" if code == 3 else line.endswith("the vault was not changed")
    assert {p.name: p.read_bytes() for p in run.folder.iterdir()} == before
    assert listed(run) == ["C-0001", "C-0002", "C-0003"]


def test_restore_of_a_missing_file_says_so(run: Run, tmp_path: Path) -> None:
    code, _, err = run("restore", str(tmp_path / "nope.db"), "--yes")
    assert (code, one_line(err)) == (1, f"{tmp_path / 'nope.db'} is not a file")


def test_restore_by_a_responder_is_refused_with_the_rule_named(run: Run, tmp_path: Path) -> None:
    saved = tmp_path / "backup.db"
    run("backup", str(saved))
    before = {p.name: p.read_bytes() for p in run.folder.iterdir()}
    code, out, err = run(
        "restore", str(saved), "--yes", COCDESK_MEMBER="Kim", COCDESK_PASSPHRASE="kim passphrase"
    )
    assert (code, out) == (1, "")
    assert (
        one_line(err)
        == "only a lead or the chair restores a backup over the vault; the vault was not changed"
    )
    assert {p.name: p.read_bytes() for p in run.folder.iterdir()} == before


def test_restore_lists_what_the_backup_lacks_and_keeps_a_later_recusal(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Kim steps out of C-0003 after the backup; the restore says so, asks, and Kim stays out."""
    saved = tmp_path / "backup.db"
    run("backup", str(saved))
    desk = Desk.open(run.folder)
    try:
        AccessService(desk.unlock("Kim", "kim passphrase")).declare_conflict("C-0003")
    finally:
        desk.close()
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    code, out, err = run("restore", str(saved))
    assert (code, err) == (0, "")
    # The question (input() writes it to the terminal), asked after the lines.
    assert capsys.readouterr().out.startswith(
        f"Replace the vault in {run.folder} with this backup of PyColorado"
    )
    lines = out.splitlines()
    assert lines[:3] == [
        f"the backup lacks, against the vault in {run.folder}:",
        "  C-0003 is older in the backup: last change " + lines[1].split("last change ")[1],
        "  Kim stepped out of C-0003 after the backup: kept (the case is re-keyed)",
    ]
    assert lines[3].startswith("  the backup's audit log has ")
    assert lines[4] == f"restored PyColorado 2026 (3 case(s)) into {run.folder}; verify passed"
    code, out, err = run("export", "C-0003", COCDESK_MEMBER="Kim", COCDESK_PASSPHRASE="kim passphrase")
    assert code == 3 and out == ""
    assert run("verify")[0] == 0
