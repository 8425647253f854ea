"""Issue 14 item 11: Textual settings that write the screen or the keys somewhere are refused.

textual 8.2.8 reads them in textual/constants.py: TEXTUAL_SCREENSHOT saves an SVG of the
screen (case text included, mode 0644) after that many seconds, to
TEXTUAL_SCREENSHOT_LOCATION / TEXTUAL_SCREENSHOT_FILENAME; TEXTUAL_LOG writes every
message; TEXTUAL_DEBUG makes the input parser append every key (a passphrase too) to
./keys.log; TEXTUAL_DRIVER hands the screen and the keys to a class the environment
names; TEXTUAL=devtools/debug sends every message to devtools. Both ways into the app
(`cocdesk`, `cocdesk demo`) refuse each in one line, exit 2, before the app or a demo
vault exists.
"""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cocdesk.cli as cli
import cocdesk.tui.app as tui_app
from cocdesk.cli import main

RECORDING = [
    ("TEXTUAL_SCREENSHOT", "0"),
    ("TEXTUAL_SCREENSHOT", "-1"),  # Textual's "off": refused all the same, it is one edit from on
    ("TEXTUAL_SCREENSHOT_LOCATION", "/tmp"),
    ("TEXTUAL_SCREENSHOT_FILENAME", "cases.svg"),
    ("TEXTUAL_LOG", "/tmp/x.log"),
    ("TEXTUAL_DEBUG", "1"),
    ("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver"),
    ("TEXTUAL", "devtools"),
    ("TEXTUAL", "debug,devtools"),
    ("TEXTUAL", " Devtools"),  # Textual strips and lowercases each feature
    ("TEXTUAL", "headless,DEBUG "),
]


class AppStarted(BaseException):
    """Raised in place of starting the app (a BaseException: main() maps every Exception)."""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin and stdout look like a terminal (set in the test itself: pytest's capture swaps
    sys.stdout between phases); starting the app or building a demo fails the test."""
    monkeypatch.setattr(cli.sys, "stdin", _Tty())
    monkeypatch.setattr(cli.sys, "stdout", _Tty())
    for name in [n for n in os.environ if n.startswith("TEXTUAL")]:
        monkeypatch.delenv(name)

    def started(*args: object, **kwargs: object) -> None:
        raise AppStarted

    monkeypatch.setattr(tui_app, "make_app", started)
    monkeypatch.setattr("cocdesk.demo.build", started)


@pytest.mark.parametrize("argv", [[], ["demo"]], ids=["app", "demo"])
@pytest.mark.parametrize(("name", "value"), RECORDING, ids=[f"{n}={v}" for n, v in RECORDING])
def test_the_app_refuses_every_textual_setting_that_records(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv: list[str], name: str, value: str
) -> None:
    on_a_terminal(monkeypatch)
    monkeypatch.setenv(name, value)
    out, err = io.StringIO(), io.StringIO()
    code = main(argv or ["--data-dir", str(tmp_path / "d")], out=out, err=err)
    said = err.getvalue()
    assert code == 2, said
    assert said.startswith(f"cocdesk: refusing to run with {name}") and said.count("\n") == 1, said
    if name == "TEXTUAL":
        assert "TEXTUAL=debug" in said or "TEXTUAL=devtools" in said, said
    assert out.getvalue() == ""
    assert not (tmp_path / "d").exists()


def test_harmless_textual_settings_still_run_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: colours, animation and the like are no recording; the app starts."""
    on_a_terminal(monkeypatch)
    monkeypatch.setenv("TEXTUAL", "headless")
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
    monkeypatch.setenv("TEXTUAL_COLOR_SYSTEM", "256")
    with pytest.raises(AppStarted):
        main([], out=io.StringIO(), err=io.StringIO())


def _read_all(fd: int, proc: subprocess.Popen[bytes], seconds: float) -> bytes:
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
        elif proc.poll() is not None:
            break
    return seen


def test_no_screenshot_is_written_on_a_real_terminal(tmp_path: Path) -> None:
    """The real command on a pty, asked by the environment for a screenshot at once: exit 2,
    one line, and no SVG anywhere (before the fix Textual wrote the first screen, 0644)."""
    shots = tmp_path / "shots"
    shots.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TERM": "xterm-256color",
        "COLUMNS": "80",
        "LINES": "24",
        "TEXTUAL_SCREENSHOT": "0",
        "TEXTUAL_SCREENSHOT_LOCATION": str(shots),
        "TEXTUAL_SCREENSHOT_FILENAME": "screen.svg",
    }
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cocdesk", "--data-dir", str(tmp_path / "vault")],
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        cwd=tmp_path,
        start_new_session=True,
    )
    os.close(secondary)
    try:
        out = _read_all(primary, proc, 30)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(primary)
    text = out.decode("utf-8", "replace")
    assert proc.returncode == 2, text[-500:]
    assert text.strip().startswith("cocdesk: refusing to run with TEXTUAL_SCREENSHOT"), text[-500:]
    assert list(shots.iterdir()) == [] and list(tmp_path.glob("*.svg")) == []
    assert not (tmp_path / "vault").exists()
