"""`cocdesk member …` and `cocdesk conflict …`: exit codes 0/1/2/3 and one-line errors.

Each command runs in-process through `cocdesk.cli.main` against a real vault in tmp_path
(the member and passphrases from COCDESK_MEMBER / COCDESK_PASSPHRASE /
COCDESK_NEW_PASSPHRASE, as a script would set them); one runs as the installed command
in a subprocess, to prove no traceback ever reaches the terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_cli import PW, REPORT, Run

KIM_PW = "kim passphrase"
AVERY_PW = "avery passphrase"
JO_PW = "jo passphrase"
PASSPHRASES = {"Robin": PW, "Kim": KIM_PW, "Avery": AVERY_PW, "Jo": JO_PW}


def as_(name: str, passphrase: str | None = None) -> dict[str, str]:
    """The environment a script sets to act as `name` (Run keeps env between calls: always pass it)."""
    return {"COCDESK_MEMBER": name, "COCDESK_PASSPHRASE": passphrase or PASSPHRASES[name]}


def one_line(err: str) -> bool:
    return err.startswith("cocdesk: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture
def team(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Robin (lead), Kim and Jo (responders), Avery (chair); C-0001 and C-0002 taken by Robin."""
    run = Run(tmp_path / "d", monkeypatch)
    code, _, err = run("init", "--event", "PyColorado 2026", "--member", "Robin", **as_("Robin"))
    assert (code, err) == (0, ""), err
    for name, role in (("Kim", "responder"), ("Avery", "chair"), ("Jo", "responder")):
        code, out, err = run(
            "member", "add", name, "--role", role, COCDESK_NEW_PASSPHRASE=PASSPHRASES[name], **as_("Robin")
        )
        assert (code, out, err) == (0, f"added {name} as {role}\n", "")
    for _ in range(2):
        assert run("add", "-", stdin=json.dumps(REPORT), **as_("Robin"))[0] == 0
    return run


def db_bytes(run: Run) -> bytes:
    return (run.folder / "cocdesk.db").read_bytes()


def listed(run: Run, name: str) -> list[str]:
    code, out, err = run("list", "--json", **as_(name))
    assert (code, err) == (0, ""), err
    return [row["id"] for row in json.loads(out)]


# -- member list -------------------------------------------------------------------------------
def test_member_list_shows_names_roles_state_cases_and_delegates(team: Run) -> None:
    assert team("member", "delegate", "Kim", **as_("Avery")) == (
        0,
        "Kim may now mark announcements as made\n",
        "",
    )
    code, out, err = team("member", "list", **as_("Jo"))
    assert (code, err) == (0, "")
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["name", "role", "state", "cases", "delegate"]
    assert lines[1:] == [
        ["Robin", "lead", "active", "2"],
        ["Kim", "responder", "active", "2", "yes"],
        ["Avery", "chair", "active", "2"],
        ["Jo", "responder", "active", "2"],
    ]


def test_only_the_chair_names_a_delegate(team: Run) -> None:
    before = db_bytes(team)
    code, out, err = team("member", "delegate", "Kim", **as_("Robin"))
    assert (code, out, err) == (1, "", "cocdesk: only the chair names delegates for announcements\n")
    assert db_bytes(team) == before


def test_member_without_an_action_is_a_usage_error(team: Run) -> None:
    code, _, err = team("member", **as_("Robin"))
    assert code == 2 and one_line(err) and "ACTION" in err


# -- member add: bad input ---------------------------------------------------------------------
def test_adding_a_duplicate_name_exits_2_and_changes_nothing(team: Run) -> None:
    before = db_bytes(team)
    code, out, err = team(
        "member", "add", "Kim", "--role", "lead", COCDESK_NEW_PASSPHRASE="another one", **as_("Robin")
    )
    assert (code, out, err) == (2, "", "cocdesk: there is already a member called 'Kim'\n")
    assert db_bytes(team) == before


def test_a_responder_adding_a_member_exits_1(team: Run) -> None:
    code, out, err = team(
        "member", "add", "Max", "--role", "lead", COCDESK_NEW_PASSPHRASE="max passphrase", **as_("Kim")
    )
    assert (code, out, err) == (1, "", "cocdesk: only a lead or the chair may add team members\n")


