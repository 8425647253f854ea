"""The queue (filter, sort, open) and the case view (notes, moves, edits)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import OptionList, TextArea

from cocdesk import demo
from cocdesk.domain.steps import Talk
from cocdesk.service import Desk
from cocdesk.service.steps import StepService
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.intake import IntakeScreen
from cocdesk.tui.screens.modals import MoveModal, NoteModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.widgets.queue_table import QueueTable
from tests.tui.conftest import FROZEN, FakeIdleClock, frozen, screen_text, settle, unlock


def _ids(app: CocdeskApp) -> list[str]:
    return list(app.screen.query_one(QueueTable).keys)


async def _to_the_timeline(pilot: Pilot[None]) -> None:
    """Scroll the case to its end, where the timeline is (as a user would, with End)."""
    await pilot.press("end")
    await pilot.pause()


def _lines(app: CocdeskApp) -> dict[str, str]:
    """The queue's rows as shown, by case id."""
    return {line.split()[0]: line for line in screen_text(app).splitlines() if line.strip().startswith("C-")}


async def test_the_queue_shows_age_status_urgency_and_overdue_marks(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        lines = _lines(app)
        assert lines["C-0001"].split()[1:4] == ["10d", "appealed", "exclusionary-language"]
        assert "!" in lines["C-0004"].split() and "decided" in lines["C-0004"]
        assert "referred" in lines["C-0003"]
        assert lines["C-0006"].split()[1:4] == ["3h", "in", "review"]
        assert lines["C-0007"].split()[1] == "30m"
        # Within the playbook's limits (acknowledge in 24h, decide in 7 days): nothing is late.
        assert not any(line.rstrip().endswith(("ack", "decide")) for line in lines.values())


async def test_the_queue_marks_cases_late_by_the_playbooks_limits(
    demo_folder: Path, idle_clock: FakeIdleClock
) -> None:
    """A week later, the open cases are late; decided, closed and referred ones never are."""
    app = make_app(
        demo_folder,
        demo_passphrase=demo.PASSPHRASE,
        clock=lambda: FROZEN + timedelta(days=7),
        idle_clock=idle_clock,
    )
    async with app.run_test(size=(100, 24)) as pilot:
        await unlock(pilot)
        lines = _lines(app)
        assert lines["C-0005"].rstrip().endswith("ack decide")  # no step since intake
        assert lines["C-0007"].rstrip().endswith("ack decide")
        assert lines["C-0006"].rstrip().endswith("decide")  # met, not decided
        assert not lines["C-0006"].rstrip().endswith("ack decide")
        for done in ("C-0001", "C-0002", "C-0003", "C-0004"):
            assert not lines[done].rstrip().endswith(("ack", "decide")), done


async def test_filtering_searches_the_decrypted_text_as_you_type(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"beanie")
        await pilot.pause()
        assert _ids(app) == ["C-0004", "C-0005"]
        assert "2 of 7 cases" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(_ids(app)) == 7


async def test_filter_words_must_all_match(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"beanie social")
        await pilot.pause()
        assert _ids(app) == ["C-0005"]


async def test_sorting_cycles_columns_and_reverses(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert _ids(app)[0] == "C-0001"
        await pilot.press("S")
        await pilot.pause()
        assert _ids(app)[0] == "C-0007" and "sorted by case (reversed)" in screen_text(app)
        await pilot.press("S", "s", "s", "s", "s")  # case → age → status → category → urgency
        await pilot.pause()
        assert "sorted by urgency" in screen_text(app)
        assert _ids(app)[0] == "C-0004"


async def test_enter_opens_the_highlighted_case(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 60)) as pilot:
        await unlock(pilot)
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        text = screen_text(app)
        assert "C-0004 · decided · URGENT" in text
        assert "Someone kept following me between sessions" in text
        assert "Anonymous report" in text
        assert "✓ 2026-05-01 09:00Z  DO: Stay calm and listen" in text
        await _to_the_timeline(pilot)
        assert "2026-05-01 09:00Z  Robin Lead: report taken" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, QueueScreen)


async def test_a_note_is_added_and_shown_on_the_case(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 60)) as pilot:
        await unlock(pilot)
        await pilot.press("enter", "a")
        await pilot.pause()
        assert isinstance(app.screen, NoteModal)
        await pilot.press(*"Spoke to AV team [b]now[/b]", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        text = screen_text(app)
        assert "Robin Lead:\nSpoke to AV team [b]now[/b]" in text.replace(" \n", "\n") or (
            "Spoke to AV team [b]now[/b]" in text
        )
        await _to_the_timeline(pilot)  # C-0001 has come a long way: its timeline is further down
        assert "Robin Lead: note added" in screen_text(app)


async def test_a_refused_move_shows_the_reason_and_an_allowed_one_happens(
    app: CocdeskApp, demo_folder: Path
) -> None:
    # C-0004 is decided; the lead has spoken with the reported person but not yet told the actions.
    desk = Desk.open(demo_folder, clock=frozen)
    try:
        lead = desk.unlock("Robin Lead", demo.PASSPHRASE)
        StepService(lead).record_talk("C-0004", Talk(told_what_reported=True, their_side="denies it"))
    finally:
        desk.close()
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("down", "down", "down", "enter", "m")
        await pilot.pause()
        assert isinstance(app.screen, MoveModal)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "closed — a lead tells the reported person the actions first (follow-up screen)" in shown
        assert (
            "communicated — record the talk with the reported person, the actions told, first "
            "(follow-up screen)"
        ) in shown
        await pilot.press("escape", "escape")
        await pilot.pause()
        # The lead tells the actions: the talk moves the case on, and closing becomes possible.
        StepService(app.session).record_talk(  # type: ignore[arg-type]
            "C-0004", Talk(told_what_reported=True, their_side="denies it", actions_told=True)
        )
        app.screen.query_one(QueueTable).move_cursor(row=3)  # C-0004
        await pilot.press("enter", "m")
        await pilot.pause()
        assert isinstance(app.screen, MoveModal)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        options.highlighted = shown.index("closed")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert "C-0004 · closed" in screen_text(app)
        await _to_the_timeline(pilot)
        assert "status → closed" in screen_text(app)


async def test_editing_a_report_keeps_the_case_and_records_the_edit(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 60)) as pilot:
        await unlock(pilot)
        await pilot.press(*["down"] * 6, "enter", "e")  # C-0007, the newest report
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        area = app.screen.query_one("#description", TextArea)
        assert area.text.startswith("Shouting over the panel Q&A")
        await pilot.press(*" (they left at 15:10)", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        text = screen_text(app)
        assert "C-0007 · reported" in text
        shown = " ".join(text.replace("█", " ").split())  # the account is quoted with a bar on each line
        assert "the moderator could not continue. (they left at 15:10)" in shown
        assert "Robin Lead: report edited" in text
