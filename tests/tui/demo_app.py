"""The deterministic demo app, and the steps that walk it, for pictures of the TUI.

Shared by the snapshot tests (tests/tui/test_snapshots.py) and
scripts/screenshots.py, so both show the same app in the same states. Fictional
data only (cocdesk.demo), a frozen clock, an idle clock that never moves (no
idle lock mid-picture) and cursors that do not blink: the same keys give the
same picture on every machine. No pytest import here: the script uses it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from cocdesk import demo
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.vault.kdf import FAST_FOR_TESTS

FROZEN = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)

# Typed key by key (about 50 ms a key under Pilot), so kept short.
ACCOUNT = "Grey hoodie shouted over the panel at me."
NOTE = "Room volunteer saw it too."


def frozen_clock() -> datetime:
    return FROZEN


def still_idle_clock() -> float:
    return 0.0


def demo_app(folder: Path) -> CocdeskApp:
    """Build the demo vault in `folder` (fast KDF, frozen clock) and the app that opens it."""
    demo.build(folder, now=frozen_clock, params=FAST_FOR_TESTS).close()
    return make_app(folder, demo_passphrase=demo.PASSPHRASE, clock=frozen_clock, idle_clock=still_idle_clock)


def first_run_app(folder: Path) -> CocdeskApp:
    """The app on a folder with no vault: it offers to create one."""
    return make_app(folder, clock=frozen_clock, idle_clock=still_idle_clock)


# -- steps (each leaves the app settled) -------------------------------------------------
async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish, their messages land, and stop every cursor blinking."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
    # A blinking cursor is visible or not depending on when the picture is taken.
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for area in pilot.app.screen.query(TextArea):
        area.cursor_blink = False
    await pilot.pause()


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def unlock(pilot: Pilot[None], passphrase: str = demo.PASSPHRASE) -> None:
    """From start-up to the queue, typing the passphrase (the demo's by default)."""
    await settle(pilot)
    await press(pilot, *passphrase, "enter")


async def first_contact(pilot: Pilot[None]) -> None:
    """Queue → first contact, with the first two DO items ticked and a lead called (u)."""
    await unlock(pilot)
    await press(pilot, "n")
    await press(pilot, "space", "down", "space", "u")


async def intake(pilot: Pilot[None]) -> None:
    """First contact → intake, with the reporter's account typed."""
    await first_contact(pilot)
    await press(pilot, "i")
    await press(pilot, *ACCOUNT)


async def case(pilot: Pilot[None]) -> None:
    """Queue → the first case (C-0001)."""
    await unlock(pilot)
    await press(pilot, "enter")
