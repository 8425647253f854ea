"""The transparency report and the case export, by keys alone at 80x24 on the demo vault.

`r` on the queue shows the report (the counts on screen), `w` writes it to a new file; `E` on
a case asks the format and file, warns that an export is plaintext and says where it goes,
writes the file (0600, never over another) and records `case.exported`. The public summary is
saved on the follow-up's Public tab, and refused when it names someone in a case.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from cocdesk.service import CaseService
from cocdesk.service.access import actor_of
from cocdesk.store import audit
from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.export import ExportModal
from cocdesk.tui.screens.followup import FollowUpScreen
from cocdesk.tui.screens.modals import FormModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.screens.transparency import TransparencyScreen
from tests.tui.conftest import screen_text, settle, unlock
from tests.tui.demo_app import open_case, press, tab_to
from tests.tui.test_procedure_flow import flat, form_message, toasts, vault

SIZE = (80, 24)
SUMMARY = "An attendee was asked to keep away from the person who reported."


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`~` for the app's default file names: a folder of the test's own."""
    folder = tmp_path / "member-home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


def dialog_text(app: CocdeskApp) -> str:
    """What the open dialog shows, its lines cut to its own region and unwrapped."""
    lines = screen_text(app).splitlines()
    box = app.screen.query_one(".dialog").region
    return flat(" ".join(line[box.x : box.right].strip("█ ") for line in lines[box.y : box.bottom]))


async def whole_report(app: CocdeskApp, pilot: Pilot[None]) -> str:
    """The report screen's text, a page at a time from the top (it scrolls at 80x24)."""
    body = app.screen.query_one("#report-body")
    pages, y = [], 0
    while True:
        body.scroll_to(y=y, animate=False, immediate=True)
        await settle(pilot)
        pages.append(screen_text(app))
        if y >= body.max_scroll_y:
            return "\n".join(pages)
        y += body.size.height


# -- the transparency report --------------------------------------------------------------------
async def test_r_on_the_queue_shows_the_counts_and_w_writes_them_to_a_new_private_file(
    app: CocdeskApp, demo_folder: Path, home: Path
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await press(pilot, "r")
        assert isinstance(app.screen, TransparencyScreen)
        shown = await whole_report(app, pilot)
        assert "# Transparency report: DemoCon 2026" in shown
        assert "Reports received: 7" in shown
        assert "| Harassment, intimidation, stalking | `harassment` | 1 |" in shown
        assert "## By status" in shown and "## By action taken" in shown
        assert "w Write to file" in shown  # the footer

        await press(pilot, "w")
        assert isinstance(app.screen, FormModal)
        assert app.screen.query_one("#form-0", Input).value == "~/cocdesk-transparency.md"
        await press(pilot, "enter")
        assert isinstance(app.screen, TransparencyScreen)
        written = home / "cocdesk-transparency.md"
        assert written.stat().st_mode & 0o777 == 0o600
        assert "Wrote the transparency report to" in flat(toasts(app))
        text = written.read_text("utf-8")
        assert text.startswith("# Transparency report: DemoCon 2026\n") and text == app.screen.markdown

        # Never over a file that is there: refused, the file as it was.
        app.clear_notifications()
        written.write_text("kept", "utf-8")
        await press(pilot, "w", "enter")
        assert "already exists; choose a new file name" in flat(toasts(app))
        assert written.read_text("utf-8") == "kept"

        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)
    with vault(demo_folder) as robin:
        assert [e.kind for e in audit.entries(robin.db)].count("report.transparency") == 1


# -- the case export ----------------------------------------------------------------------------
async def test_shift_e_on_a_case_warns_it_is_plaintext_and_writes_it_audited(
    app: CocdeskApp, demo_folder: Path, home: Path
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0004")
        await press(pilot, "E")
        assert isinstance(app.screen, ExportModal)
        shown = dialog_text(app)
        assert "PLAINTEXT: an export is not sealed. Anyone who gets this file reads the whole case" in shown
        assert "It goes to /" in shown  # the whole path, wrapped in the dialog:
        where = str(app.screen.query_one("#export-where").render())
        assert where.startswith(f"It goes to {home}/cocdesk-C-0004.md, readable by you only.")

        await press(pilot, "enter")
        assert isinstance(app.screen, CaseScreen)
        written = home / "cocdesk-C-0004.md"
        assert written.stat().st_mode & 0o777 == 0o600
        assert written.read_text("utf-8").startswith("# C-0004 — ")
        assert "Wrote C-0004 to" in flat(toasts(app)) and "in plaintext" in flat(toasts(app))

        # JSON: the file name follows the format; then the same name again is refused.
        for _ in range(2):
            app.clear_notifications()
            await press(pilot, "E", "shift+tab", "enter", "down", "enter")  # the format list: JSON
            assert app.screen.query_one("#export-path", Input).value == "~/cocdesk-C-0004.json"
            await tab_to(pilot, "export-path")
            await press(pilot, "enter")
        assert "already exists; choose a new file name" in flat(toasts(app))
        data = json.loads((home / "cocdesk-C-0004.json").read_text("utf-8"))
        assert data["id"] == "C-0004"

        # Escape cancels: nothing written, nothing recorded.
        await press(pilot, "E", "escape")
        assert isinstance(app.screen, CaseScreen)
    assert sorted(p.name for p in home.iterdir()) == ["cocdesk-C-0004.json", "cocdesk-C-0004.md"]
    with vault(demo_folder) as robin:
        exported = [e for e in audit.entries(robin.db, "C-0004") if e.kind == "case.exported"]
        # The exporter is sealed in the entry (the file alone does not say who), read back here.
        assert len(exported) == 2 and {e.member_id for e in exported} == {None}
        assert {actor_of(robin.event_keys, e) for e in exported} == {robin.member_id}


# -- the public summary -------------------------------------------------------------------------
async def test_the_public_summary_is_saved_on_the_public_tab_and_refused_when_it_names_someone(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0004")
        await press(pilot, "f", "right", "right", "right")
        assert isinstance(app.screen, FollowUpScreen) and app.screen.active_tab == "public"

        await tab_to(pilot, "public-summary")
        await press(pilot, *"Pat Placeholder was warned.", "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen)
        said = form_message(app)
        assert said == (
            "Not recorded: the summary names or may name someone in a case: Pat, Placeholder, Pat Placeholder"
        )
        assert app.screen.query_one("#public-summary", Input).value == "Pat Placeholder was warned."

        box = app.screen.query_one("#public-summary", Input)
        box.value = ""
        await press(pilot, *SUMMARY, "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen) and app.screen.active_tab == "public"
        assert "Public summary saved (sealed)" in flat(toasts(app))
        assert app.screen.query_one("#public-summary", Input).value == SUMMARY

        await press(pilot, "escape", "escape", "r")  # back to the case, the queue, then the report
        assert isinstance(app.screen, TransparencyScreen)
        app.clear_notifications()  # the toast would cover the line
        assert f"- {SUMMARY}" in await whole_report(app, pilot)
    with vault(demo_folder) as robin:
        steps = CaseService(robin).open_case("C-0004").steps
        assert steps.public_summary is not None and steps.public_summary.text == SUMMARY
        assert steps.announcement is None  # the draft was not touched, so not saved with it
