"""The procedure after intake, by keys alone at 80x24: meeting, decision, talk, reporter, close,
appeal — every refusal said on screen, recusal enforced by the key, escrow, the announcement.

Each test drives the real app on the demo vault (fictional data) and checks what is on screen,
then what the vault holds through the real services.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, TextArea

from cocdesk.errors import NotAMember, RuleRefused
from cocdesk.exchange.case_export import to_json
from cocdesk.service import CaseService, Desk
from cocdesk.service.session import Session
from cocdesk.service.steps import StepService
from cocdesk.store import cases as case_store
from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.decision import DecisionScreen
from cocdesk.tui.screens.followup import FollowUpScreen
from cocdesk.tui.screens.meeting import MeetingScreen
from cocdesk.tui.screens.modals import ConfirmModal, MoveModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.screens.unlock import UnlockScreen
from tests.tui.conftest import everything_shown, frozen, screen_text, unlock
from tests.tui.demo_app import choose, open_case, press, tab_to, unlock_as

SIZE = (80, 24)
ROBIN, KIM, AVERY = 1, 2, 3  # the demo team's member ids: lead, responder, chair
AVOID_CONTACT = 2  # the playbook's third action, whose details are required


# -- moving about by keys (tab_to, choose, open_case, unlock_as: tests/tui/demo_app.py) ---------
async def tick(pilot: Pilot[None], widget_id: str) -> None:
    await tab_to(pilot, widget_id)
    await press(pilot, "space")


async def type_into(pilot: Pilot[None], widget_id: str, text: str) -> None:
    await tab_to(pilot, widget_id)
    await press(pilot, *text)


async def lock_and_unlock_as(pilot: Pilot[None], member: str) -> None:
    """ctrl+l, then on the unlock screen choose `member` from the list and type the passphrase."""
    await press(pilot, "ctrl+l")
    assert isinstance(pilot.app.screen, UnlockScreen)
    await unlock_as(pilot, member)
    assert isinstance(pilot.app.screen, QueueScreen), "the unlock failed"
    assert f"{member} (" in pilot.app.sub_title


async def scroll_through(pilot: Pilot[None]) -> str:
    """Everything the case screen shows, page by page from the top (home, then page down)."""
    await press(pilot, "home")
    pages = [screen_text(pilot.app)]
    body = pilot.app.screen.query_one("#case-body")
    while body.scroll_y < body.max_scroll_y:
        await press(pilot, "pagedown")
        pages.append(screen_text(pilot.app))
    await press(pilot, "home")
    return "\n".join(pages)


def toasts(app: CocdeskApp) -> str:
    """What the notifications on screen say: the screen's text inside each toast's region."""
    lines = screen_text(app).splitlines()
    inside = (
        line[toast.region.x : toast.region.right]
        for toast in app.screen.query("Toast")  # by type name: Textual does not export the class
        for line in lines[toast.region.y : toast.region.bottom]
    )
    return "\n".join(line.replace("▌", " ") for line in inside)  # without the toast's edge


def title(app: CocdeskApp) -> str:
    """The case (or form) title line: the first line under the header."""
    return next(line.strip() for line in screen_text(app).splitlines()[1:] if line.strip())


def flat(text: str) -> str:
    """Text with its wrapping undone, to find a sentence the terminal broke over lines."""
    return " ".join(text.split())


# -- the vault, through the real services ----------------------------------------------------
@contextmanager
def vault(folder: Path, member: str = "Robin Lead") -> Iterator[Session]:
    desk = Desk.open(folder, clock=frozen)
    try:
        yield desk.unlock(member, "demo")
    finally:
        desk.close()


# -- one case from report to closed, then appealed and answered ---------------------------
async def test_a_case_goes_from_reported_to_closed_and_through_an_appeal_by_keys(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0005")
        assert title(app) == "C-0005 · reported"

        # The meeting: Robin and Kim present, the objectives' first note, Robin to speak with them.
        await press(pilot, "t")
        assert isinstance(app.screen, MeetingScreen)
        await tick(pilot, f"present-{ROBIN}")
        await tick(pilot, f"present-{KIM}")
        await tick(pilot, "done-0")
        await type_into(pilot, "note-0", "Avery away at the desk")
        await tab_to(pilot, "talk-lead")
        await press(pilot, "enter")  # opens the list of leads
        await choose(pilot, "Robin Lead", by_prompt=True)
        assert app.screen.query_one("#talk-lead", Select).value == "Robin Lead"
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · in review"
        shown = flat(await scroll_through(pilot))
        assert "Response meeting Held 2026-05-02 15:00Z, recorded by Robin Lead." in shown
        assert "Present: Robin Lead, Kim Responder." in shown
        assert "✓ Who attended, and that everyone with a conflict of interest stepped out. — Avery" in shown
        assert "Speaks with the reported person: Robin Lead" in shown

        # The decision: avoid contact, with whom; ctrl+s asks first, y records.
        await press(pilot, "d")
        assert isinstance(app.screen, DecisionScreen)
        await tick(pilot, f"action-{AVOID_CONTACT}")
        await type_into(pilot, f"details-{AVOID_CONTACT}", "Sam Sample")
        await type_into(pilot, "rationale", "Touched after a clear no.")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ConfirmModal)
        assert "Record this decision?" in screen_text(app)
        await press(pilot, "y")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · decided"

        # The talk, recorded by the lead: told what was reported and the actions → communicated.
        await press(pilot, "f")
        assert isinstance(app.screen, FollowUpScreen)
        await tick(pilot, "told-reported")
        await type_into(pilot, "their-side", "Says it was friendly.")
        await tick(pilot, "actions-told")
        await type_into(pilot, "talk-when", "Sunday 10:15")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen)  # back on the same tab, freshly drawn
        assert title(app) == "C-0005 · communicated"

        # The reporter's follow-up, on its tab (the redrawn form has the tab bar focused).
        await press(pilot, "right")
        assert app.screen.active_tab == "reporter"
        await tick(pilot, "told-outcome")
        await type_into(pilot, "told-when", "Sunday 11:00")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen) and app.screen.active_tab == "reporter"
        await press(pilot, "escape")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · communicated"

        # Closed through the move dialog.
        await press(pilot, "m")
        assert isinstance(app.screen, MoveModal)
        await choose(pilot, "closed")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · closed"

        # The chair records the appeal received: appealed, and the banner says the decision stands.
        await lock_and_unlock_as(pilot, "Avery Chair")
        assert "Avery Chair (chair)" in screen_text(app)
        await open_case(pilot, "C-0005")
        await press(pilot, "f")
        await press(pilot, "right", "right")
        assert app.screen.active_tab == "appeal"
        await type_into(pilot, "appeal-date", "2026-05-03")
        await type_into(pilot, "appeal-text", "Asks to attend the social.")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen)
        assert "Appeal open: the report and its actions stand" in screen_text(app)
        await press(pilot, "escape")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · appealed"
        assert "Appeal open: the report and its actions stand until the chair answers." in screen_text(app)

        # The chair's answer: the case is closed again.
        await press(pilot, "f")
        await press(pilot, "right", "right")
        await type_into(pilot, "appeal-answer", "The decision stands.")
        await press(pilot, "ctrl+s")
        await press(pilot, "escape")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · closed"
        shown = flat(await scroll_through(pilot))
        assert "Appeal open" not in shown
        for step in (
            "Robin Lead: response meeting recorded",
            "Robin Lead: status → in review",
            "Robin Lead: decision recorded",
            "Robin Lead: status → decided",
            "Robin Lead: talk with the reported person recorded",
            "Robin Lead: status → communicated",
            "Robin Lead: reporter's follow-up recorded",
            "Robin Lead: status → closed",
            "Avery Chair: appeal received",
            "Avery Chair: status → appealed",
            "Avery Chair: chair answered the appeal",
            "Avery Chair: status → closed",
        ):
            assert f"2026-05-02 15:00Z {step}" in shown, step

    with vault(demo_folder) as session:
        exported = json.loads(to_json(CaseService(session).open_case("C-0005")))
    assert exported["status"] == "closed"
    assert [(a["name"], a["present"]) for a in exported["meeting"]["attendees"]] == [
        ("Robin Lead", True),
        ("Kim Responder", True),
        ("Avery Chair", False),
    ]
    assert exported["decision"]["actions"] == [{"code": "avoid-contact", "details": "Sam Sample"}]
    assert (
        exported["talk"]["their_side"] == "Says it was friendly." and exported["talk"]["by"] == "Robin Lead"
    )
    assert exported["reporter_followup"]["told_outcome"] is True
    assert exported["appeal"]["text"] == "Asks to attend the social."
    assert exported["appeal"]["answered_by"] == "Avery Chair"


# -- every refusal says why, and the form keeps what was typed --------------------------------
def form_message(app: CocdeskApp) -> str:
    """The line under a step form where a refusal is said (as drawn on screen)."""
    return flat(str(app.screen.query_one(".form-message").render()))


async def test_a_decision_with_one_member_present_is_refused_with_the_rule_and_the_form_kept(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0007")
        await press(pilot, "t")
        await tick(pilot, f"present-{ROBIN}")  # only Robin Lead
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0007 · reported"
        said = flat(toasts(app))
        assert "Meeting recorded. A review needs two members present with no conflict of interest." in said

        await press(pilot, "d")
        await tick(pilot, "action-0")  # no action
        await type_into(pilot, "rationale", "Not a breach.")
        await press(pilot, "ctrl+s", "y")
        assert isinstance(app.screen, DecisionScreen)
        said = (
            "Not recorded: a decision needs a meeting record with at least two members present "
            "who declared no conflict of interest"
        )
        assert form_message(app) == said and said in flat(screen_text(app))
        assert app.screen.query_one("#action-0", Checkbox).value
        assert app.screen.query_one("#rationale", TextArea).text == "Not a breach."
    with vault(demo_folder) as session:
        view = CaseService(session).open_case("C-0007")
    assert view.summary.status.value == "reported" and view.steps.decision is None


async def test_the_decision_form_opens_showing_its_title_and_who_decides(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0006")
        await press(pilot, "d")
        shown = screen_text(app)
        assert "C-0006 · decision" in shown
        assert "Deciding (present, no conflict): Robin Lead, Kim Responder, Avery Chair" in shown


async def test_no_action_with_another_action_and_a_missing_detail_are_refused_with_reasons(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0006")
        await press(pilot, "d")
        await tick(pilot, "action-0")  # no action
        await tick(pilot, "action-1")  # a warning
        await type_into(pilot, "details-1", "written")
        await type_into(pilot, "rationale", "Slides out of place.")
        await press(pilot, "ctrl+s", "y")
        assert isinstance(app.screen, DecisionScreen)
        said = "Not recorded: no action cannot be combined with other actions"
        assert form_message(app) == said and said in screen_text(app)
        assert app.screen.query_one("#action-0", Checkbox).value
        assert app.screen.query_one("#details-1", Input).value == "written"

        # Drop "no action", add "avoid contact" without saying whom.
        await tab_to(pilot, "action-0")
        await press(pilot, "space")
        await tick(pilot, f"action-{AVOID_CONTACT}")
        await press(pilot, "ctrl+s", "y")
        said = "Not recorded: avoid-contact needs its details: Whom to avoid"
        assert form_message(app) == said and said in screen_text(app)
        assert app.screen.query_one("#details-1", Input).value == "written"
        assert app.screen.query_one("#rationale", TextArea).text == "Slides out of place."

        # Say whom: recorded.
        await type_into(pilot, f"details-{AVOID_CONTACT}", "the reporter")
        await press(pilot, "ctrl+s", "y")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0006 · decided"
    with vault(demo_folder) as session:
        decision = CaseService(session).open_case("C-0006").steps.decision
    assert decision is not None
    assert [(a.code, a.details) for a in decision.actions] == [
        ("warning", "written"),
        ("avoid-contact", "the reporter"),
    ]


async def test_tab_goes_from_the_tab_bar_straight_to_the_first_field(app: CocdeskApp) -> None:
    """Typed in a hallway: one Tab, then the answer. No invisible stop on the pane, where
    a typed sentence's spaces would tick and untick the first checkbox instead."""
    async with app.run_test(size=(80, 24)) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0004")
        await press(pilot, "f", "tab")
        assert isinstance(app.screen, FollowUpScreen)
        focused = app.screen.focused
        assert focused is not None and focused.id == "told-reported"
        await press(pilot, "space", "tab", *"A mistake, they said.")
        assert app.screen.query_one("#told-reported", Checkbox).value
        assert app.screen.query_one("#their-side", TextArea).text == "A mistake, they said."