def test_a_missing_new_passphrase_names_its_own_variable(team: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCDESK_NEW_PASSPHRASE", raising=False)
    code, _, err = team("member", "add", "Max", "--role", "lead", stdin="", **as_("Robin"))
    assert (code, err) == (2, "cocdesk: no passphrase: set COCDESK_NEW_PASSPHRASE or run in a terminal\n")


# -- member remove -----------------------------------------------------------------------------
def test_removing_a_member_rekeys_and_locks_them_out(team: Run) -> None:
    code, out, err = team("member", "remove", "Kim", **as_("Robin"))
    assert (code, err) == (0, "")
    assert out == "removed Kim; 2 case(s) re-keyed. What they saw before, they saw.\n"
    for command in (("list",), ("export", "C-0001"), ("member", "list")):
        code, out, err = team(*command, **as_("Kim"))
        assert (code, out, err) == (3, "", "cocdesk: no team member is called 'Kim'\n"), command
    code, out, _ = team("member", "list", **as_("Robin"))
    assert out.splitlines()[2].split() == ["Kim", "responder", "removed", "0"]
    assert team("verify", **as_("Avery"))[0] == 0


@pytest.mark.parametrize(
    ("who", "name", "code", "message"),
    [
        ("Avery", "Robin", 1, "the team needs at least one lead: add another lead first"),
        ("Robin", "Robin", 1, "another lead or the chair removes you from the team"),
        ("Kim", "Jo", 1, "only a lead or the chair may remove team members"),
        ("Robin", "Zed", 1, "there is no active member called 'Zed'"),
    ],
    ids=["last-lead", "self", "responder", "unknown"],
)
def test_removal_refusals_are_one_line_and_change_nothing(
    team: Run, who: str, name: str, code: int, message: str
) -> None:
    before = db_bytes(team)
    assert team("member", "remove", name, **as_(who)) == (code, "", f"cocdesk: {message}\n")
    assert db_bytes(team) == before


# -- member passphrase -------------------------------------------------------------------------
def test_changing_ones_passphrase(team: Run) -> None:
    code, out, err = team("member", "passphrase", COCDESK_NEW_PASSPHRASE="kim's new passphrase", **as_("Kim"))
    assert (code, out, err) == (0, "passphrase changed\n", "")
    assert team("list", **as_("Kim")) == (3, "", "cocdesk: wrong passphrase\n")
    code, out, _ = team("export", "C-0001", "--format", "json", **as_("Kim", "kim's new passphrase"))
    assert code == 0 and json.loads(out)["report"] == REPORT


def test_a_wrong_current_passphrase_exits_3_and_changes_nothing(team: Run) -> None:
    before = db_bytes(team)
    code, out, err = team(
        "member", "passphrase", COCDESK_NEW_PASSPHRASE="kim's new passphrase", **as_("Kim", "not hers")
    )
    assert (code, out, err) == (3, "", "cocdesk: wrong passphrase\n")
    assert db_bytes(team) == before


def test_a_short_new_passphrase_exits_2_and_changes_nothing(team: Run) -> None:
    before = db_bytes(team)
    code, out, err = team("member", "passphrase", COCDESK_NEW_PASSPHRASE="short", **as_("Kim"))
    assert (code, out, err) == (2, "", "cocdesk: choose a passphrase of at least 8 characters\n")
    assert db_bytes(team) == before
    assert team("list", **as_("Kim"))[0] == 0


# -- member reenrol ----------------------------------------------------------------------------
def test_a_lead_reenrols_a_member_who_forgot_their_passphrase(team: Run) -> None:
    assert team("conflict", "C-0002", **as_("Kim"))[0] == 0
    code, out, err = team(
        "member", "reenrol", "Kim", COCDESK_NEW_PASSPHRASE="kim starts again", **as_("Robin")
    )
    assert (code, err) == (0, "")
    assert out == "re-enrolled Kim with a new key; 1 case(s) sealed to it\n"
    assert team("list", **as_("Kim")) == (3, "", "cocdesk: wrong passphrase\n")
    code, out, err = team("list", "--json", **as_("Kim", "kim starts again"))
    assert code == 0 and [r["id"] for r in json.loads(out)] == ["C-0001"]
    code, out, err = team("export", "C-0002", **as_("Kim", "kim starts again"))
    assert (code, out, err) == (3, "", "cocdesk: Kim stepped out of C-0002 (a conflict of interest)\n")


def test_a_responder_reenrols_nobody(team: Run) -> None:
    # Every role against every other: tests/security/test_roles.py.
    before = db_bytes(team)
    code, out, err = team("member", "reenrol", "Jo", COCDESK_NEW_PASSPHRASE="jo starts again", **as_("Kim"))
    assert (code, out, err) == (1, "", "cocdesk: only a lead or the chair may re-enrol a member\n")
    assert db_bytes(team) == before


# -- conflict ------------------------------------------------------------------------------------
def test_a_member_who_declares_a_conflict_cannot_reach_the_case_by_any_command(team: Run) -> None:
    assert team("export", "C-0001", **as_("Kim"))[0] == 0  # she could read it before
    code, out, err = team("conflict", "C-0001", **as_("Kim"))
    assert (code, out, err) == (0, "you stepped out of C-0001; it was re-keyed without you\n", "")

    stepped_out = "cocdesk: Kim stepped out of C-0001 (a conflict of interest)\n"
    for fmt in ("md", "json"):
        assert team("export", "C-0001", "--format", fmt, **as_("Kim")) == (3, "", stepped_out)
    assert listed(team, "Kim") == ["C-0002"]
    code, out, _ = team("list", **as_("Kim"))
    assert code == 0 and "C-0001" not in out and "C-0002" in out
    assert team("conflict", "C-0001", **as_("Kim")) == (3, "", stepped_out)
    code, out, _ = team("member", "list", **as_("Kim"))
    assert out.splitlines()[2].split() == ["Kim", "responder", "active", "1"]
    assert team("verify", **as_("Kim"))[0] == 0
    # The others still read it.
    code, out, _ = team("export", "C-0001", "--format", "json", **as_("Jo"))
    assert code == 0 and json.loads(out)["report"] == REPORT


def test_lifting_gives_the_case_back_and_only_a_lead_or_the_chair_may(team: Run) -> None:
    team("conflict", "C-0001", **as_("Kim"))
    before = db_bytes(team)
    for who in ("Jo", "Kim"):
        code, out, err = team("conflict", "C-0001", "--lift", "Kim", **as_(who))
        assert (code, out, err) == (1, "", "cocdesk: only a lead or the chair lifts a recusal\n")
    assert db_bytes(team) == before
    code, out, err = team("conflict", "C-0001", "--lift", "Jo", **as_("Robin"))
    assert (code, out, err) == (1, "", "cocdesk: Jo is not recused from C-0001\n")

    assert team("conflict", "C-0001", "--lift", "Kim", **as_("Avery")) == (
        0,
        "lifted Kim's recusal from C-0001\n",
        "",
    )
    code, out, _ = team("export", "C-0001", "--format", "json", **as_("Kim"))
    assert code == 0 and json.loads(out)["report"] == REPORT
    assert listed(team, "Kim") == ["C-0001", "C-0002"]


def test_conflict_refusals_say_why(team: Run) -> None:
    assert team("conflict", "C-0404", **as_("Kim")) == (1, "", "cocdesk: there is no case C-0404\n")
    assert team("conflict", "C-0001", **as_("Avery"))[0] == 0  # Robin (lead) keeps it
    code, out, err = team("conflict", "C-0001", **as_("Robin"))
    assert (code, out) == (1, "")
    assert err == (
        "cocdesk: a lead or the chair without a conflict of interest must keep the case, "
        "to be able to lift a recusal\n"
    )
    code, _, err = team("conflict", **as_("Robin"))
    assert code == 2 and one_line(err) and "CASE" in err


def test_the_installed_command_refuses_a_recused_member_in_one_line(team: Run) -> None:
    """The command in a subprocess (at the test KDF cost): exit 3, one line, no traceback."""
    assert team("conflict", "C-0001", **as_("Kim"))[0] == 0
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **as_("Kim")}
    for argv in (["export", "C-0001"], ["conflict", "C-0001", "--lift", "Kim"]):
        proc = subprocess.run(
            [sys.executable, "-m", "tests.fast_cocdesk", "--data-dir", str(team.folder), *argv],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
        assert proc.stdout == ""
        assert one_line(proc.stderr), proc.stderr
        if argv[0] == "export":
            assert proc.returncode == 3
            assert proc.stderr == "cocdesk: Kim stepped out of C-0001 (a conflict of interest)\n"
        else:
            assert proc.returncode == 1
            assert proc.stderr == "cocdesk: only a lead or the chair lifts a recusal\n"
