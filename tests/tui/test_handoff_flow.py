"""Handing cases on from the app (h on the queue), by keys alone on the demo vault.

The other side is a real second vault (the committee's), driven through the
real services; file paths are typed as a person would (~ is the test's home).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from cocdesk.domain.roles import Role
from cocdesk.exchange.bundle import parse_public_key
from cocdesk.service import CaseService, Desk, Session
from cocdesk.service.handoff import HandoffService
from cocdesk.tui.app import CocdeskApp
from cocdesk.tui.screens.handoff import HandoffScreen
from cocdesk.tui.screens.modals import ConfirmModal, FormModal
from cocdesk.tui.screens.queue import QueueScreen
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import sample_report
from tests.tui.conftest import screen_text
from tests.tui.demo_app import press, unlock
from tests.tui.test_team_flow import flat, queue_rows

SIZE = (80, 24)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home-dir"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    return folder


@pytest.fixture
def committee(tmp_path: Path) -> Session:
    desk = Desk.create(
        tmp_path / "committee",
        "CoC Committee",
        "Alex",
        "alex passphrase",
        role=Role.CHAIR,
        params=FAST_FOR_TESTS,
    )
    return desk.unlock("Alex", "alex passphrase")


def result(app: CocdeskApp) -> str:
    """What the screen's result box says (a long path wraps on screen; the words do not change)."""
    return flat(str(app.screen.query_one("#handoff-result", Static).content))


async def answer(pilot: Pilot[None], *values: str) -> None:
    """Fill the open form field by field (replacing any suggestion), Enter on each."""
    assert isinstance(pilot.app.screen, FormModal)
    for value in values:
        await pilot.press("ctrl+u", *value, "enter")
    await press(pilot)


async def to_handoff(pilot: Pilot[None]) -> None:
    await unlock(pilot)
    await press(pilot, "h")
    assert isinstance(pilot.app.screen, HandoffScreen)


async def test_the_screen_says_what_each_key_does_and_whose_key_this_is(app: CocdeskApp, home: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await to_handoff(pilot)
        shown = flat(screen_text(app))
        assert "Handing cases on" in shown
        fingerprint = HandoffService(app.session).fingerprint()  # type: ignore[arg-type]
        assert f"Your public key's fingerprint: {fingerprint}" in shown
        for line in ("b a bundle out", "i a bundle in", "c check a name"):
            assert line in shown
        await press(pilot, "escape")
        assert isinstance(app.screen, QueueScreen)


async def test_my_key_out_a_bundle_out_and_the_committee_reads_it(
    app: CocdeskApp, home: Path, committee: Session
) -> None:
    (home / "alex.pub").write_text(HandoffService(committee).public_key_text())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "k")
        assert app.screen.query_one("#form-0").value == str(home / "RobinLead.pub")  # type: ignore[attr-defined]
        await answer(pilot, "~/robin.pub")
        assert "Wrote your public key to" in flat(screen_text(app))
        assert parse_public_key((home / "robin.pub").read_text(), "robin.pub")
        assert (home / "robin.pub").stat().st_mode & 0o777 == 0o600

        await press(pilot, "b")
        await answer(pilot, "~/alex.pub", "~/out.sealed", "c-0005 C-0006")
        shown = flat(screen_text(app))
        assert "Wrote 2 case(s) to" in shown and "out.sealed" in shown

    done = HandoffService(committee).import_((home / "out.sealed").read_bytes())
    assert [theirs for _, theirs in done.added] == ["C-0005", "C-0006"]
    assert CaseService(committee).open_case(done.added[0][0]).report.reported[0].name == "Casey Fictional"


