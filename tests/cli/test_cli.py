"""The command-line contract of DESIGN.md: commands, output shapes, exit codes, one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cocdesk.cli import main

PW = "robin's passphrase"
REPORT = {
    "taken_by": "Robin",
    "transcribed": True,
    "reporter": {
        "name": "Ana",
        "contact": "ana@example.org",
        "anonymous": False,
        "identification_concerns": "",
    },
    "incident_at": "2026-05-02T14:30",
    "location": "Hall B",
    "ongoing": False,
    "description": "Sam [bold]x[/] \x1b[2J said ...",
    "circumstances": "",
    "category": "harassment",
    "reported": [{"name": "Sam [@click=app.quit]S[/]", "badge": "12", "affiliation": "", "appearance": ""}],
    "witnesses": [],
    "reporter_suggestions": "",
    "urgent": True,
}


class Run:
    """Runs `cocdesk` in-process against one data dir and keeps what it printed."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folder = folder
        self.monkeypatch = monkeypatch

    def __call__(self, *argv: str, stdin: str | None = None, **env: str) -> tuple[int, str, str]:
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        if stdin is not None:
            self.monkeypatch.setattr(sys, "stdin", _Stdin(stdin))
        out, err = io.StringIO(), io.StringIO()
        code = main(["--data-dir", str(self.folder), *argv], out=out, err=err)
        return code, out.getvalue(), err.getvalue()


class _Stdin(io.TextIOWrapper):
    def __init__(self, text: str) -> None:
        super().__init__(io.BytesIO(text.encode()), encoding="utf-8")

    def isatty(self) -> bool:
        return False


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    r = Run(tmp_path / "d", monkeypatch)
    code, out, err = r("init", "--event", "PyColorado 2026", "--member", "Robin", "--role", "lead")
    assert (code, err) == (0, ""), err
    assert "created the vault for PyColorado 2026" in out
    return r


def test_add_prints_the_new_case_id_and_export_json_returns_every_field_exactly(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps(REPORT), "utf-8")
    assert run("add", str(path)) == (0, "C-0001\n", "")
    code, out, err = run("export", "C-0001", "--format", "json")
    assert (code, err) == (0, "")
    exported = json.loads(out)
    assert exported["report"] == REPORT
    assert exported["id"] == "C-0001" and exported["status"] == "reported"


def test_add_reads_stdin_with_a_dash(run: Run) -> None:
    assert run("add", "-", stdin=json.dumps({"description": "from stdin"})) == (0, "C-0001\n", "")


def test_list_json_has_the_queue_columns(run: Run) -> None:
    run("add", "-", stdin=json.dumps(REPORT))
    code, out, _ = run("list", "--json")
    assert code == 0
    (row,) = json.loads(out)
    assert set(row) == {"id", "created_at", "updated_at", "status", "category", "urgent", "holder"}
    assert (row["id"], row["status"], row["category"], row["urgent"], row["holder"]) == (
        "C-0001",
        "reported",
        "harassment",
        True,
        "Robin",
    )


def test_list_as_text_is_a_table(run: Run) -> None:
    run("add", "-", stdin=json.dumps(REPORT))
    code, out, _ = run("list")
    assert code == 0
    assert out.splitlines()[1].split()[:4] == ["C-0001", "reported", "!", "harassment"]


def test_markdown_export_shows_control_characters_visibly(run: Run) -> None:
    run("add", "-", stdin=json.dumps(REPORT))
    code, out, _ = run("export", "C-0001", "--format", "md")
    assert code == 0
    assert "\x1b" not in out and "⟨U+001B⟩[2J" in out
    assert "Sam [@click=app.quit]S[/]" in out


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{", "cocdesk: stdin: not valid JSON: Expecting property name enclosed in double quotes at line 1"),
        ("{}", "cocdesk: description is missing (it is the one required key)"),
        ('{"description": "x", "category": "nope"}', "cocdesk: category 'nope' is not a category"),
        ('{"description": "x", "urgent": 1}', "cocdesk: urgent must be true or false, not a number"),
        ("[" * 100000 + "]" * 100000, "cocdesk: stdin: nested too deeply"),
    ],
)
def test_bad_reports_get_one_line_exit_1_and_change_nothing(run: Run, stdin: str, message: str) -> None:
    before = run.folder.joinpath("cocdesk.db").read_bytes()
    code, out, err = run("add", "-", stdin=stdin)
    assert code == 1 and out == ""
    assert err.startswith(message) and err.count("\n") == 1
    assert run("list", "--json")[1].strip() == "[]"
    assert run.folder.joinpath("cocdesk.db").read_bytes() == before


def test_a_report_that_is_not_utf8_is_refused(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b'{"description": "\xff"}')
    code, _, err = run("add", str(path))
    assert code == 1 and "not UTF-8 text (byte 17)" in err


