"""Unlocking: right and wrong passphrase, the demo's hint, and the first run on an empty folder."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from textual.widgets import Input, Select

from cocdesk import demo
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.screens.setup import SetupScreen
from cocdesk.tui.screens.unlock import UnlockScreen
from tests.tui.conftest import FakeIdleClock, frozen, screen_text, settle, unlock


async def test_the_demo_shows_its_passphrase_and_the_last_member(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        text = screen_text(app)
        assert "The passphrase is: demo" in text and "DemoCon 2026 — response team" in text
        assert app.screen.query_one("#unlock-member", Select).value == "Robin Lead"
        assert app.screen.focused is app.screen.query_one("#unlock-passphrase", Input)


async def test_the_right_passphrase_opens_the_queue(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, QueueScreen)
        text = screen_text(app)
        assert "C-0001" in text and "C-0007" in text and "7 cases" in text


async def test_a_wrong_passphrase_says_so_and_keeps_the_member(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot, "nope")
        assert isinstance(app.screen, UnlockScreen)
        assert "Wrong passphrase. Try again." in screen_text(app)
        assert app.screen.query_one("#unlock-member", Select).value == "Robin Lead"
        field = app.screen.query_one("#unlock-passphrase", Input)
        assert field.value == "" and app.screen.focused is field
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_another_member_can_be_chosen(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.query_one("#unlock-member", Select).value = "Kim Responder"
        await pilot.click("#unlock-passphrase")
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "Kim Responder (responder)" in app.sub_title


async def test_first_run_creates_the_event_and_its_first_lead(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    app = make_app(folder, clock=frozen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        await pilot.press(*"PyColorado 2026", "enter", *"Robin", "enter", *"short", "enter")
        assert "Strength: too short" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert "Choose a passphrase of at least 8 characters." in screen_text(app)
        field = app.screen.query_one("#setup-passphrase", Input)
        field.value = "four words go here"
        await pilot.pause()
        assert "Strength: strong" in screen_text(app)
        app.screen.query_one("#setup-again", Input).value = "four words go here"
        await pilot.click("#setup-button")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "No cases yet: press n when someone comes to report" in screen_text(app)
    desk = Desk.open(folder)
    try:
        assert desk.event_name == "PyColorado 2026" and desk.member_names() == ["Robin"]
        desk.unlock("Robin", "four words go here")
    finally:
        desk.close()


async def test_mismatched_passphrases_create_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "new"
    app = make_app(folder, clock=frozen)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for field, value in (
            ("event", "E"),
            ("member", "M"),
            ("passphrase", "abcdefgh1"),
            ("again", "abcdefgh2"),
        ):
            app.screen.query_one(f"#setup-{field}", Input).value = value
        await pilot.click("#setup-button")
        await settle(pilot)
        assert "The two passphrases differ." in screen_text(app)
    assert not Desk.exists(folder)


async def test_a_case_put_back_from_an_older_copy_is_refused_at_unlock(
    demo_folder: Path, idle_clock: FakeIdleClock
) -> None:
    """The file edited with an older copy's rows (no passphrase needed): unlock says what, shows nothing."""
    older = demo_folder.parent / "older.db"
    shutil.copy(database_path(demo_folder), older)
    desk = Desk.open(demo_folder)
    session = desk.unlock("Robin Lead", demo.PASSPHRASE)
    CaseService(session).add_note("C-0001", "a note the older copy does not have")
    session.lock()
    desk.close()
    conn = sqlite3.connect(database_path(demo_folder), isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS old", [str(older)])
    for table in ("case_fields", "case_keys", "blind_index"):
        conn.execute(f"DELETE FROM main.{table} WHERE case_id = 'C-0001'")
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM old.{table} WHERE case_id = 'C-0001'")
    conn.execute("INSERT OR REPLACE INTO main.cases SELECT * FROM old.cases WHERE id = 'C-0001'")
    conn.close()

    app = make_app(demo_folder, demo_passphrase=demo.PASSPHRASE, clock=frozen, idle_clock=idle_clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert isinstance(app.screen, UnlockScreen)
        text = screen_text(app)
        assert "the cases are not the ones this vault last sealed" in " ".join(text.split())
        assert "C-0001" not in text
