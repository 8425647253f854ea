"""The queue (filter, sort, open) and the case view (notes, moves, edits)."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, TextArea

from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.intake import IntakeScreen
from cocdesk.tui.screens.modals import MoveModal, NoteModal
from cocdesk.tui.screens.queue import QueueScreen
from tests.tui.conftest import screen_text, settle, unlock


def _ids(app: CocdeskApp) -> list[str]:
    table = app.screen.query_one(DataTable)
    return [str(key.value) for key in table.rows]


async def test_the_queue_shows_age_status_urgency_and_overdue_marks(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        lines = {
            line.split()[0]: line for line in screen_text(app).splitlines() if line.strip().startswith("C-")
        }
        assert lines["C-0001"].split()[1:4] == ["8d", "reported", "exclusionary-language"]
        assert lines["C-0001"].rstrip().endswith("decide")  # a week without a decision
        assert "!" in lines["C-0002"].split() and lines["C-0002"].rstrip().endswith("ack")
        assert "referred" in lines["C-0004"]
        assert lines["C-0006"].split()[1] == "30m"


async def test_filtering_searches_the_decrypted_text_as_you_type(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"beanie")
        await pilot.pause()
        assert _ids(app) == ["C-0002", "C-0003"]
        assert "2 of 6 cases" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert len(_ids(app)) == 6


async def test_filter_words_must_all_match(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await pilot.press("slash")
        await settle(pilot)
        await pilot.press(*"beanie social")
        await pilot.pause()
        assert _ids(app) == ["C-0003"]


async def test_sorting_cycles_columns_and_reverses(app: CocdeskApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        assert _ids(app)[0] == "C-0001"
        await pilot.press("S")
        await pilot.pause()
        assert _ids(app)[0] == "C-0006" and "sorted by case (reversed)" in screen_text(app)
        await pilot.press("S", "s", "s", "s", "s")  # case → age → status → category → urgency
        await pilot.pause()
        assert "sorted by urgency" in screen_text(app)
        assert _ids(app)[0] == "C-0002"


async def test_enter_opens_the_highlighted_case(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 60)) as pilot:
        await unlock(pilot)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        text = screen_text(app)
        assert "C-0002 · reported · URGENT" in text
        assert "Someone kept following me between sessions" in text
        assert "Anonymous report" in text
        assert "✓ 2026-05-01 09:00Z  DO: Stay calm and listen" in text
        assert "2026-05-01 09:00Z  Robin Lead: report taken" in text
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
        assert "Robin Lead: note added" in text


async def test_a_refused_move_shows_the_reason_and_an_allowed_one_happens(app: CocdeskApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await unlock(pilot)
        await pilot.press("enter", "m")
        await pilot.pause()
        assert isinstance(app.screen, MoveModal)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert "in review — a review needs a meeting record with at least two members present" in shown
        assert "referred" in shown
        referred = next(i for i, text in enumerate(shown) if text == "referred")
        options.highlighted = referred
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseScreen)
        assert "C-0001 · referred" in screen_text(app)
        assert "status → referred" in screen_text(app)


async def test_editing_a_report_keeps_the_case_and_records_the_edit(app: CocdeskApp) -> None:
    async with app.run_test(size=(100, 60)) as pilot:
        await unlock(pilot)
        await pilot.press("enter", "e")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        area = app.screen.query_one("#description", TextArea)
        assert area.text.startswith("A speaker made repeated jokes")
        await pilot.press(*" (speaker apologised on stage)", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        text = screen_text(app)
        assert "Several people walked out. (speaker apologised on stage)" in " ".join(text.split())
        assert "Robin Lead: report edited" in text
