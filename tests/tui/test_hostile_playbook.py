"""SECURITY.md battery 15 (second half), issue 14 item 10: playbook text reaches the terminal
only through the same literal path as case text.

A vault whose stored playbook carries markup and escape sequences in every string (as a
vault made before the loader refused them could; written here through the library, past
the loader) is walked screen by screen under Pilot. On each: the markup is shown as the
characters it is, nothing is interpreted or fired, and neither the rendered screen nor
the bytes Textual would write to the terminal for it hold one escape byte of the
playbook's (OSC 52 clipboard write, OSC 8 link, CSI 2J, C1 CSI, BEL, bidi override).
"""

from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cocdesk import demo
from cocdesk.errors import BadPlaybook
from cocdesk.playbook import parse_playbook
from cocdesk.playbook.loader import default_text
from cocdesk.service import Desk
from cocdesk.store import meta
from cocdesk.store.connection import write
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.decision import DecisionScreen
from cocdesk.tui.screens.first_contact import FirstContactScreen
from cocdesk.tui.screens.followup import FollowUpScreen
from cocdesk.tui.screens.intake import IntakeScreen
from cocdesk.tui.screens.meeting import MeetingScreen
from cocdesk.tui.screens.modals import ConfirmModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.screens.transparency import TransparencyScreen
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.tui.conftest import everything_shown, frozen
from tests.tui.demo_app import open_case, press, settle, tab_to, unlock

MARKUP = "[@click=app.quit]Q[/] [/bold] [link=https://evil.example]L[/link]"
ESCAPES = (
    "\x1b]52;c;aGk=\x07"  # OSC 52: write the clipboard
    "\x1b]8;;https://evil.example\x1b\\osc8\x1b]8;;\x1b\\"  # OSC 8: a hidden link
    "\x1b[2J"  # CSI 2J: clear the screen
    "\x9b31m"  # C1 CSI
    "\u202eevil"  # bidi override
)
HOSTILE = f" {MARKUP} {ESCAPES}"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")
# What Textual itself writes to draw a frame: colours and styles (SGR), cursor moves.
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:]*[mH]")


