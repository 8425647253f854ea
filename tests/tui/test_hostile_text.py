"""Hostile stored text (markup, escape sequences, bidi controls) on every screen: shown literally,
nothing interpreted, no action fired, no crash, no control byte in what is rendered."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocdesk.domain.report import Report, ReportedPerson, Reporter, Witness
from cocdesk.domain.roles import Role
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.intake import IntakeScreen
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.tui.conftest import everything_shown, frozen, settle, unlock

MARKUP = "Sam [@click=app.quit]Smith[/] Jo [/bold] Bloggs [link=https://evil.example]x[/link]"
CONTROLS = "clear\x1b[2J osc52\x1b]52;c;aGk=\x07 csi\x9b31m rtl\u202eevil"
HOSTILE = f"{MARKUP} {CONTROLS}"
MEMBER = "Max [@click=app.quit]M[/] [b]"
RAW_BYTES = ("\x1b", "\x9b", "\x07", "\u202e")


def hostile_report() -> Report:
    return Report(
        description=HOSTILE,
        taken_by=HOSTILE,
        reporter=Reporter(name=HOSTILE, contact=HOSTILE, identification_concerns=HOSTILE),
        incident_at=HOSTILE,
        location=HOSTILE,
        circumstances=HOSTILE,
        category="harassment",
        reported=(ReportedPerson(name=HOSTILE, badge=HOSTILE, affiliation=HOSTILE, appearance=HOSTILE),),
        witnesses=(Witness(name=HOSTILE, contact=HOSTILE),),
        reporter_suggestions=HOSTILE,
    )


@pytest.fixture
def hostile_app(tmp_path: Path) -> CocdeskApp:
    folder = tmp_path / "hostile"
    desk = Desk.create(
        folder, "Event [@click=app.quit]x[/]", MEMBER, "pw-12345", params=FAST_FOR_TESTS, clock=frozen
    )
    session = desk.unlock(MEMBER, "pw-12345")
    TeamService(session).add_member("Lee [/]", Role.LEAD, "pw-12345", FAST_FOR_TESTS)
    cases = CaseService(session)
    case_id = cases.add_report(hostile_report())
    cases.add_note(case_id, HOSTILE)
    desk.close()
    return make_app(folder, clock=frozen)


def assert_literal_and_harmless(app: CocdeskApp) -> None:
    frame = everything_shown(app)
    assert [b for b in RAW_BYTES if b in frame] == []
    assert app.is_running and app.return_code is None  # [@click=app.quit] did not fire


async def test_every_screen_shows_hostile_text_literally(hostile_app: CocdeskApp) -> None:
    app = hostile_app
    async with app.run_test(size=(160, 80)) as pilot:
        await settle(pilot)
        assert "Max [@click=app.quit]M[/] [b]" in everything_shown(app)  # the member list
        assert_literal_and_harmless(app)
        await unlock(pilot, "pw-12345")
        frame = everything_shown(app)
        assert "C-0001" in frame and "Max [@click=app.quit]M[/] [b]" in frame  # queue: holder
        assert_literal_and_harmless(app)

        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        frame = everything_shown(app)
        assert MARKUP in frame
        assert "clear⟨U+001B⟩[2J" in frame and "rtl⟨U+202E⟩evil" in frame and "csi⟨U+009B⟩31m" in frame
        assert_literal_and_harmless(app)
        await pilot.click("#case-body", offset=(20, 10))  # where a hidden [@click] would sit
        await pilot.pause()
        assert_literal_and_harmless(app)

        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert MARKUP in everything_shown(app)
        assert_literal_and_harmless(app)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("question_mark")
        await pilot.pause()
        assert_literal_and_harmless(app)
        await pilot.press("escape", "escape")
        await pilot.pause()

        await pilot.press("n")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        assert "call a lead now: Max [@click=app.quit]M[/] [b], Lee [/]" in everything_shown(app)
        assert_literal_and_harmless(app)

        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.press("slash", *"bloggs")
        await settle(pilot)
        assert "1 of 1 cases" in everything_shown(app)
        assert_literal_and_harmless(app)


async def test_saving_an_untouched_hostile_report_keeps_every_byte(
    hostile_app: CocdeskApp, tmp_path: Path
) -> None:
    app = hostile_app
    async with app.run_test(size=(120, 60)) as pilot:
        await unlock(pilot, "pw-12345")
        await pilot.press("enter", "e")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
    desk = Desk.open(tmp_path / "hostile")
    try:
        view = CaseService(desk.unlock(MEMBER, "pw-12345")).open_case("C-0001")
        assert view.report == hostile_report()
        assert view.timeline[-1].what == "report edited"
    finally:
        desk.close()


async def test_toasts_never_read_markup(hostile_app: CocdeskApp) -> None:
    app = hostile_app
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await unlock(pilot, "pw-12345")
        app.screen.notify("[@click=app.quit]Smith[/] [/bold]")  # a widget's notify asks for markup
        await pilot.pause()
        assert "[@click=app.quit]Smith[/] [/bold]" in everything_shown(app)
        assert_literal_and_harmless(app)


async def test_the_header_shows_control_characters_visibly(hostile_app: CocdeskApp) -> None:
    """An event name edited in the file to hold escape codes reaches the Header made visible."""
    app = hostile_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.sub_title = "Evil\x1b]52;c;aGk=\x07Con\u202e"
        await pilot.pause()
        frame = everything_shown(app)
        assert "Evil⟨U+001B⟩]52;c;aGk=⟨U+0007⟩Con⟨U+202E⟩" in frame
        assert_literal_and_harmless(app)


async def test_editing_a_multi_line_account_keeps_its_line_breaks(tmp_path: Path) -> None:
    folder = tmp_path / "lines"
    desk = Desk.create(folder, "E", "Robin", "pw-12345", params=FAST_FOR_TESTS, clock=frozen)
    CaseService(desk.unlock("Robin", "pw-12345")).add_report(Report(description="line one\nline two\tend"))
    desk.close()
    app = make_app(folder, clock=frozen)
    async with app.run_test(size=(100, 40)) as pilot:
        await unlock(pilot, "pw-12345")
        await pilot.press("enter", "e")
        await pilot.pause()
        await pilot.press(*" more", "ctrl+s")
        await settle(pilot)
    desk = Desk.open(folder)
    try:
        report = CaseService(desk.unlock("Robin", "pw-12345")).open_case("C-0001").report
        assert report.description == "line one\nline two\tend more"
    finally:
        desk.close()
