"""The deterministic demo app, and the steps that walk it, for pictures of the TUI.

Shared by the snapshot tests (tests/tui/test_snapshots.py) and
scripts/screenshots.py, so both show the same app in the same states. Fictional
data only (cocdesk.demo), a frozen clock, an idle clock that never moves (no
idle lock mid-picture) and cursors that do not blink: the same keys give the
same picture on every machine. No pytest import here: the script uses it too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, TextArea

from cocdesk import demo
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.tui.widgets.queue_table import QueueTable
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
    # As `cocdesk demo` does for its own vault: the app unlocks it at the cost it was built with.
    return make_app(
        folder,
        demo_passphrase=demo.PASSPHRASE,
        clock=frozen_clock,
        idle_clock=still_idle_clock,
        kdf_floor=FAST_FOR_TESTS,
    )


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


# -- the procedure after intake: meeting, decision, follow-up -----------------------------
ANNOUNCEMENT = "Pat Placeholder was asked to leave."  # names someone in a case: flagged


async def tab_to(pilot: Pilot[None], widget_id: str) -> None:
    """Press tab until `#widget_id` has the focus, as a keyboard user would."""
    for _ in range(80):
        focused = pilot.app.screen.focused
        if focused is not None and focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"tab never reached #{widget_id}")


async def choose(pilot: Pilot[None], wanted: str, *, by_prompt: bool = False) -> None:
    """In the focused option list (a dialog's, an open select's), go down to `wanted`; Enter."""
    options = pilot.app.screen.focused
    assert isinstance(options, OptionList)
    for _ in range(options.option_count + 1):
        highlighted = options.highlighted_option
        if highlighted is not None and wanted == (str(highlighted.prompt) if by_prompt else highlighted.id):
            break
        await pilot.press("down")
    await press(pilot, "enter")


async def unlock_as(pilot: Pilot[None], member: str, passphrase: str = demo.PASSPHRASE) -> None:
    """From the unlock screen to the queue as `member`, chosen from the member list by keys."""
    await settle(pilot)
    await tab_to(pilot, "unlock-member")
    await press(pilot, "enter")  # opens the list
    await choose(pilot, member, by_prompt=True)
    await tab_to(pilot, "unlock-passphrase")
    await press(pilot, *passphrase, "enter")


async def open_case(pilot: Pilot[None], case_id: str) -> None:
    """From the queue: the cursor down to `case_id`, Enter."""
    table = pilot.app.screen.query_one(QueueTable)
    for _ in range(table.row_count):
        if table.cursor_key == case_id:
            break
        await pilot.press("down")
    await press(pilot, "enter")


async def meeting(pilot: Pilot[None]) -> None:
    """Queue → C-0005 → its response meeting (t), Robin Lead and Kim Responder ticked present."""
    await unlock(pilot)
    await open_case(pilot, "C-0005")
    await press(pilot, "t")
    await tab_to(pilot, "present-1")
    await press(pilot, "space")
    await tab_to(pilot, "present-2")
    await press(pilot, "space")


async def decision(pilot: Pilot[None]) -> None:
    """Queue → C-0006 (in review) → its decision form (d)."""
    await unlock(pilot)
    await open_case(pilot, "C-0006")
    await press(pilot, "d")


async def follow_up(pilot: Pilot[None]) -> None:
    """Queue → C-0004 (decided) → its follow-up (f), on the Talk tab."""
    await unlock(pilot)
    await open_case(pilot, "C-0004")
    await press(pilot, "f")


async def appeal(pilot: Pilot[None]) -> None:
    """As Avery Chair: C-0001 (appealed) → follow-up → the Appeal tab."""
    await unlock_as(pilot, "Avery Chair")
    await open_case(pilot, "C-0001")
    await press(pilot, "f", "right", "right")


async def public_flagged(pilot: Pilot[None]) -> None:
    """C-0004's Public tab with a draft naming Pat Placeholder, after Check privacy."""
    await follow_up(pilot)
    await press(pilot, "right", "right", "right")
    await tab_to(pilot, "announcement")
    await press(pilot, "f7", *ANNOUNCEMENT)  # f7 selects the template: the draft replaces it
    await tab_to(pilot, "check-privacy")
    await press(pilot, "enter")


async def messages(pilot: Pilot[None]) -> None:
    """C-0004's Messages tab: the message to the reporter, filled from the case."""
    await follow_up(pilot)
    await press(pilot, "right", "right", "right", "right")


# -- for the snapshot tests -----------------------------------------------------------------
Step = Callable[[Pilot[None]], Awaitable[None]]
Shows = Callable[..., bool]


def keys(*pressed: str) -> Step:
    """A step that presses these keys and lets the app settle."""

    async def step(pilot: Pilot[None]) -> None:
        await press(pilot, *pressed)

    return step
