"""Named SVG snapshots of the team screen, the add-member form and a stepped-out case, at 80x24
and at 120x40.

The app is the demo vault (fictional data) with a frozen clock, built fresh in tmp_path for
each picture (tests/tui/demo_app.py). When one fails, open snapshot_report.html, compare the
picture with the test's docstring, and only then run
`pytest tests/tui/test_snapshots_team.py --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from cocdesk import demo
from cocdesk.service import Desk
from cocdesk.service.access import AccessService
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.tui.demo_app import (
    Shows,
    frozen_clock,
    keys,
    open_case,
    still_idle_clock,
    unlock,
    unlock_as,
)


def kim_stepped_out_of(folder: Path, case_id: str | None) -> CocdeskApp:
    """The demo vault, Kim Responder having declared a conflict in `case_id` (if any)."""
    demo.build(folder, now=frozen_clock, params=FAST_FOR_TESTS).close()
    if case_id is not None:
        desk = Desk.open(folder, clock=frozen_clock)
        try:
            AccessService(desk.unlock("Kim Responder", demo.PASSPHRASE)).declare_conflict(case_id)
        finally:
            desk.close()
    return make_app(folder, demo_passphrase=demo.PASSPHRASE, clock=frozen_clock, idle_clock=still_idle_clock)


async def as_kim(pilot: Pilot[None]) -> None:
    await unlock_as(pilot, "Kim Responder")


# -- the team screen ------------------------------------------------------------------------------
def test_team_screen_of_the_demo(shows: Shows) -> None:
    """Header "DemoCon 2026 · Robin Lead (lead)"; title "The response team"; a table with
    Name, Role, State, Cases, Delegate: Robin Lead lead active 7, Kim Responder responder
    active 7, Avery Chair chair active 7 (the first row highlighted); Delegate empty; at the
    bottom, above the footer, "Removing a member deletes their keys and re-keys the cases they
    held. What they saw before, they saw."; footer a Add, r Remove, p Passphrase, e Re-enrol,
    d Delegate, esc Back."""
    assert shows(unlock, keys("t"))


def test_add_member_form_with_a_name_and_passphrase_typed(shows: Shows) -> None:
    """Over the dimmed team screen, the dialog "Add a team member: they type their own
    passphrase": Name holding "Sam Newcomer"; Role "responder" in a select, right after the
    name; "Their passphrase (at least 8 characters)" holding 13 masked dots with the focus and
    a steady cursor; "Same again" showing its own label as a dim placeholder; "Enter on the
    last field, or ctrl+s, when done. Escape cancels." No passphrase is readable anywhere."""
    assert shows(unlock, keys("t", "a", *"Sam Newcomer", "enter", "tab", *"newcomer pass"))


# -- a case Kim stepped out of --------------------------------------------------------------------
def test_kims_queue_lists_the_case_she_stepped_out_of(shows: Shows, tmp_path: Path) -> None:
    """Header "DemoCon 2026 · Kim Responder (responder)"; the queue C-0001…C-0007 without
    C-0005 among them (ages, statuses, categories, holder Robin Lead as usual), then a last row
    "C-0005 … stepped out" with every other column empty; at the bottom "6 cases · 1 stepped
    out · sorted by case" (at 80x24 the table's horizontal scrollbar above it)."""
    assert shows(as_kim, app=kim_stepped_out_of(tmp_path / "demo", "C-0005"))


def test_who_has_access_to_c_0005_after_kim_stepped_out(shows: Shows, tmp_path: Path) -> None:
    """Robin Lead's view of C-0005, scrolled to the end: the "Who has access" section says
    "Holds the key: Avery Chair, Robin Lead", "Stepped out (conflict of interest, no reason
    asked): Kim Responder" and "Opened by Robin Lead: 1×"; the timeline ends with Kim
    Responder recording her own conflict of interest and the case being re-keyed."""

    async def to_c_0005(pilot: Pilot[None]) -> None:
        await open_case(pilot, "C-0005")

    assert shows(unlock, to_c_0005, keys("end"), app=kim_stepped_out_of(tmp_path / "demo", "C-0005"))