async def test_a_bundle_in_adds_its_case_to_the_queue(
    app: CocdeskApp, home: Path, committee: Session
) -> None:
    CaseService(committee).add_report(sample_report())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "k")
        await answer(pilot, "~/robin.pub")
        robin = parse_public_key((home / "robin.pub").read_text(), "robin.pub")
        HandoffService(committee).export(robin, home / "in.sealed")

        await press(pilot, "i")
        await answer(pilot, "~/in.sealed")
        assert isinstance(app.screen, ConfirmModal)
        asked = flat(app.screen.prompt)
        fingerprint = HandoffService(committee).fingerprint()
        assert f"Bundle from Alex (CoC Committee), key {fingerprint} (NEVER exchanged with before)." in asked
        assert "Take in 1 case(s)?" in asked
        await press(pilot, "y")
        shown = flat(screen_text(app))
        assert "Bundle from Alex (CoC Committee)" in shown and "Added C-0008 (their C-0001)." in shown

        await press(pilot, "i")
        await answer(pilot, "~/in.sealed")
        assert isinstance(app.screen, ConfirmModal)
        assert "(exchanged with before)" in app.screen.prompt
        await press(pilot, "y")
        assert "1 case(s) already up to date." in flat(screen_text(app))

        await press(pilot, "escape")
        assert "C-0008" in queue_rows(app)


async def test_an_older_bundle_taken_in_again_changes_nothing_and_says_so(
    app: CocdeskApp, home: Path, committee: Session
) -> None:
    """Issue 14.3: the committee's first bundle, then its second, then the first again."""
    CaseService(committee).add_report(sample_report())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "k")
        await answer(pilot, "~/robin.pub")
        robin = parse_public_key((home / "robin.pub").read_text(), "robin.pub")
        HandoffService(committee).export(robin, home / "first.sealed")
        HandoffService(committee).export(robin, home / "second.sealed")
        for name in ("second", "first"):
            await press(pilot, "i")
            await answer(pilot, f"~/{name}.sealed")
            await press(pilot, "y")
        older = "older than the copy already taken in from this key: nothing changed"
        assert f"Not taken in: their C-0001: {older}." in result(app)


async def test_a_case_from_a_bundle_shows_whose_words_came_from_where(
    app: CocdeskApp, home: Path, tmp_path: Path, committee: Session
) -> None:
    """Issue 14.7: the committee's own "Robin Lead" stepped out there; here Robin Lead keeps the case,
    and the committee's note is shown as coming from its key, never as written here."""
    from cocdesk.service.access import AccessService
    from cocdesk.service.team import TeamService
    from tests.tui.demo_app import open_case
    from tests.tui.test_team_flow import whole_case

    case_id = CaseService(committee).add_report(sample_report())
    CaseService(committee).add_note(case_id, "the committee's note")
    TeamService(committee).add_member("Robin Lead", Role.RESPONDER, "their robin's words", FAST_FOR_TESTS)
    there = Desk.open(tmp_path / "committee")
    AccessService(there.unlock("Robin Lead", "their robin's words")).declare_conflict(case_id)
    there.close()
    fingerprint = HandoffService(committee).fingerprint()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "k")
        await answer(pilot, "~/robin.pub")
        robin = parse_public_key((home / "robin.pub").read_text(), "robin.pub")
        HandoffService(committee).export(robin, home / "in.sealed")
        await press(pilot, "i")
        await answer(pilot, "~/in.sealed")
        await press(pilot, "y")
        said = "C-0008: the sender's record says Robin Lead stepped out there (not applied here)."
        assert said in result(app)
        await press(pilot, "escape")
        app.clear_notifications()
        await open_case(pilot, "C-0008")  # Robin Lead still holds it
        shown = await whole_case(pilot)
        assert f"Alex (via bundle from {fingerprint}):" in shown
        assert "Stepped out elsewhere (a bundle's record, not applied here):" in shown
        assert f"Robin Lead (stepped out at the sender of a bundle, key {fingerprint})" in shown
        assert "Stepped out (conflict of interest" not in shown


async def test_a_damaged_bundle_is_refused_on_screen(app: CocdeskApp, home: Path, committee: Session) -> None:
    (home / "junk.sealed").write_bytes(b"cocdesk-bundle/1" + b"\0" * 40)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "i")
        await answer(pilot, "~/junk.sealed")
        assert "Bundle in: the bundle is truncated" in flat(screen_text(app))
        await press(pilot, "i")
        await answer(pilot, "~/missing.sealed")
        assert "there is no file" in flat(screen_text(app))
        assert isinstance(app.screen, HandoffScreen)


