"""Battery item 4 (SECURITY.md): every connection has cocdesk's SQLite settings.

`secure_delete` and `synchronous` are per connection (not stored in the
file), so each way cocdesk gets a connection is checked: the factory itself,
on a new and on an existing file, the connections of `Desk.create`,
`Desk.open` and an unlocked session, after a purge (VACUUM) and a backup, and
every connection the command line opens. A source scan then proves there is
no second factory: `sqlite3.connect` is called, and `sqlite_utils.Database`
constructed, in cocdesk/store/connection.py only.
"""

from __future__ import annotations

import ast
import io
import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlite_utils

import cocdesk
from cocdesk.cli import main as cli_main
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk
from cocdesk.service import desk as desk_module
from cocdesk.service.copies import backup
from cocdesk.store.connection import open_database
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report

EXPECTED: dict[str, object] = {
    "secure_delete": 1,
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "foreign_keys": 1,
    "busy_timeout": 5000,
}
PACKAGE = Path(cocdesk.__file__).resolve().parent
FACTORY_MODULE = "store/connection.py"
# Calls that open a SQLite connection; names are resolved through import aliases.
OPENERS = {
    "sqlite3.connect": "sqlite3.connect",
    "sqlite3.dbapi2.connect": "sqlite3.connect",
    "sqlite3.Connection": "sqlite3.connect",
    "sqlite_utils.Database": "sqlite_utils.Database",
    "sqlite_utils.db.Database": "sqlite_utils.Database",
}


def settings(db: sqlite_utils.Database) -> dict[str, object]:
    return {name: db.execute(f"PRAGMA {name}").fetchone()[0] for name in EXPECTED}


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    """A vault folder with one case, closed."""
    folder = tmp_path / "vault"
    desk = Desk.create(folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS)
    CaseService(desk.unlock(LEAD, LEAD_PASSPHRASE)).add_report(sample_report("x"))
    desk.close()
    return folder


# -- the connections themselves ----------------------------------------------------------------------
def test_a_connection_made_without_the_factory_fails_the_check(tmp_path: Path) -> None:
    """Proof the check can fail: a plain connection has SQLite's defaults, not cocdesk's settings."""
    db = sqlite_utils.Database(sqlite3.connect(tmp_path / "plain.db"))
    try:
        found = settings(db)
        assert found != EXPECTED
        assert found["journal_mode"] != "wal" and found["foreign_keys"] == 0
    finally:
        db.close()


def test_open_database_on_a_new_file_has_every_setting(tmp_path: Path) -> None:
    """The factory applies all five settings to a file it creates."""
    db = open_database(tmp_path / "fresh.db")
    try:
        assert settings(db) == EXPECTED
    finally:
        db.close()


def test_open_database_on_an_existing_vault_has_every_setting_per_connection(vault: Path) -> None:
    """Two connections to one vault each carry the settings (they are not inherited from the file)."""
    first = open_database(database_path(vault))
    second = open_database(database_path(vault))
    try:
        assert settings(first) == EXPECTED
        assert settings(second) == EXPECTED
    finally:
        second.close()
        first.close()


def test_desk_create_open_and_session_connections_have_every_setting(tmp_path: Path) -> None:
    """The connections behind Desk.create, Desk.open and an unlocked Session all have the settings."""
    folder = tmp_path / "vault"
    created = Desk.create(folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS)
    try:
        assert settings(created.db) == EXPECTED
        opened = Desk.open(folder)
        try:
            assert settings(opened.db) == EXPECTED
            session = opened.unlock(LEAD, LEAD_PASSPHRASE)
            assert settings(session.db) == EXPECTED
        finally:
            opened.close()
    finally:
        created.close()


def test_settings_survive_a_purge_vacuum_and_a_backup(vault: Path, tmp_path: Path) -> None:
    """VACUUM (purge) and VACUUM INTO (backup) leave the connection's settings as they were."""
    desk = Desk.open(vault)
    try:
        session = desk.unlock(LEAD, LEAD_PASSPHRASE)
        cases = CaseService(session)
        cases.purge(cases.add_report(sample_report("y")))
        assert settings(session.db) == EXPECTED
        backup(desk, session, tmp_path / "copy.db")
        assert settings(session.db) == EXPECTED
    finally:
        desk.close()
    copy = open_database(tmp_path / "copy.db")
    try:
        assert settings(copy) == EXPECTED
    finally:
        copy.close()