def hostile(value: Any, key: str = "") -> Any:
    """Every string of the playbook with the hostile text appended (codes stay codes)."""
    if isinstance(value, dict):
        return {k: hostile(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile(v, key) for v in value]
    if isinstance(value, str) and key != "code":
        return value + HOSTILE
    return value


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def to_toml(data: dict[str, Any]) -> str:
    """Enough TOML for the playbook's shape: keys, tables, arrays of tables."""

    def is_tables(v: Any) -> bool:
        return isinstance(v, list) and bool(v) and isinstance(v[0], dict)

    lines = [f"{k} = {_toml(v)}" for k, v in data.items() if not isinstance(v, dict) and not is_tables(v)]
    for name, table in data.items():
        if isinstance(table, dict):
            lines += [f"[{name}]", *(f"{k} = {_toml(v)}" for k, v in table.items())]
    for name, items in data.items():
        if is_tables(items):
            for item in items:
                lines += [f"[[{name}]]", *(f"{k} = {_toml(v)}" for k, v in item.items())]
    return "\n".join(lines) + "\n"


HOSTILE_TEXT = to_toml(hostile(tomllib.loads(default_text())))


@pytest.fixture
def hostile_playbook_app(tmp_path: Path) -> CocdeskApp:
    """The demo vault (fictional cases at every step), its stored playbook replaced."""
    folder = tmp_path / "demo"
    demo.build(folder, now=frozen, params=FAST_FOR_TESTS).close()
    desk = Desk.open(folder)
    try:
        session = desk.unlock(demo.LEAD, demo.PASSPHRASE)
        with write(desk.db):
            meta.put(desk.db, "playbook", HOSTILE_TEXT)
            meta.seal(desk.db, session.event_keys)
    finally:
        desk.close()
    return make_app(folder, demo_passphrase=demo.PASSPHRASE, clock=frozen)


def test_the_loader_refuses_this_playbook() -> None:
    """A new vault, `init --playbook`, never gets it: only an older vault holds one."""
    with pytest.raises(BadPlaybook, match=r"line \d+: .*U\+001B"):
        parse_playbook(HOSTILE_TEXT, "hostile.toml")


def terminal_output(app: CocdeskApp) -> str:
    """The bytes Textual's terminal driver writes to draw the current screen from scratch."""
    update = app.screen._compositor.render_full_update()
    return update.render_segments(app.console)


def assert_clean(app: CocdeskApp, where: str) -> str:
    frame = everything_shown(app)
    assert [c for c in RAW if c in frame] == [], f"{where}: a raw control character was rendered"
    written = TEXTUAL_OWN.sub("", terminal_output(app))
    stray = sorted(
        {f"U+{ord(c):04X}" for c in written if c != "\n" and unicodedata.category(c) in ("Cc", "Cf")}
    )
    assert stray == [], f"{where}: the terminal would get {stray}"
    assert app.is_running and app.return_code is None, f"{where}: [@click=app.quit] fired"
    return frame


def assert_literal(frame: str, where: str) -> None:
    assert MARKUP in frame, f"{where}: the playbook's markup is not shown as typed"
    assert "⟨U+001B⟩]52;c;aGk=⟨U+0007⟩" in frame, f"{where}: the escape is not shown visibly"


async def back_to_queue(pilot: Pilot[None]) -> None:
    app = pilot.app
    for _ in range(8):
        if isinstance(app.screen, QueueScreen):
            return
        await press(pilot, "y" if isinstance(app.screen, ConfirmModal) else "escape")
    raise AssertionError(f"stuck on {type(app.screen).__name__}")


async def test_every_screen_shows_playbook_text_literally(hostile_playbook_app: CocdeskApp) -> None:
    app = hostile_playbook_app
    async with app.run_test(size=(200, 220)) as pilot:
        await settle(pilot)
        assert_clean(app, "unlock")
        await unlock(pilot)
        assert app.desk is not None and app.desk.playbook.do[0].endswith(HOSTILE)  # the older vault opened
        assert_clean(app, "queue")

        await press(pilot, "n")
        assert isinstance(app.screen, FirstContactScreen)
        assert_literal(assert_clean(app, "first contact"), "first contact")
        await press(pilot, "u")  # the urgent box, with the leads' names
        assert_clean(app, "first contact, urgent")
        await press(pilot, "question_mark")
        assert_clean(app, "first contact, help")
        await press(pilot, "escape")

        await press(pilot, "i")
        assert isinstance(app.screen, IntakeScreen)
        assert_literal(assert_clean(app, "intake"), "intake")
        await tab_to(pilot, "category")
        await press(pilot, "enter")  # the category list, open
        assert_literal(assert_clean(app, "intake, categories"), "intake, categories")
        await press(pilot, "escape")
        await back_to_queue(pilot)

        await open_case(pilot, "C-0004")  # decided: category, actions and details shown
        assert isinstance(app.screen, CaseScreen)
        assert_literal(assert_clean(app, "case"), "case")
        await press(pilot, "f")
        assert isinstance(app.screen, FollowUpScreen)
        for tab in ("talk", "reporter", "appeal", "public", "messages"):
            assert app.screen.active_tab == tab
            frame = assert_clean(app, f"follow-up, {tab}")
            if tab != "reporter":  # every other tab shows playbook guidance or a template
                assert_literal(frame, f"follow-up, {tab}")
            await press(pilot, "right")
        await back_to_queue(pilot)

        await open_case(pilot, "C-0006")
        await press(pilot, "d")
        assert isinstance(app.screen, DecisionScreen)
        assert_literal(assert_clean(app, "decision"), "decision")
        # The check can fail: a placeholder set raw, past literal.py, reaches the terminal bytes.
        field = app.screen.query_one("#referred-to", Input)
        field.placeholder = "raw\x1b[2J\x1b]52;c;aGk="  # (rich drops a BEL by itself)
        await settle(pilot)
        assert "raw\x1b[2J\x1b]52;c;aGk=" in TEXTUAL_OWN.sub("", terminal_output(app))
        field.placeholder = "police, venue security, another team…"
        await settle(pilot)
        await press(pilot, "question_mark")
        assert_clean(app, "decision, help")
        await press(pilot, "escape")
        await back_to_queue(pilot)

        await open_case(pilot, "C-0005")
        await press(pilot, "t")
        assert isinstance(app.screen, MeetingScreen)
        assert_literal(assert_clean(app, "meeting"), "meeting")
        await back_to_queue(pilot)

        await press(pilot, "r")
        assert isinstance(app.screen, TransparencyScreen)
        assert_literal(assert_clean(app, "transparency report"), "transparency report")
        await back_to_queue(pilot)
        for key, where in (("t", "team"), ("h", "handoff")):
            await press(pilot, key)
            assert_clean(app, where)
            await back_to_queue(pilot)
        await press(pilot, "ctrl+p")
        assert_clean(app, "command palette")