async def test_a_responder_may_not_record_the_talk_and_is_told_why(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await lock_and_unlock_as(pilot, "Kim Responder")
        await open_case(pilot, "C-0004")
        await press(pilot, "f")
        assert "Only a lead records the talk with the reported person." in screen_text(app)
        await tick(pilot, "told-reported")
        await type_into(pilot, "their-side", "Kim asked anyway.")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen)
        said = "Not recorded: only a lead speaks with the reported person"
        assert form_message(app) == said and said in screen_text(app)
        assert app.screen.query_one("#told-reported", Checkbox).value
        assert app.screen.query_one("#their-side", TextArea).text == "Kim asked anyway."
    with vault(demo_folder) as session:
        view = CaseService(session).open_case("C-0004")
    assert view.summary.status.value == "decided" and view.steps.talk is None


async def test_a_lead_may_not_record_an_appeal_and_is_told_why(app: CocdeskApp, demo_folder: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0002")
        await press(pilot, "f")
        await press(pilot, "right", "right")
        assert app.screen.active_tab == "appeal"
        assert "Appeals go to the conference chair, who records them here." in screen_text(app)
        await type_into(pilot, "appeal-date", "2026-05-03")
        await type_into(pilot, "appeal-text", "Wants it dropped.")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, FollowUpScreen)
        said = "Not recorded: appeals go to the conference chair, who answers them"
        assert form_message(app) == said and said in screen_text(app)
        assert app.screen.query_one("#appeal-date", Input).value == "2026-05-03"
        assert app.screen.query_one("#appeal-text", TextArea).text == "Wants it dropped."
    with vault(demo_folder) as session:
        view = CaseService(session).open_case("C-0002")
    assert view.summary.status.value == "closed" and view.steps.appeal is None