def test_a_missing_report_file_is_named(run: Run, tmp_path: Path) -> None:
    code, _, err = run("add", str(tmp_path / "nope.json"))
    assert code == 1 and "nope.json: cannot read it: No such file or directory" in err


def test_usage_errors_exit_2(run: Run) -> None:
    code, _, err = run("frobnicate")
    assert code == 2 and err.startswith("cocdesk: argument COMMAND: invalid choice")
    code, _, err = run("export", "C-0001", "--format", "pdf")
    assert code == 2 and "invalid choice: 'pdf'" in err
    code, _, err = run("member", "add", "Kim", "--role", "boss")
    assert code == 2 and "unknown role 'boss'" in err


def test_wrong_passphrase_exits_3(run: Run) -> None:
    code, _, err = run("list", COCDESK_PASSPHRASE="wrong")
    assert (code, err) == (3, "cocdesk: wrong passphrase\n")


def test_unknown_member_exits_3(run: Run) -> None:
    code, _, err = run("list", COCDESK_MEMBER="Mallory")
    assert (code, err) == (3, "cocdesk: no team member is called 'Mallory'\n")


def test_member_add_gives_the_new_member_their_own_passphrase(run: Run) -> None:
    run("add", "-", stdin=json.dumps({"description": "x"}))
    assert run("member", "add", "Kim", "--role", "chair", COCDESK_NEW_PASSPHRASE="kim passphrase") == (
        0,
        "added Kim as chair\n",
        "",
    )
    code, out, _ = run(
        "export", "C-0001", "--format", "json", COCDESK_MEMBER="Kim", COCDESK_PASSPHRASE="kim passphrase"
    )
    assert code == 0 and json.loads(out)["report"]["description"] == "x"


def test_with_two_members_and_no_terminal_the_member_must_be_named(run: Run) -> None:
    run("member", "add", "Kim", "--role", "chair", COCDESK_NEW_PASSPHRASE="kim passphrase")
    code, _, err = run("list", stdin="")
    assert (code, err) == (2, "cocdesk: which member? set COCDESK_MEMBER\n")


