"""Smoke test: the real `cocdesk demo` in a real terminal (tmux, 80x24), keyboard only.

Pilot drives the app in-process; this drives the installed entry point through a
pty, so start-up, raw keys (ctrl+s, ctrl+l, ctrl+q) and the exit code are the
ones a responder gets. tmux runs on its own socket (-L) with no user config
(-f), so a developer's tmux server and settings are never touched.
"""

from __future__ import annotations

import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

CASE_ID = re.compile(r"C-\d{4}")
ACCOUNT = "Grey hoodie shouted over the panel at me."
# No status line (the pane is the whole 80x24) and keep the pane after the app
# exits, so its last words ("EXIT=0") can be read.
TMUX_CONF = "set -g status off\nset -g remain-on-exit on\nset -g escape-time 50\n"


class Terminal:
    """One detached tmux session on a private server."""

    def __init__(self, socket: str, config: Path) -> None:
        self.socket = socket
        self.config = config

    def tmux(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["tmux", "-u", "-L", self.socket, "-f", str(self.config), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
        if done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.tmux("send-keys", "-t", "smoke", *(["-l"] if literal else []), *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "smoke")

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        """Poll the pane until `text` is on it; fail with the pane's content at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} never appeared within {timeout}s; the pane shows:\n{screen}")
            time.sleep(0.1)

    def watch(self, seconds: float) -> list[str]:
        """Every distinct picture the pane shows over the next `seconds` (late redraws included)."""
        seen: list[str] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if screen not in seen:
                seen.append(screen)
            time.sleep(0.05)
        return seen

    def wait_until_gone(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text not in screen:
                return screen
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} still shown after {timeout}s; the pane shows:\n{screen}")
            time.sleep(0.1)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    """`cocdesk demo` started in an 80x24 tmux pane; the private tmux server is killed afterwards."""
    config = tmp_path / "tmux.conf"
    config.write_text(TMUX_CONF)
    term = Terminal(f"cocdesk-smoke-{os.getpid()}-{secrets.token_hex(4)}", config)
    home = tmp_path / "home"
    env = {
        **os.environ,
        "COCDESK_HOME": str(home),
        # The demo's throwaway vault (mkdtemp) lands in tmp_path even if the app is killed.
        "TMPDIR": str(tmp_path),
        "LANG": os.environ.get("LANG") or "C.UTF-8",
    }
    command = f"{shlex.quote(sys.executable)} -m cocdesk demo; echo EXIT=$?"
    socket_path: str | None = None
    try:
        term.tmux(
            "new-session", "-d", "-s", "smoke", "-x", "80", "-y", "24",
            "-e", f"COCDESK_HOME={home}", "-e", f"TMPDIR={tmp_path}",
            command,
            env=env,
        )  # fmt: skip
        socket_path = term.tmux("display-message", "-p", "#{socket_path}").strip()
        yield term
    finally:
        subprocess.run(
            ["tmux", "-L", term.socket, "kill-server"], capture_output=True, check=False, timeout=30
        )
        if socket_path:  # tmux leaves its socket file behind
            Path(socket_path).unlink(missing_ok=True)


@pytest.mark.parametrize(
    "lock_at_once",
    [
        pytest.param(False, id="lock-after-the-toast"),
        pytest.param(True, id="lock-at-once"),
    ],
)
def test_the_demo_takes_a_report_locks_and_quits_in_an_80x24_terminal(
    terminal: Terminal, lock_at_once: bool
) -> None:
    """Unlock with the shown passphrase, first contact, a report saved as C-0008, ctrl+l leaves
    only the unlock screen (no case id in any frame), ctrl+q exits 0. `lock-at-once` locks while
    the "Saved as C-0008." toast is still up; the other waits for the toast to go first."""
    terminal.wait_for("The passphrase is: demo")
    terminal.keys("demo", literal=True)
    terminal.keys("Enter")
    terminal.wait_for("C-0001")

    terminal.keys("n")
    terminal.wait_for("Safety first")
    terminal.keys("i")
    terminal.wait_for("+ Witness")  # intake's footer
    terminal.keys(ACCOUNT, literal=True)
    # Save once the account is on screen, as a person would. (Today ctrl+s is a priority
    # binding: pressed at once, it can run before the TextArea has taken the keys queued
    # ahead of it, and save a cut-short account or refuse an "empty" one.)
    terminal.wait_for(ACCOUNT)
    terminal.keys("C-s")
    terminal.wait_for("C-0008")
    if not lock_at_once:
        terminal.wait_until_gone("Saved as C-0008")

    terminal.keys("C-l")
    terminal.wait_for("DemoCon 2026 — response team")
    # Not one frame after the lock may show a case: watch for anything drawn late.
    for locked in terminal.watch(1.5):
        assert not CASE_ID.findall(locked), f"a case id is on screen after ctrl+l:\n{locked}"
        assert "The passphrase is: demo" in locked

    terminal.keys("C-q")
    assert "EXIT=0" in terminal.wait_for("EXIT=")
