"""A new report: first contact (safety, DO / DON'T ticks) through intake into the queue."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Checkbox, Input, Label, TextArea

from cocdesk.service import CaseService, Desk
from cocdesk.service.drafts import DraftService
from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.first_contact import FirstContactScreen
from cocdesk.tui.screens.intake import IntakeScreen
from cocdesk.tui.screens.modals import ConfirmModal
from cocdesk.tui.screens.queue import QueueScreen
from tests.tui.conftest import frozen, screen_text, settle, start_report, unlock

LEAD, PASSPHRASE = "Robin Lead", "demo"


def _open(folder: Path) -> tuple[Desk, CaseService]:
    desk = Desk.open(folder, clock=frozen)
    return desk, CaseService(desk.unlock(LEAD, PASSPHRASE))


async def test_first_contact_shows_safety_then_do_and_dont(app: CocdeskApp) -> None:
    async with app.run_test(size=(120, 50)) as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, FirstContactScreen)
        text = screen_text(app)
        assert "Safety first" in text
        assert "call emergency services (911)" in text
        assert "Quiet room: Ask the registration desk" in text
        checkboxes = app.screen.query(Checkbox)
        assert len(checkboxes) == 16  # 8 DO + 8 DON'T, from the playbook


async def test_a_report_goes_from_first_contact_through_intake_to_the_queue(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("space", "down", "space", "u")
        await pilot.pause()
        assert "URGENT — call a lead now: Robin Lead" in screen_text(app)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.focused is app.screen.query_one("#description", TextArea)
        await pilot.press(*"He grabbed my arm at the bar")
        app.screen.query_one("#location", Input).value = "Upstairs bar"
        app.screen.query_one(".person-name", Input).value = "Casey Fictional"
        await pilot.pause()
        assert str(app.screen.query_one(".pattern", Label).content) == "2 earlier reports name this person"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "C-0008" in screen_text(app) and "8 cases" in screen_text(app)
    desk, cases = _open(demo_folder)
    try:
        view = cases.open_case("C-0008")
        assert view.report.description == "He grabbed my arm at the bar"
        assert view.report.location == "Upstairs bar"
        assert view.report.urgent is True
        assert [p.name for p in view.report.reported] == ["Casey Fictional"]
        assert [t.item for t in view.first_contact] == [
            "DO: Stay calm and listen; use no words that judge.",
            "DO: Offer a quiet, private place to sit (Ask the registration desk for the quiet room).",
        ]
        assert all(t.at == "2026-05-02T15:00:00Z" for t in view.first_contact)
        assert DraftService(cases.session).load() is None
    finally:
        desk.close()


async def test_saving_without_an_account_is_refused_and_loses_nothing(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await start_report(pilot)
        app.screen.query_one("#location", Input).value = "Hall B"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert (
            str(app.screen.query_one("#intake-message", Label).content) == "Not saved: description is empty"
        )
        assert app.screen.query_one("#location", Input).value == "Hall B"


async def test_leaving_with_unsaved_changes_asks_first(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await start_report(pilot, "half a report")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.query_one("#description", TextArea).text == "half a report"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert "7 cases" in screen_text(app)


async def test_leaving_an_untouched_form_does_not_ask(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await start_report(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_more_reported_people_and_witnesses_can_be_added(app: CocdeskApp, demo_folder: Path) -> None:
    async with app.run_test(size=(80, 40)) as pilot:
        await unlock(pilot)
        await start_report(pilot, "Two of them")
        await pilot.press("f2")
        await pilot.pause()
        await pilot.press(*"Second Person")
        await pilot.press("f3")
        await pilot.pause()
        await pilot.press(*"Witness Two")
        await pilot.press("ctrl+s")
        await settle(pilot)
    desk, cases = _open(demo_folder)
    try:
        report = cases.open_case("C-0008").report
        assert [p.name for p in report.reported] == ["Second Person"]
        assert [w.name for w in report.witnesses] == ["Witness Two"]
    finally:
        desk.close()


async def test_a_draft_survives_the_app_dying_and_comes_back_on_unlock(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await start_report(pilot, "typed before the battery died")
        await pilot.pause(1.0)  # the draft is sealed 0.8 s after the last keystroke
    from cocdesk.tui.app import make_app

    again = make_app(demo_folder, demo_passphrase="demo", clock=frozen)
    async with again.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert isinstance(again.screen, IntakeScreen)
        assert again.screen.query_one("#description", TextArea).text == "typed before the battery died"
        await pilot.press(*" and more", "ctrl+s")
        await settle(pilot)
        assert isinstance(again.screen, QueueScreen)
    desk, cases = _open(demo_folder)
    try:
        assert cases.open_case("C-0008").report.description == "typed before the battery died and more"
    finally:
        desk.close()


async def test_a_restored_draft_still_asks_before_it_is_thrown_away(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await start_report(pilot, "unsaved words")
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press(*"demo", "enter")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