def test_no_passphrase_and_no_terminal_is_a_usage_error(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COCDESK_PASSPHRASE")
    code, _, err = run("list", stdin="")
    assert (code, err) == (2, "cocdesk: no passphrase: set COCDESK_PASSPHRASE or run in a terminal\n")


def test_init_twice_is_refused(run: Run) -> None:
    code, _, err = run("init", "--event", "Other", "--member", "Max")
    assert code == 1 and "a vault already exists in" in err


def test_init_with_a_bad_playbook_names_file_line_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cocdesk.playbook.loader import default_text

    book = tmp_path / "event.toml"
    book.write_text(default_text().replace("idle_lock_minutes = 5", "idle_lock_minutes = -1"), "utf-8")
    monkeypatch.setenv("COCDESK_PASSPHRASE", PW)
    r = Run(tmp_path / "d", monkeypatch)
    code, _, err = r("init", "--event", "E", "--member", "M", "--playbook", str(book))
    assert code == 1
    assert (
        err == f"cocdesk: {book}, line 22: timing.idle_lock_minutes: must be a whole number from 1 to 240\n"
    )
    assert not (tmp_path / "d").exists()


def test_commands_on_a_missing_vault_say_how_to_create_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = Run(tmp_path / "none", monkeypatch)("list")
    assert code == 1 and "no vault in" in err and "cocdesk init" in err


def test_verify_reports_ok_then_exit_4_after_tampering(run: Run) -> None:
    run("add", "-", stdin=json.dumps(REPORT))
    assert run("verify")[0] == 0
    import sqlite3

    conn = sqlite3.connect(run.folder / "cocdesk.db")
    conn.execute("UPDATE audit SET at = '2020-01-01T00:00:00Z' WHERE seq = 1")
    conn.commit()
    conn.close()
    code, out, err = run("verify")
    assert code == 4
    assert err == "cocdesk: 1 integrity problem(s) found: audit log: entry 1 was altered or reordered\n"


def test_a_file_that_is_not_a_database_exits_4(run: Run) -> None:
    db = run.folder / "cocdesk.db"
    for suffix in ("-wal", "-shm"):
        run.folder.joinpath("cocdesk.db" + suffix).unlink(missing_ok=True)
    db.write_bytes(b"this is not sqlite" * 100)
    code, _, err = run("list")
    assert code == 4 and err.startswith("cocdesk: ") and err.count("\n") == 1


def test_backup_writes_a_copy_that_opens_and_never_overwrites(run: Run, tmp_path: Path) -> None:
    run("add", "-", stdin=json.dumps(REPORT))
    target = tmp_path / "backup.db"
    assert run("backup", str(target))[0] == 0
    copy = tmp_path / "copy"
    copy.mkdir()
    target.rename(copy / "cocdesk.db")
    code, out, _ = Run(copy, run.monkeypatch)("export", "C-0001", "--format", "json")
    assert code == 0 and json.loads(out)["report"] == REPORT
    (copy / "again.db").write_bytes(b"keep me")
    code, _, err = run("backup", str(copy / "again.db"))
    assert code == 1 and "already exists" in err
    assert (copy / "again.db").read_bytes() == b"keep me"


def test_the_installed_command_runs_and_never_prints_a_traceback(tmp_path: Path) -> None:
    """The real console entry point, in a subprocess, for a failing and a passing command (the
    passing one through the launcher that sets the test KDF cost: enrolment derives a key)."""
    env = {"COCDESK_HOME": str(tmp_path / "h"), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "cocdesk", "list"], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1
    env["COCDESK_PASSPHRASE"] = "pw-12345"
    init = [sys.executable, "-m", "tests.fast_cocdesk", "init", "--event", "E", "--member", "M"]
    repo = Path(__file__).resolve().parents[2]
    assert subprocess.run(init, env=env, capture_output=True, timeout=60, cwd=repo).returncode == 0
    assert (tmp_path / "h" / "cocdesk.db").exists()


@pytest.mark.parametrize(
    "env", [{"TEXTUAL_LOG": "/tmp/x.log"}, {"TEXTUAL": "devtools"}, {"TEXTUAL": "debug,devtools"}]
)
def test_the_app_refuses_to_run_while_textual_records_typing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    """Textual's log and devtools record every message, typed case text included."""
    import cocdesk.cli as cli

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(cli.sys, "stdin", _Tty())
    monkeypatch.setattr(cli.sys, "stdout", _Tty())
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    err = io.StringIO()
    code = main(["--data-dir", str(tmp_path / "d")], out=io.StringIO(), err=err)
    assert code == 2 and "refusing to run with TEXTUAL" in err.getvalue()


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_new_passphrase_must_have_eight_characters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCDESK_PASSPHRASE", "short")
    code, _, err = Run(tmp_path / "d", monkeypatch)("init", "--event", "E", "--member", "M")
    assert (code, err) == (2, "cocdesk: choose a passphrase of at least 8 characters\n")
    assert not (tmp_path / "d" / "cocdesk.db").exists()


def test_the_vault_and_its_backups_are_readable_by_their_owner_only(run: Run, tmp_path: Path) -> None:
    run("add", "-", stdin=json.dumps(REPORT))
    assert run("backup", str(tmp_path / "b.db"))[0] == 0
    assert run.folder.stat().st_mode & 0o777 == 0o700
    for path in (run.folder / "cocdesk.db", tmp_path / "b.db"):
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_json_output_is_ascii_so_no_byte_can_drive_a_terminal(run: Run) -> None:
    hostile = {**REPORT, "description": "csi\x9b31m rtl\u202e del\x7f é"}
    run("add", "-", stdin=json.dumps(hostile))
    code, out, _ = run("export", "C-0001", "--format", "json")
    assert code == 0 and out.isascii()
    assert json.loads(out)["report"]["description"] == hostile["description"]


@pytest.mark.parametrize(
    ("words", "folder"),
    [
        ([], ""),
        (["--data-dir", "/srv/desk"], "/srv/desk"),
        (["--data-dir=/srv/desk"], "/srv/desk"),
        (["--data-dir"], None),
        (["--data-dir="], None),
        (["--data-dir", "--help"], None),
        (["--data-dir", "/srv/desk", "list"], None),
        (["list"], None),
        (["--help"], None),
        (["--version"], None),
        (["--data"], None),
    ],
)
def test_only_the_plain_app_command_skips_the_command_grammar(words: list[str], folder: str | None) -> None:
    from cocdesk.cli import _app_only

    assert _app_only(words) == folder


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["--data-dir"], "argument --data-dir: expected one argument"),
        (["--data-dir", "/srv/desk", "frobnicate"], "argument COMMAND: invalid choice"),
    ],
)
def test_a_mistake_next_to_the_app_options_is_still_named(words: list[str], message: str) -> None:
    err = io.StringIO()
    assert main(words, out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith(f"cocdesk: {message}") and err.getvalue().count("\n") == 1


def test_opening_the_app_loads_no_storage_crypto_or_command_grammar_before_the_first_frame() -> None:
    """What `cocdesk` imports before the unlock screen is drawn (BENCHMARKS.md: first
    paint): the command grammar, SQLite, sqlite-utils, PyNaCl and every other screen
    come later."""
    code = (
        "import sys\n"
        "from cocdesk import cli\n"
        "assert cli._app_only(['--data-dir', 'x']) == 'x'\n"
        "from cocdesk.tui.app import make_app\n"
        "make_app(__import__('pathlib').Path('x'))\n"
        "late = ['argparse', 'json', 'sqlite3', 'sqlite_utils', 'nacl', 'cocdesk.tui.screens.setup',\n"
        "        'cocdesk.service', 'cocdesk.store', 'cocdesk.tui.screens.queue']\n"
        "print(' '.join(m for m in late if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