# -- recusal: a conflict declared at the meeting takes the member's key ---------------------
async def test_a_member_who_declares_a_conflict_loses_the_case(app: CocdeskApp, demo_folder: Path) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0007")
        await press(pilot, "t")
        await tick(pilot, f"present-{ROBIN}")
        await tick(pilot, f"conflict-{KIM}")
        await tick(pilot, f"present-{AVERY}")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0007 · in review"
        app.clear_notifications()  # as a toast fades: it would cover the end of the timeline
        shown = flat(await scroll_through(pilot))
        assert "Present: Robin Lead, Avery Chair." in shown
        assert "Stepped out (conflict of interest): Kim Responder." in shown
        assert "Robin Lead: recorded a conflict of interest of Kim Responder, who stepped out" in shown

        await press(pilot, "t")  # the declaration cannot be taken back on this form
        assert app.screen.query_one(f"#conflict-{KIM}", Checkbox).disabled
        await press(pilot, "escape")

        await lock_and_unlock_as(pilot, "Kim Responder")
        rows = {line.split()[0]: line for line in screen_text(app).splitlines() if line.strip()[:2] == "C-"}
        assert rows["C-0007"].split()[1:] == ["stepped", "out"]  # listed, nothing of it shown
        assert rows["C-0006"].split()[2:4] == ["in", "review"]
        await open_case(pilot, "C-0007")  # Enter on its row
        assert isinstance(app.screen, QueueScreen)
        assert "you stepped out of C-0007 (a conflict of interest): it stays closed to you" in flat(
            toasts(app)
        )
    with vault(demo_folder, "Kim Responder") as kim:
        assert case_store.sealed_key(kim.db, "C-0007", KIM) is None
        assert case_store.sealed_key(kim.db, "C-0006", KIM) is not None
        assert "C-0007" not in {c.id for c in CaseService(kim).list_cases()}
        with pytest.raises(NotAMember):
            CaseService(kim).open_case("C-0007")


