"""Fixtures for driving the real app with Pilot on a real demo vault (fictional data)."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from cocdesk import demo
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.vault.kdf import FAST_FOR_TESTS

FROZEN = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)


def frozen() -> datetime:
    return FROZEN


class FakeIdleClock:
    """A monotonic clock the test moves by hand, to prove the idle lock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def demo_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "demo"
    demo.build(folder, now=frozen, params=FAST_FOR_TESTS).close()
    return folder


@pytest.fixture
def idle_clock() -> FakeIdleClock:
    return FakeIdleClock()


@pytest.fixture
def app(demo_folder: Path, idle_clock: FakeIdleClock) -> CocdeskApp:
    return make_app(demo_folder, demo_passphrase=demo.PASSPHRASE, clock=frozen, idle_clock=idle_clock)


async def settle(pilot: Pilot[None]) -> None:
    """Let workers finish and their messages land on screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def unlock(pilot: Pilot[None], passphrase: str = demo.PASSPHRASE) -> None:
    await settle(pilot)
    await pilot.press(*passphrase, "enter")
    await settle(pilot)


def screen_text(app: CocdeskApp) -> str:
    """What the top screen shows, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def everything_shown(app: CocdeskApp) -> str:
    """The whole rendered terminal (all layers) as the SVG export holds it, entities decoded."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")
