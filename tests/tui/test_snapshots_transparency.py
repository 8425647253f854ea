"""Named SVG snapshots of the transparency report and the case export dialog, at 80x24 and 120x40.

The app is the demo vault (fictional data) with a frozen clock, built fresh in tmp_path for
each picture (tests/tui/demo_app.py); `~` is /home/member, so the export dialog names the same
file on every machine. When one fails, open snapshot_report.html, compare the picture with the
test's docstring, and only then run
`pytest tests/tui/test_snapshots_transparency.py --snapshot-update`.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.demo_app import Shows, keys, open_case, unlock


def test_transparency_report_of_the_demo(shows: Shows) -> None:
    """Header "DemoCon 2026 · Robin Lead (lead)"; the Markdown as written, literally: "# Transparency
    report: DemoCon 2026", "Reports received: 7", "## By category" and its table — "| Category |
    Code | Reports |", one row per category of the demo (labels from the playbook, codes in
    backticks, 1 each); at 120x40 also "## By status" (Reported 2, In review 1, Decided 1,
    Closed 1, Appealed 1, Referred 1). Above the footer, dim: "Counts: every case, no key
    needed. Summaries: cases you hold, checked for names now."; footer w Write to file, esc Back."""
    assert shows(unlock, keys("r"))


@pytest.fixture
def member_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/member")


@pytest.mark.usefixtures("member_home")
def test_export_dialog_on_c_0004(shows: Shows) -> None:
    """Over the dimmed case C-0004, a dialog with a warning-coloured border: "Export C-0004 to a
    file", then in bold warning colour "PLAINTEXT: an export is not sealed. Anyone who gets this
    file reads the whole case: names, contacts, the account, the decision."; Format "Markdown,
    for people (md)" in a select; "File (a new one: nothing is overwritten)" holding
    "~/cocdesk-C-0004.md" with the focus; "It goes to /home/member/cocdesk-C-0004.md, readable
    by you only. Delete it once it is passed on."; "Enter on the file name, or ctrl+s, exports.
    Escape cancels." """

    async def to_c_0004(pilot: Pilot[None]) -> None:
        await open_case(pilot, "C-0004")

    assert shows(unlock, to_c_0004, keys("E"))