# -- escrow -----------------------------------------------------------------------------------
async def test_holding_a_report_in_escrow_closes_it_and_a_later_report_shows_it(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0006")
        # Jamie Invented was named before, in C-0002, held in escrow.
        assert "C-0002 · closed · HELD IN ESCROW: the behaviour has been reported again" in screen_text(app)

        await press(pilot, "d")
        await press(pilot, "down", "space")  # the outcome: hold in escrow
        await type_into(pilot, "rationale", "The reporter asked for nothing yet.")
        await press(pilot, "ctrl+s", "y")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0006 · closed"
        shown = flat(await scroll_through(pilot))
        assert "Held in escrow: nothing happens unless the behaviour is reported again." in shown
        assert "held in escrow (nothing happens unless it repeats)" in shown

        # The earlier report naming Jamie now shows this one held too.
        await press(pilot, "escape")
        await open_case(pilot, "C-0002")
        assert "C-0006 · closed · HELD IN ESCROW: the behaviour has been reported again" in screen_text(app)

        # The meeting screen lists it the same way, and Enter opens it.
        await press(pilot, "t")
        assert "C-0006 · closed · taken 2026-05-02 12:00Z · HELD IN ESCROW" in screen_text(app)
        await tab_to(pilot, "meeting-patterns")
        await press(pilot, "enter")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0006 · closed"


# -- the announcement ---------------------------------------------------------------------------
async def write_draft(pilot: Pilot[None], text: str) -> None:
    """Replace the announcement draft (f7 selects all of it) with `text`."""
    await tab_to(pilot, "announcement")
    await press(pilot, "f7", *text)


async def test_an_announcement_naming_someone_is_flagged_and_not_made_ready(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0004")
        await press(pilot, "f", "right", "right", "right")
        assert app.screen.active_tab == "public"
        assert "Draft: not checked yet." in screen_text(app)

        await write_draft(pilot, "Pat Placeholder was asked to leave.")
        await tab_to(pilot, "check-privacy")
        await press(pilot, "enter")
        flags = "Names or may name someone held in a case: Pat, Placeholder, Pat Placeholder"
        assert flags in flat(screen_text(app))

        await write_draft(pilot, "Thanks to Alex for telling us.")
        await tab_to(pilot, "mark-ready")
        await press(pilot, "enter")
        assert isinstance(app.screen, FollowUpScreen)
        said = form_message(app)
        assert said.startswith("Not recorded: the draft names or may name someone in a case: Alex")
        assert said in flat(screen_text(app))  # the refusal names the words; no second check is run
        assert app.screen.query_one("#announcement", TextArea).text == "Thanks to Alex for telling us."

        await write_draft(pilot, "An incident was reported and official action was taken.")
        await tab_to(pilot, "mark-ready")
        await press(pilot, "enter")
        assert isinstance(app.screen, FollowUpScreen) and app.screen.active_tab == "public"
        assert "Ready: passed the privacy check." in screen_text(app)

        # A lead may not make it: no button, and the reason in its place.
        assert not app.screen.query("#mark-made")
        await tab_to(pilot, "mark-ready")
        assert "Only the chair, or a delegate the chair named, marks it made." in screen_text(app)
    with vault(demo_folder) as robin:
        ann = CaseService(robin).open_case("C-0004").steps.announcement
        assert ann is not None and ann.ready_at and not ann.made_at
        with pytest.raises(RuleRefused, match="only the chair, or a delegate"):
            StepService(robin).mark_made("C-0004")


async def test_the_chair_marks_a_ready_announcement_made(app: CocdeskApp, demo_folder: Path) -> None:
    with vault(demo_folder) as robin:
        steps = StepService(robin)
        steps.save_announcement("C-0004", "An incident was reported and official action was taken.", "")
        steps.mark_ready("C-0004")
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await lock_and_unlock_as(pilot, "Avery Chair")
        await open_case(pilot, "C-0004")
        await press(pilot, "f", "right", "right", "right")
        assert "Ready: passed the privacy check." in screen_text(app)
        await tab_to(pilot, "mark-made")  # shown to the chair
        assert "Mark as made" in screen_text(app)
        await press(pilot, "enter")
        assert isinstance(app.screen, FollowUpScreen) and app.screen.active_tab == "public"
        assert "by Avery Chair." in screen_text(app) and "Made 2026-05-02" in screen_text(app)
    with vault(demo_folder, "Avery Chair") as avery:
        ann = CaseService(avery).open_case("C-0004").steps.announcement
    assert ann is not None and ann.made_by == "Avery Chair"


# -- leaving, and hostile text -----------------------------------------------------------------
async def test_leaving_a_step_form_with_unsaved_changes_asks_first(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0005")
        await press(pilot, "t", "escape")  # nothing changed: no question
        assert isinstance(app.screen, CaseScreen)

        await press(pilot, "t")
        await tick(pilot, f"present-{KIM}")
        await press(pilot, "escape")
        assert isinstance(app.screen, ConfirmModal)
        assert "Leave without saving these changes?" in screen_text(app)
        await press(pilot, "n")
        assert isinstance(app.screen, MeetingScreen)
        assert app.screen.query_one(f"#present-{KIM}", Checkbox).value

        await press(pilot, "escape", "y")
        assert isinstance(app.screen, CaseScreen)
        assert title(app) == "C-0005 · reported"
    with vault(demo_folder) as session:
        assert CaseService(session).open_case("C-0005").steps.meeting is None


async def test_hostile_text_in_their_side_is_shown_literally(app: CocdeskApp, demo_folder: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0004")
        await press(pilot, "f")
        await type_into(pilot, "their-side", "[bold]x[/] ")
        # An escape sequence cannot be typed; it arrives pasted.
        app.post_message(events.Paste("\x1b[2J\x1b[31mred"))
        await press(pilot, "ctrl+s")
        await press(pilot, "escape")
        assert isinstance(app.screen, CaseScreen)
        shown = await scroll_through(pilot)
        assert "Their side: [bold]x[/] ⟨U+001B⟩[2J⟨U+001B⟩[31mred" in shown
        assert "\x1b" not in everything_shown(app)
        assert app.is_running
    with vault(demo_folder) as session:
        talk = CaseService(session).open_case("C-0004").steps.talk
    assert talk is not None and talk.their_side == "[bold]x[/] \x1b[2J\x1b[31mred"  # stored exactly
