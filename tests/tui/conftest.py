"""Fixtures for driving the real app with Pilot on a real demo vault (fictional data)."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from cocdesk import demo
from cocdesk.tui.app import CocdeskApp, make_app
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.tui.demo_app import FROZEN, Shows, Step, demo_app, frozen_clock, settle, unlock

__all__ = ["FROZEN", "frozen", "settle", "unlock"]


frozen = frozen_clock


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


async def start_report(pilot: Pilot[None], typed: str = "") -> None:
    """Unlocked queue → first contact → intake, with `typed` in the account."""
    await pilot.press("n", "i")
    await pilot.pause()
    if typed:
        await pilot.press(*typed)


def screen_text(app: CocdeskApp) -> str:
    """What the top screen shows, as plain text lines."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def everything_shown(app: CocdeskApp) -> str:
    """The whole rendered terminal (all layers) as the SVG export holds it, entities decoded."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


# -- snapshots (pytest-textual-snapshot) ----------------------------------------------------
@pytest.fixture(params=[(80, 24), (120, 40)], ids=["80x24", "120x40"])
def size(request: pytest.FixtureRequest) -> tuple[int, int]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def shows(snap_compare: Any, size: tuple[int, int], tmp_path: Path) -> Shows:
    """`shows(*steps, app=…)`: the app (the demo's by default) after the steps, compared with
    its snapshot at `size`."""

    def compare(*steps: Step, app: App[None] | None = None) -> bool:
        async def run_before(pilot: Pilot[None]) -> None:
            for step in steps:
                await step(pilot)

        the_app = app if app is not None else demo_app(tmp_path / "demo")
        return bool(snap_compare(the_app, terminal_size=size, run_before=run_before))

    return compare
