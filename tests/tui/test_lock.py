"""Locking: ctrl+l and the idle timeout hide every case at once, and nothing comes back on Escape."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.intake import IntakeScreen
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.screens.unlock import UnlockScreen
from tests.tui.conftest import FakeIdleClock, everything_shown, settle, start_report, unlock

# Strings from the demo cases: none may be on screen once locked.
CASE_DATA = ("C-0001", "C-0002", "Casey Fictional", "Someone kept following", "harassment", "Robin Lead:")


def _assert_nothing_of_cases_shown(app: CocdeskApp) -> None:
    frame = everything_shown(app)
    leaked = [s for s in CASE_DATA if s in frame]
    assert leaked == [], f"case data still on screen after locking: {leaked}"


async def test_ctrl_l_locks_at_once_from_a_case(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("down", "down", "down", "enter")  # C-0004, the anonymous report of following
        await pilot.pause()
        session = app.session
        assert session is not None and "Someone kept following" in everything_shown(app)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        assert len(app.screen_stack) == 1  # the unlock screen, nothing behind it
        assert session.locked and app.session is None
        _assert_nothing_of_cases_shown(app)


async def test_escape_after_locking_reveals_nothing(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        for _ in range(3):
            await pilot.press("escape")
            await pilot.pause()
        assert isinstance(app.screen, UnlockScreen)
        _assert_nothing_of_cases_shown(app)


async def test_unlocking_again_after_a_lock_works(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_the_idle_timeout_locks_and_typing_keeps_it_open(
    app: CocdeskApp, idle_clock: FakeIdleClock
) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("enter")
        await pilot.pause()
        idle_clock.now += 4 * 60
        await pilot.press("down")  # activity resets the idle time
        idle_clock.now += 4 * 60
        app.lock_if_idle()
        await pilot.pause()
        assert app.session is not None
        idle_clock.now += 60 + 1  # five playbook minutes since the last key
        app.lock_if_idle()
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and app.session is None
        _assert_nothing_of_cases_shown(app)


async def test_locking_mid_report_keeps_the_typing_as_a_sealed_draft(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await start_report(pilot, "words typed just now")
        await pilot.press("ctrl+l")  # before the 0.8 s autosave
        await settle(pilot)
        assert "words typed just now" not in everything_shown(app)
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#description", TextArea).text == "words typed just now"


async def test_the_palette_offers_no_case_actions_while_locked(app: CocdeskApp) -> None:
    from cocdesk.tui.commands import CocdeskCommands

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        titles = [title for title, _, _ in CocdeskCommands(app.screen)._commands()]
        assert not any(t.startswith(("queue:", "case:", "intake:")) for t in titles)


async def test_ctrl_l_locks_through_an_open_dialog(app: CocdeskApp) -> None:
    """Help, or any other dialog, on top of a case does not hold the lock back."""
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        session = app.session
        assert session is not None and type(app.screen).__name__ == "HelpModal"
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, UnlockScreen) and len(app.screen_stack) == 1
        assert session.locked and app.session is None
        _assert_nothing_of_cases_shown(app)


async def test_help_opened_while_the_key_opens_leaves_nothing_behind_the_queue(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        await pilot.press(*"demo")
        field = screen.query_one("#unlock-passphrase", Input)
        # Enter, then `?` before the key is open: the worker's answer finds help on top.
        screen.submit()
        assert field.value == ""  # the field does not keep the passphrase while the key opens
        app.action_help()
        assert type(app.screen).__name__ == "HelpModal"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and len(app.screen_stack) == 1
