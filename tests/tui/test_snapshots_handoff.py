"""Named SVG snapshots of handing cases on (h on the queue) and its bundle-out form, at 80x24 and
120x40.

A member's key pair is random, so its fingerprint is fixed here for the picture, and the home
folder (the suggested file names) is set to /home/responder. When one fails, open
snapshot_report.html, compare the picture with the test's docstring, and only then run
`pytest tests/tui/test_snapshots_handoff.py --snapshot-update`.
"""

from __future__ import annotations

import pytest

from cocdesk.service.handoff import HandoffService
from tests.tui.demo_app import Shows, keys, unlock


@pytest.fixture(autouse=True)
def steady(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HandoffService, "fingerprint", lambda self: "a4e9-0395-aa4b-2d9b")
    monkeypatch.setenv("HOME", "/home/responder")


def test_handoff_screen(shows: Shows) -> None:
    """Header "DemoCon 2026 · Robin Lead (lead)"; title "Handing cases on"; six lines, one per
    key: v a backup of the whole vault…, k your public key…, b a bundle out…, i a bundle in… (twice changes nothing), w next
    year's ban list… (a lead or the chair), c check a name…; then "Your public key's
    fingerprint: a4e9-0395-aa4b-2d9b" and nothing below it; footer k My key, b Bundle out,
    i Bundle in, w Ban list, c Check name, esc Back."""
    assert shows(unlock, keys("h"))


def test_bundle_out_form(shows: Shows) -> None:
    """Over the dimmed handoff screen, the dialog "A bundle out: sealed to one public key" with
    three fields: "Their public key file" (empty, focused), "Write the bundle to"
    (/home/responder/cocdesk-bundle.sealed) and "Cases (blank: all you hold)" (empty); below,
    "Enter on the last field, or ctrl+s, when done. Escape cancels."."""
    assert shows(unlock, keys("h"), keys("b"))
