"""Retention in the app, by keys alone on the demo vault (fictional data), 100 days on.

The demo's C-0002 (held in escrow: closed) and C-0003 (referred) were finished ten
days before the demo's frozen clock; the app here runs 100 days after it, so
both are past the default playbook's 90 days. C-0001 is appealed: not finished.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static

from cocdesk import demo
from cocdesk.service import Desk
from cocdesk.store import tally as tally_store
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.tui.screens.modals import ConfirmModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.widgets.queue_table import QueueTable
from tests.tui.conftest import FROZEN, screen_text
from tests.tui.demo_app import press, still_idle_clock, unlock, unlock_as
from tests.tui.test_team_flow import flat, toasts

SIZE = (80, 24)
LATER = FROZEN + timedelta(days=100)
REMINDER = "2 closed cases are past the 90-day retention — P purges them"


def later() -> object:
    return LATER


def app_100_days_on(folder: Path) -> CocdeskApp:
    return make_app(folder, demo_passphrase=demo.PASSPHRASE, clock=later, idle_clock=still_idle_clock)  # type: ignore[arg-type]


def queue_ids(app: CocdeskApp) -> list[str]:
    return list(app.screen.query_one(QueueTable).keys)


def reminder(app: CocdeskApp) -> str | None:
    line = app.screen.query_one("#queue-reminder", Static)
    return str(line.render()) if line.display else None


async def test_the_queue_reminds_then_p_purges_the_expired_cases_after_a_confirm(demo_folder: Path) -> None:
    app = app_100_days_on(demo_folder)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert reminder(app) == REMINDER
        assert REMINDER in screen_text(app)
        assert {"C-0002", "C-0003"} <= set(queue_ids(app))

        await press(pilot, "P")
        assert isinstance(app.screen, ConfirmModal)
        asked = flat(screen_text(app))
        assert "Purge 2 closed cases past the 90-day retention?" in asked
        assert "C-0002, C-0003" in asked
        assert "Backups written before now still hold them (sealed)." in " ".join(app.screen.prompt.split())

        await press(pilot, "y")
        await app.workers.wait_for_complete()
        await press(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert queue_ids(app) == ["C-0001", "C-0004", "C-0005", "C-0006", "C-0007"]
        assert reminder(app) is None
        said = toasts(app)
        assert "Purged C-0002, C-0003." in said and "still hold them (sealed)" in said

    desk = Desk.open(demo_folder, clock=later)  # type: ignore[arg-type]
    try:
        session = desk.unlock("Robin Lead", demo.PASSPHRASE)
        assert tally_store.purged(desk.db).by_status == {"closed": 1, "referred": 1}
        from cocdesk.service.integrity import verify

        assert verify(session) == []
    finally:
        desk.close()


async def test_answering_no_keeps_every_case(demo_folder: Path) -> None:
    app = app_100_days_on(demo_folder)
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await press(pilot, "P")
        await press(pilot, "n")
        assert isinstance(app.screen, QueueScreen)
        assert len(queue_ids(app)) == 7
        assert reminder(app) == REMINDER


async def test_a_responder_sees_who_purges_and_p_says_why_not(demo_folder: Path) -> None:
    app = app_100_days_on(demo_folder)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock_as(pilot, "Kim Responder")
        assert (
            reminder(app) == "2 closed cases are past the 90-day retention — a lead or the chair purges them"
        )
        await press(pilot, "P")
        assert isinstance(app.screen, QueueScreen), "no dialog for a purge that cannot happen"
        assert "only a lead or the chair may purge a case" in toasts(app)
        assert len(queue_ids(app)) == 7


async def test_no_reminder_while_every_case_is_within_retention(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        assert reminder(app) is None
        await press(pilot, "P")
        assert isinstance(app.screen, QueueScreen)
        assert "No closed case is past the 90-day retention." in toasts(app)