CLI_COMMANDS = {
    "list": ["list", "--json"],
    "verify": ["verify"],
    "export": ["export", "C-0001", "--format", "json"],
    "add": ["add", "REPORT"],
    "backup": ["backup", "COPY"],
}


@pytest.mark.parametrize("argv", list(CLI_COMMANDS.values()), ids=list(CLI_COMMANDS))
def test_every_cli_command_connection_has_every_setting(
    vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    """Each connection a CLI command opens (seen through a spy on the factory) has all five settings."""
    seen: list[dict[str, object]] = []
    real: Callable[[Path], sqlite_utils.Database] = desk_module.open_database

    def spy(path: Path) -> sqlite_utils.Database:
        db = real(path)
        seen.append(settings(db))
        return db

    monkeypatch.setattr(desk_module, "open_database", spy)
    monkeypatch.setenv("COCDESK_PASSPHRASE", LEAD_PASSPHRASE)
    monkeypatch.setenv("COCDESK_MEMBER", LEAD)
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"description": "a report"}), encoding="utf-8")
    args = [{"REPORT": str(report), "COPY": str(tmp_path / "copy.db")}.get(a, a) for a in argv]
    out, err = io.StringIO(), io.StringIO()
    assert cli_main(["--data-dir", str(vault), *args], out=out, err=err) == 0, err.getvalue()
    assert seen, "the command opened no connection through the factory"
    assert all(s == EXPECTED for s in seen), seen


# -- no second factory ------------------------------------------------------------------------------
def opener_calls(source: str) -> list[tuple[int, str]]:
    """(line, opener) for every call in `source` that opens a SQLite connection, aliases resolved."""
    tree = ast.parse(source)
    names: dict[str, str] = {}  # local name -> dotted origin
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        parts: list[str] = []
        func: ast.expr = node.func
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name):
            continue
        dotted = ".".join([names.get(func.id, func.id), *reversed(parts)])
        if dotted in OPENERS:
            found.append((node.lineno, OPENERS[dotted]))
    return found


def package_sources() -> dict[str, str]:
    return {p.relative_to(PACKAGE).as_posix(): p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}


def test_the_source_scan_catches_a_second_factory() -> None:
    """Proof the scan can fail: each way of writing a second factory is found, comments are not."""
    source = (
        "import sqlite3\nimport sqlite3 as sq\nimport sqlite_utils\nimport sqlite_utils.db\n"
        "from sqlite3 import connect as c\nfrom sqlite_utils import Database\n"
        "from sqlite_utils.db import Database as D\n"
        "# sqlite3.connect('in a comment')\n'sqlite_utils.Database(in a string)'\n"
        "a = sqlite3.connect('x')\nb = sq.connect('x')\nc('x')\nsqlite_utils.Database('x')\n"
        "Database('x')\nD('x')\nsqlite_utils.db.Database('x')\nsqlite3.Connection('x')\n"
    )
    assert [line for line, _ in opener_calls(source)] == list(range(10, 18))


def test_sqlite3_connect_is_called_in_exactly_one_module() -> None:
    """`sqlite3.connect` appears once in the package, in store/connection.py: there is no second factory."""
    sources = package_sources()
    assert FACTORY_MODULE in sources
    calls = {
        path: [line for line, kind in opener_calls(text) if kind == "sqlite3.connect"]
        for path, text in sources.items()
    }
    calls = {path: lines for path, lines in calls.items() if lines}
    assert list(calls) == [FACTORY_MODULE], calls
    assert len(calls[FACTORY_MODULE]) == 1, calls
    # And the plain-text grep agrees (catches code the parser might not see the same way).
    grep = {path for path, text in sources.items() if re.search(r"\bsqlite3\s*\.\s*connect\s*\(", text)}
    assert grep == {FACTORY_MODULE}


def test_sqlite_utils_database_is_constructed_only_in_the_connection_module() -> None:
    """`sqlite_utils.Database(...)` is built only by store/connection.py (from the one connection)."""
    sources = package_sources()
    built = {
        path: [line for line, kind in opener_calls(text) if kind == "sqlite_utils.Database"]
        for path, text in sources.items()
    }
    built = {path: lines for path, lines in built.items() if lines}
    assert list(built) == [FACTORY_MODULE], built
    grep = {path for path, text in sources.items() if re.search(r"\bDatabase\s*\(", text)}
    assert grep == {FACTORY_MODULE}
