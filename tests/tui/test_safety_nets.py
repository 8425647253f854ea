"""What must never happen: a crash that prints case data, a screenshot written to disk."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cocdesk.service import CaseService, Desk
from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.first_contact import FirstContactScreen
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import sample_report
from tests.tui.conftest import settle, unlock

MARKER = "ZEBRA4411SECRET"


def _read_until(fd: int, proc: subprocess.Popen[bytes], wanted: bytes | None, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            if wanted is not None and wanted in seen:
                return seen
        elif proc.poll() is not None and wanted is None:
            break
    return seen


def test_a_crash_prints_no_case_values(tmp_path: Path) -> None:
    """The app crashes while a local holds case text: the terminal gets one calm line, no values."""
    folder = tmp_path / "vault"
    desk = Desk.create(folder, "E", "Robin", "pw-12345", params=FAST_FOR_TESTS)
    CaseService(desk.unlock("Robin", "pw-12345")).add_report(sample_report(MARKER))
    desk.close()
    primary, secondary = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "100", "LINES": "30"}
    child = Path(__file__).with_name("crash_child.py")
    proc = subprocess.Popen(
        [sys.executable, str(child), str(folder)],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=Path(__file__).parents[2],
        start_new_session=True,
    )
    os.close(secondary)
    try:
        out = _read_until(primary, proc, b"Passphrase", 30)
        assert b"Passphrase" in out, out[-500:]
        time.sleep(0.5)
        os.write(primary, b"pw-12345\r")
        out += _read_until(primary, proc, b"C-0001", 30)
        time.sleep(0.3)
        os.write(primary, b"\r")
        out += _read_until(primary, proc, None, 30)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    text = out.decode("utf-8", "replace")
    assert "internal error (RuntimeError)" in text
    assert MARKER not in text and "Traceback" not in text and "secret_in_a_local" not in text
    assert proc.returncode == 1


async def test_the_palette_has_no_screenshot_and_reaches_screen_actions(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Screenshot" not in titles and "Theme" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"new report")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FirstContactScreen)


async def test_no_key_writes_a_screenshot(
    app: CocdeskApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    before = {p for p in tmp_path.rglob("*") if p.suffix == ".svg"}
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await app.run_action("screenshot")
        await pilot.pause(0.3)
        assert app.copy_to_clipboard("x") is None  # never OSC 52
    after = {p for p in tmp_path.rglob("*") if p.suffix == ".svg"}
    assert after == before