async def test_the_ban_list_is_written_and_a_name_checked(app: CocdeskApp, home: Path) -> None:
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "k")
        await answer(pilot, "~/robin.pub")
        await press(pilot, "w")
        await answer(pilot, "~/robin.pub", "~/ban.sealed")
        assert result(app) == f"Wrote 0 identifier(s) from 0 case(s) with a ban to {home / 'ban.sealed'}."
        assert "with a ban" in flat(screen_text(app))  # and it is on screen
        await press(pilot, "c")
        await answer(pilot, "~/ban.sealed", "Casey Fictional")
        assert result(app).startswith("No: not on the ban list of DemoCon 2026. The list was sealed by key ")
        assert "No: not on the ban list of DemoCon" in flat(screen_text(app))  # a toast may cover the rest


async def test_a_conflicting_edit_shows_both_versions_on_the_case(
    app: CocdeskApp, demo_folder: Path, home: Path, committee: Session
) -> None:
    from dataclasses import replace

    from cocdesk import demo
    from tests.tui.demo_app import open_case
    from tests.tui.test_team_flow import whole_case

    desk = Desk.open(demo_folder)
    robin = desk.unlock("Robin Lead", demo.PASSPHRASE)
    ours = CaseService(robin)
    HandoffService(robin).export(
        parse_public_key(HandoffService(committee).public_key_text(), "k"), home / "out.sealed", ["C-0005"]
    )
    theirs = HandoffService(committee).import_((home / "out.sealed").read_bytes()).added[0][0]
    c = CaseService(committee)
    c.update_report(theirs, replace(c.open_case(theirs).report, location="[bold]Hall C[/], by the stairs"))
    ours.update_report("C-0005", replace(ours.open_case("C-0005").report, location="Hall B, the east door"))
    HandoffService(committee).export(
        parse_public_key(HandoffService(robin).public_key_text(), "k"), home / "back.sealed"
    )
    desk.close()

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "i")
        await answer(pilot, "~/back.sealed")
        await press(pilot, "y")
        assert "C-0005: both versions of location kept (see the case)." in result(app)
        await press(pilot, "escape")
        app.clear_notifications()  # a toast would cover the timeline's last lines
        await open_case(pilot, "C-0005")
        shown = await whole_case(pilot)
        assert "Hall B, the east door" in shown
        assert "Conflicting versions from bundles (ours is above; theirs kept here)" in shown
        assert "• location, from Alex, CoC Committee at" in shown
        assert "[bold]Hall C[/], by the stairs" in shown  # literally, never as markup
        assert "a bundle's edit of location disagreed with" in shown  # (a scrollbar may split the line)


async def test_a_sealed_backup_of_the_vault_from_the_app(app: CocdeskApp, home: Path) -> None:
    from cocdesk import demo

    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_handoff(pilot)
        await press(pilot, "v")
        assert app.screen.query_one("#form-0").value == str(home / "cocdesk-backup.db")  # type: ignore[attr-defined]
        await answer(pilot, "~/stick.db")
        assert result(app).startswith(f"Wrote a sealed backup to {home / 'stick.db'}.")
        await press(pilot, "v")
        await answer(pilot, "~/stick.db")
        assert "already exists; choose a new file name" in result(app)
    raw = (home / "stick.db").read_bytes()
    assert b"Casey Fictional" not in raw and (home / "stick.db").stat().st_mode & 0o777 == 0o600
    restored = home / "restored"
    restored.mkdir()
    (restored / "cocdesk.db").write_bytes(raw)
    desk = Desk.open(restored)
    try:
        assert len(CaseService(desk.unlock("Robin Lead", demo.PASSPHRASE)).list_cases()) == 7
    finally:
        desk.close()
