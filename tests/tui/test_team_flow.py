"""The team screen and conflicts of interest, by keys alone on the demo vault (fictional data).

Each test drives the real app with Pilot and checks what is on screen, then what the vault
holds through the real services (and, for the issue's "done means", the real CLI on the same
vault folder, in-process and as a subprocess).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from cocdesk import demo
from cocdesk.cli import main
from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure, NotAMember, WrongPassphrase
from cocdesk.service import CaseService, Desk
from cocdesk.service.steps import StepService
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.case import CaseScreen
from cocdesk.tui.screens.meeting import MeetingScreen
from cocdesk.tui.screens.modals import ChoiceModal, ConfirmModal, FormModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.tui.screens.team import TeamScreen
from cocdesk.tui.screens.unlock import UnlockScreen
from cocdesk.tui.widgets.queue_table import QueueTable
from cocdesk.vault.fields import open_field
from tests.tui.conftest import frozen, screen_text, unlock
from tests.tui.demo_app import choose, open_case, press, tab_to, unlock_as

SIZE = (80, 24)
ROBIN, KIM, AVERY = 1, 2, 3  # the demo team's member ids: lead, responder, chair
STEPPED_OUT = "you stepped out of C-0005 (a conflict of interest): it stays closed to you"


# -- reading the screen ---------------------------------------------------------------------------
def flat(text: str) -> str:
    return " ".join(text.split())


def toasts(app: CocdeskApp) -> str:
    """What the notifications on screen say (the screen's text inside each toast)."""
    lines = screen_text(app).splitlines()
    inside = (
        line[toast.region.x : toast.region.right]
        for toast in app.screen.query("Toast")
        for line in lines[toast.region.y : toast.region.bottom]
    )
    return flat(" ".join(line.replace("▌", " ") for line in inside))


def team_rows(app: CocdeskApp) -> dict[str, list[str]]:
    """The team table as shown: name → [role, state, cases, delegate]."""
    table = app.screen.query_one(DataTable)
    out = {}
    for key in table.rows:
        cells = [str(c) for c in table.get_row(key)]
        out[cells[0]] = cells[1:]
    return out


def queue_rows(app: CocdeskApp) -> dict[str, list[str]]:
    table = app.screen.query_one(QueueTable)
    return {key: table.row(key) for key in table.keys}


async def whole_case(pilot: Pilot[None]) -> str:
    """Everything the case screen shows, page by page from the top."""
    app = pilot.app
    assert isinstance(app, CocdeskApp)
    await press(pilot, "home")
    pages = [screen_text(app)]
    body = app.screen.query_one("#case-body")
    while body.scroll_y < body.max_scroll_y:
        await press(pilot, "pagedown")
        pages.append(screen_text(app))
    await press(pilot, "home")
    return flat("\n".join(pages))


# -- moving about ---------------------------------------------------------------------------------
async def lock_and_unlock_as(pilot: Pilot[None], member: str, passphrase: str = demo.PASSPHRASE) -> None:
    await press(pilot, "ctrl+l")
    assert isinstance(pilot.app.screen, UnlockScreen)
    await unlock_as(pilot, member, passphrase)
    assert isinstance(pilot.app.screen, QueueScreen), "the unlock failed"
    assert f"{member} (" in pilot.app.sub_title


async def to_team(pilot: Pilot[None]) -> None:
    await press(pilot, "t")
    assert isinstance(pilot.app.screen, TeamScreen)


async def cursor_to(pilot: Pilot[None], name: str) -> None:
    """In the team table, down to the row of `name`."""
    table = pilot.app.screen.query_one(DataTable)
    for _ in range(table.row_count):
        if str(table.get_row_at(table.cursor_row)[0]) == name:
            return
        await press(pilot, "down")
    raise AssertionError(f"{name} is not in the team table")


def service(folder: Path, member: str, passphrase: str = demo.PASSPHRASE) -> tuple[Desk, CaseService]:
    desk = Desk.open(folder, clock=frozen)
    return desk, CaseService(desk.unlock(member, passphrase))


# -- the team screen ------------------------------------------------------------------------------
async def test_the_team_screen_lists_members_roles_and_cases(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        assert team_rows(app) == {
            "Robin Lead": ["lead", "active", "7", ""],
            "Kim Responder": ["responder", "active", "7", ""],
            "Avery Chair": ["chair", "active", "7", ""],
        }
        text = screen_text(app)
        assert "The response team" in text and "What they saw before, they saw." in flat(text)
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)


async def test_adding_a_lead_through_the_form_then_unlocking_as_them(
    app: CocdeskApp, demo_folder: Path
) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        await press(pilot, "a")
        assert isinstance(app.screen, FormModal)
        await press(pilot, *"Sam Newcomer", "enter")  # on to the role, chosen before the passphrases
        assert app.screen.focused is not None and app.screen.focused.id == "form-role"
        await press(pilot, "enter")  # opens the role list
        await choose(pilot, "lead", by_prompt=True)
        await tab_to(pilot, "form-1")
        await press(pilot, *"newcomer pass", "enter", *"newcomer pass", "enter")  # Enter on the last submits
        assert isinstance(app.screen, TeamScreen)
        assert team_rows(app)["Sam Newcomer"] == ["lead", "active", "7", ""]
        assert "Added Sam Newcomer." in toasts(app)

        app.clear_notifications()
        await lock_and_unlock_as(pilot, "Sam Newcomer", "newcomer pass")
        assert "Sam Newcomer (lead)" in app.sub_title
        assert len(queue_rows(app)) == 7
        await open_case(pilot, "C-0004")
        assert isinstance(app.screen, CaseScreen)
        assert "Casey Fictional" in await whole_case(pilot)
    desk = Desk.open(demo_folder, clock=frozen)
    try:
        sam = member_store.by_name(desk.db, "Sam Newcomer")
        assert sam is not None and sam.role is Role.LEAD
        with pytest.raises(WrongPassphrase):
            desk.unlock("Sam Newcomer", demo.PASSPHRASE)
    finally:
        desk.close()


async def test_the_add_form_refuses_differing_passphrases_and_adds_nobody(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        await press(
            pilot, "a", *"Sam Newcomer", "enter", "tab", *"newcomer pass", "enter", *"another pass", "enter"
        )
        assert isinstance(app.screen, TeamScreen)
        assert "the two passphrases differ" in toasts(app)
        assert "Sam Newcomer" not in team_rows(app)
        app.clear_notifications()
        await press(
            pilot, "a", *"Kim Responder", "enter", "tab", *"kim's second", "enter", *"kim's second", "enter"
        )
        assert "there is already a member called 'Kim Responder'" in toasts(app)
        assert len(team_rows(app)) == 3


async def test_a_responder_pressing_add_remove_reenrol_or_delegate_is_told_why(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock_as(pilot, "Kim Responder")
        await to_team(pilot)
        for key, reason in (
            ("a", "only a lead or the chair may add team members"),
            ("r", "only a lead or the chair may remove team members"),
            ("e", "only a lead or the chair may re-enrol a member"),
            ("d", "only the chair names delegates for announcements"),
        ):
            app.clear_notifications()
            await press(pilot, key)
            assert isinstance(app.screen, TeamScreen), f"{key} opened a dialog"
            assert reason in toasts(app)
        assert [row[1] for row in team_rows(app).values()] == ["active"] * 3


async def test_a_lead_pressing_a_to_add_a_chair_is_told_only_the_chair_adds_one(
    app: CocdeskApp, demo_folder: Path
) -> None:
    """Battery 14 through the app: Robin made the demo vault, but it has a chair (Avery)."""
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        await press(pilot, "a")
        assert isinstance(app.screen, FormModal)
        await press(pilot, *"Mallory", "enter", "enter")  # the name, then open the role list
        await choose(pilot, "chair", by_prompt=True)
        await tab_to(pilot, "form-1")
        await press(pilot, *"mallory's pass", "enter", *"mallory's pass", "enter")
        assert isinstance(app.screen, TeamScreen)
        assert (
            "only the chair may add a chair (the lead who created the vault adds the first, while there is none)"
            in toasts(app)
        )
        assert "Mallory" not in team_rows(app)
    desk = Desk.open(demo_folder, clock=frozen)
    try:
        assert member_store.by_name(desk.db, "Mallory") is None
    finally:
        desk.close()


async def test_a_lead_pressing_e_or_r_on_the_chair_is_told_why_and_the_chair_is_not(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        await cursor_to(pilot, "Avery Chair")
        for key, reason in (
            (
                "e",
                "only the chair may re-enrol a chair (re-enrolling someone means choosing their passphrase)",
            ),
            ("r", "only the chair may remove a chair"),
        ):
            app.clear_notifications()
            await press(pilot, key)
            assert isinstance(app.screen, TeamScreen), f"{key} opened a dialog that could not be used"
            assert reason in toasts(app)
        app.clear_notifications()
        await press(pilot, "escape")
        await lock_and_unlock_as(pilot, "Avery Chair")
        await to_team(pilot)
        await cursor_to(pilot, "Robin Lead")
        await press(pilot, "e")  # the chair re-enrols a lead who forgot their passphrase
        assert isinstance(app.screen, FormModal)


async def test_removing_a_member_from_the_team_screen(app: CocdeskApp, demo_folder: Path) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        await cursor_to(pilot, "Robin Lead")
        await press(pilot, "r")
        assert isinstance(app.screen, TeamScreen), "a question was asked that could not be used"
        assert "another lead or the chair removes you from the team" in toasts(app)
        app.clear_notifications()

        await cursor_to(pilot, "Kim Responder")
        await press(pilot, "r")
        assert isinstance(app.screen, ConfirmModal)
        assert "What they saw before, they saw." in flat(screen_text(app))
        await press(pilot, "y")
        assert isinstance(app.screen, TeamScreen)
        assert team_rows(app)["Kim Responder"] == ["responder", "removed", "0", ""]
        assert "Removed Kim Responder; the cases they held were re-keyed." in toasts(app)
        await press(pilot, "escape")
        await open_case(pilot, "C-0001")  # the re-keyed cases open for the lead at once
        assert isinstance(app.screen, CaseScreen)
    desk = Desk.open(demo_folder, clock=frozen)
    try:
        with pytest.raises(NotAMember, match="no team member is called 'Kim Responder'"):
            desk.unlock("Kim Responder", demo.PASSPHRASE)
        assert "Kim Responder" not in desk.member_names()
        assert case_store.sealed_keys_for(desk.db, KIM) == {}
    finally:
        desk.close()


async def test_changing_ones_own_passphrase(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await to_team(pilot)
        await press(pilot, "p", *"demo", "enter", *"robin's new one", "enter", *"robin's new two", "enter")
        assert "the two passphrases differ" in toasts(app)
        app.clear_notifications()
        await press(pilot, "p", *"wrong", "enter", *"robin's new one", "enter", *"robin's new one", "enter")
        assert "wrong passphrase" in toasts(app)
        app.clear_notifications()
        await press(pilot, "p", *"demo", "enter", *"robin's new one", "enter", *"robin's new one", "enter")
        assert "Your passphrase was changed." in toasts(app)

        app.clear_notifications()
        await press(pilot, "ctrl+l")
        await unlock(pilot, "demo")
        assert isinstance(app.screen, UnlockScreen)
        assert "Wrong passphrase. Try again." in screen_text(app)
        await press(pilot, *"robin's new one", "enter")
        assert isinstance(app.screen, QueueScreen)
        assert len(queue_rows(app)) == 7


# -- stepping out of a case, and lifting it -------------------------------------------------------
async def test_kim_steps_out_with_x_and_robin_lifts_it_with_l(app: CocdeskApp, demo_folder: Path) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock_as(pilot, "Kim Responder")
        await open_case(pilot, "C-0005")
        assert isinstance(app.screen, CaseScreen)
        await press(pilot, "x")
        assert isinstance(app.screen, ConfirmModal)
        await press(pilot, "y")
        assert isinstance(app.screen, QueueScreen)
        assert "You stepped out of C-0005; it was re-keyed without you." in toasts(app)
        rows = queue_rows(app)
        assert rows["C-0005"][2] == "stepped out"
        assert [cell for i, cell in enumerate(rows["C-0005"]) if i not in (0, 2)] == [""] * 6
        assert "6 cases · 1 stepped out" in screen_text(app)
        app.clear_notifications()
        await open_case(pilot, "C-0005")  # Enter on its row
        assert isinstance(app.screen, QueueScreen)
        assert STEPPED_OUT in toasts(app)

        app.clear_notifications()
        await lock_and_unlock_as(pilot, "Robin Lead")
        await open_case(pilot, "C-0005")
        shown = await whole_case(pilot)
        assert "Who has access" in shown
        assert "Holds the key: Avery Chair, Robin Lead" in shown
        assert "Stepped out (conflict of interest, no reason asked): Kim Responder" in shown
        assert "Kim Responder: recorded a conflict of interest of Kim Responder, who stepped out" in shown
        await press(pilot, "l")
        assert isinstance(app.screen, ChoiceModal)
        await press(pilot, "enter")  # Kim, the only one who stepped out
        assert isinstance(app.screen, CaseScreen)
        assert "Kim Responder may open C-0005 again." in toasts(app)
        app.clear_notifications()
        shown = await whole_case(pilot)
        assert "Holds the key: Avery Chair, Kim Responder, Robin Lead" in shown
        assert "Stepped out (conflict of interest" not in shown
        assert "Robin Lead: lifted the recusal of Kim Responder" in shown
        assert "Opened by Robin Lead: 1×" in shown

        await lock_and_unlock_as(pilot, "Kim Responder")
        assert queue_rows(app)["C-0005"][2] == "reported"
        await open_case(pilot, "C-0005")
        assert isinstance(app.screen, CaseScreen)
        assert "Casey Fictional" in await whole_case(pilot)


async def test_a_responder_pressing_l_is_told_only_a_lead_or_the_chair_lifts(app: CocdeskApp) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)  # Robin steps out of C-0007 himself; Avery (chair) keeps it
        await open_case(pilot, "C-0007")
        await press(pilot, "x", "y")
        app.clear_notifications()
        await lock_and_unlock_as(pilot, "Kim Responder")
        await open_case(pilot, "C-0007")
        await press(pilot, "l")
        assert isinstance(app.screen, CaseScreen), "a choice was offered that could not be used"
        assert "only a lead or the chair lifts a recusal" in toasts(app)


# -- the "done means" ---------------------------------------------------------------------
async def test_done_means_a_conflict_declared_at_the_meeting_closes_every_path(
    app: CocdeskApp, demo_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two members on the demo vault; Robin records the meeting of C-0005 with Kim declaring a
    conflict; from then on Kim cannot see C-0005 by the app, the CLI, or the services."""
    desk, kim_before = service(demo_folder, "Kim Responder")
    try:
        old_key = kim_before.session.case_key("C-0005")  # the key Kim could have kept
        assert kim_before.open_case("C-0005").summary.id == "C-0005"
    finally:
        desk.close()

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await unlock(pilot)
        await open_case(pilot, "C-0005")
        await press(pilot, "t")
        assert isinstance(app.screen, MeetingScreen)
        for box in (f"present-{ROBIN}", f"conflict-{KIM}", f"present-{AVERY}"):
            await tab_to(pilot, box)
            await press(pilot, "space")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, CaseScreen)
        app.clear_notifications()
        shown = await whole_case(pilot)
        assert "C-0005 · in review" in shown
        assert "Stepped out (conflict of interest, no reason asked): Kim Responder" in shown

        await lock_and_unlock_as(pilot, "Kim Responder")
        assert queue_rows(app)["C-0005"][2] == "stepped out"
        await open_case(pilot, "C-0005")
        assert isinstance(app.screen, QueueScreen) and STEPPED_OUT in toasts(app)
        app.clear_notifications()
        # The search: "casey" names C-0004 and C-0005; only C-0004 is Kim's to search.
        await press(pilot, "slash", *"casey")
        assert list(queue_rows(app)) == ["C-0004"]
        await press(pilot, "escape")
        # The pattern list of another case naming the same person leaves C-0005 out.
        await open_case(pilot, "C-0004")
        assert isinstance(app.screen, CaseScreen)
        shown = await whole_case(pilot)
        assert "Casey Fictional" in shown and "C-0005" not in shown

    # The CLI on the same folder, in-process and as the installed command.
    env = {"COCDESK_MEMBER": "Kim Responder", "COCDESK_PASSPHRASE": demo.PASSPHRASE}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    refused = "cocdesk: Kim Responder stepped out of C-0005 (a conflict of interest)\n"
    for fmt in ("md", "json"):
        out, err = io.StringIO(), io.StringIO()
        code = main(["--data-dir", str(demo_folder), "export", "C-0005", "--format", fmt], out=out, err=err)
        assert (code, out.getvalue(), err.getvalue()) == (3, "", refused)
    out, err = io.StringIO(), io.StringIO()
    assert main(["--data-dir", str(demo_folder), "list", "--json"], out=out, err=err) == 0
    assert "C-0005" not in {row["id"] for row in json.loads(out.getvalue())}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.fast_cocdesk", "--data-dir", str(demo_folder), "export", "C-0005"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "", refused)

    # The services, and the keys themselves.
    desk, kim = service(demo_folder, "Kim Responder")
    try:
        db = desk.db
        assert case_store.sealed_key(db, "C-0005", KIM) is None
        assert case_store.key_holders(db, "C-0005") == {ROBIN, AVERY}
        blobs = case_store.fields(db, "C-0005")
        assert "meeting" in blobs
        for field, blob in blobs.items():
            with pytest.raises(IntegrityFailure):
                open_field(old_key, "C-0005", field, blob)
        with pytest.raises(NotAMember):
            kim.open_case("C-0005")
        assert "C-0005" not in {c.id for c in kim.list_cases()}
        assert "C-0005" not in kim.search_texts()
        assert set(kim.earlier_cases_naming([("name", "casey fictional")])) == {"C-0004"}
        assert [p.case_id for p in StepService(kim.session).patterns("C-0004")] == []
        assert StepService(kim.session).privacy_flags("Lee saw it") == []
        robin = CaseService(desk.unlock("Robin Lead", demo.PASSPHRASE))
        assert "Lee" in StepService(robin.session).privacy_flags("Lee saw it")
        assert [p.case_id for p in StepService(robin.session).patterns("C-0004")] == ["C-0005"]
    finally:
        desk.close()
