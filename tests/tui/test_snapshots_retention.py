"""Named SVG snapshots of retention on the queue, at 80x24 and at 120x40.

The demo vault (fictional data) opened 100 days after the demo's frozen clock, so
its closed C-0002 and referred C-0003 are past the default 90 days. When one fails,
open snapshot_report.html, compare the picture with the test's docstring, and only
then run `pytest tests/tui/test_snapshots_retention.py --snapshot-update`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cocdesk import demo
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.tui.demo_app import FROZEN, Shows, frozen_clock, keys, still_idle_clock, unlock


def hundred_days_on() -> datetime:
    return FROZEN + timedelta(days=100)


def demo_100_days_on(folder: Path) -> CocdeskApp:
    demo.build(folder, now=frozen_clock, params=FAST_FOR_TESTS).close()
    return make_app(
        folder, demo_passphrase=demo.PASSPHRASE, clock=hundred_days_on, idle_clock=still_idle_clock
    )


def test_purge_dialog_lists_the_cases_past_retention(shows: Shows, tmp_path: Path) -> None:
    """Over the dimmed queue (ages around 100d), the dialog: "Purge 2 closed cases past the
    90-day retention?", a blank line, "C-0002, C-0003", a blank line, "Every sealed word of
    them is deleted for good; only the anonymised counts stay. Backups written before now
    still hold them (sealed)."; buttons "Purge (y)" and "Keep (n)", Keep focused. Below the
    dialog, above the status line, the reminder "2 closed cases are past the 90-day
    retention — P purges them"."""
    assert shows(unlock, keys("P"), app=demo_100_days_on(tmp_path / "demo"))
