"""`cocdesk member pubkey`, `bundle export|import` and `banlist export|check`: the contract's exit codes.

Two real vaults in tmp_path: the event's (Robin) and the committee's (Alex).
A refused bundle exits 4 with one line and leaves the receiving vault's file
byte-identical.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import PW, REPORT, Run
from tests.cli.test_cli_team import as_, db_bytes, one_line

ALEX = {"COCDESK_MEMBER": "Alex", "COCDESK_PASSPHRASE": "alex passphrase"}


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Run, Run, Path]:
    event, committee = Run(tmp_path / "event", monkeypatch), Run(tmp_path / "committee", monkeypatch)
    assert event("init", "--event", "PyColorado 2026", "--member", "Robin", **as_("Robin"))[0] == 0
    assert committee("init", "--event", "Committee", "--member", "Alex", "--role", "chair", **ALEX)[0] == 0
    assert event("add", "-", stdin=json.dumps(REPORT), **as_("Robin"))[0] == 0
    code, out, err = committee("member", "pubkey", **ALEX)
    assert (code, err) == (0, "")
    (tmp_path / "alex.pub").write_text(out)
    return event, committee, tmp_path


def test_pubkey_prints_a_key_file_with_its_fingerprint(two: tuple[Run, Run, Path]) -> None:
    _, committee, tmp = two
    lines = (tmp / "alex.pub").read_text().splitlines()
    assert lines[0].startswith("# cocdesk public key of Alex (Committee); fingerprint ")
    assert lines[1].startswith("cocdesk-public-key:") and len(lines) == 2


def robin_key(event: Run) -> str:
    """The fingerprint `member pubkey` shows for Robin: what the committee checks."""
    code, out, _ = event("member", "pubkey", **as_("Robin"))
    assert code == 0
    return out.split("fingerprint ")[1].split()[0]


def test_a_bundle_goes_over_and_comes_in_once(two: tuple[Run, Run, Path]) -> None:
    event, committee, tmp = two
    sender = robin_key(event)
    code, out, err = event(
        "bundle", "export", "--to", str(tmp / "alex.pub"), "--out", str(tmp / "b.sealed"), **as_("Robin")
    )
    assert (code, err) == (0, "")
    assert out.startswith(f"wrote 1 case(s) to {tmp / 'b.sealed'}, sealed to key ")
    before = db_bytes(committee)
    code, out, err = committee("bundle", "import", str(tmp / "b.sealed"), **ALEX)
    assert code == 2 and one_line(err) and f"check the sender's key and add --from {sender}" in err
    assert out == f"bundle from Robin (PyColorado 2026), key {sender} (never exchanged with before)\n"
    assert db_bytes(committee) == before, "nothing is written before the sender is checked"
    code, out, err = committee(
        "bundle", "import", str(tmp / "b.sealed"), "--from", "0000-0000-0000-0000", **ALEX
    )
    assert code == 4 and one_line(err) and f"sealed by key {sender}, not 0000-0000-0000-0000" in err
    assert db_bytes(committee) == before
    code, out, err = committee("bundle", "import", str(tmp / "b.sealed"), "--from", sender, **ALEX)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "added    C-0001  (their C-0001)"
    before = db_bytes(committee)
    code, out, err = committee("bundle", "import", str(tmp / "b.sealed"), "--from", sender, **ALEX)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"bundle from Robin (PyColorado 2026), key {sender} (exchanged with before)",
        "1 case(s) already up to date",
    ]
    assert db_bytes(committee) == before
    code, out, _ = committee("export", "C-0001", "--format", "json", **ALEX)
    assert json.loads(out)["report"]["description"] == REPORT["description"]
    assert committee("verify", **ALEX)[0] == 0


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda b: b[:-10], "the bundle is truncated"),
        (lambda b: b[:-20] + bytes([b[-20] ^ 1]) + b[-19:], "the bundle failed its integrity check"),
        (lambda b: b"{}", "this file is not a cocdesk bundle"),
    ],
    ids=["truncated", "tampered", "not-a-bundle"],
)
def test_a_damaged_bundle_exits_4_and_changes_nothing(
    two: tuple[Run, Run, Path], damage: object, says: str
) -> None:
    event, committee, tmp = two
    event("bundle", "export", "--to", str(tmp / "alex.pub"), "--out", str(tmp / "b.sealed"), **as_("Robin"))
    (tmp / "bad.sealed").write_bytes(damage((tmp / "b.sealed").read_bytes()))  # type: ignore[operator]
    before = db_bytes(committee)
    code, out, err = committee("bundle", "import", str(tmp / "bad.sealed"), **ALEX)
    assert (code, out) == (4, "") and one_line(err) and says in err
    assert db_bytes(committee) == before


def test_a_bundle_for_someone_else_exits_4(two: tuple[Run, Run, Path]) -> None:
    event, _, tmp = two
    event("bundle", "export", "--to", str(tmp / "alex.pub"), "--out", str(tmp / "b.sealed"), **as_("Robin"))
    code, out, err = event("bundle", "import", str(tmp / "b.sealed"), **as_("Robin"))
    assert (code, out) == (4, "") and one_line(err) and "sealed to another key" in err


def test_no_key_in_the_key_file_is_an_error_and_no_file_is_written(two: tuple[Run, Run, Path]) -> None:
    event, _, tmp = two
    (tmp / "junk.pub").write_text("hello\n")
    code, out, err = event(
        "bundle", "export", "--to", str(tmp / "junk.pub"), "--out", str(tmp / "b.sealed"), **as_("Robin")
    )
    assert (code, out) == (1, "") and one_line(err) and "holds no cocdesk public key" in err
    assert not (tmp / "b.sealed").exists()


def test_bundle_without_an_action_or_recipient_is_a_usage_error(two: tuple[Run, Run, Path]) -> None:
    event, _, _ = two
    assert event("bundle", **as_("Robin"))[0] == 2
    assert event("bundle", "export", **as_("Robin"))[0] == 2


def test_the_ban_list_answers_yes_or_no(two: tuple[Run, Run, Path]) -> None:
    event, committee, tmp = two
    code, out, err = event(
        "banlist", "export", "--to", str(tmp / "alex.pub"), "--out", str(tmp / "ban.sealed"), **as_("Robin")
    )
    assert (code, err) == (0, "")
    assert out == f"wrote 0 identifier(s) from 0 case(s) with a ban to {tmp / 'ban.sealed'}\n"
    code, out, err = committee("banlist", "check", "Sam", "--file", str(tmp / "ban.sealed"), **ALEX)
    assert (code, err) == (0, "")
    assert out == (
        "no: not on the ban list of PyColorado 2026\n"
        f"the list was sealed by key {robin_key(event)}: check it is that team's\n"
    )
    code, out, err = event("banlist", "check", "Sam", "--file", str(tmp / "ban.sealed"), **as_("Robin"))
    assert code == 4 and one_line(err)


def test_a_passphrase_that_does_not_open_is_exit_3(two: tuple[Run, Run, Path]) -> None:
    event, _, tmp = two
    code, _, err = event(
        "bundle", "export", "--to", str(tmp / "alex.pub"), COCDESK_MEMBER="Robin", COCDESK_PASSPHRASE=PW + "x"
    )
    assert code == 3 and one_line(err)
