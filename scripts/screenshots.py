"""Regenerate screenshots/*.svg from the demo vault (fictional cases only).

Usage, from anywhere:

    python scripts/screenshots.py

The app renders its own pictures (Textual's `save_screenshot` under
`App.run_test`, 100x30) on a throwaway demo vault with a frozen clock, so the
same code gives the same SVGs on every machine. The app and the steps that walk
it are shared with the snapshot tests (tests/tui/demo_app.py): the README's
pictures show exactly the states those tests check.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for tests.tui.demo_app when run as a plain script

from textual.pilot import Pilot  # noqa: E402

from tests.tui.demo_app import (  # noqa: E402
    case,
    decision,
    demo_app,
    first_contact,
    follow_up,
    intake,
    meeting,
    press,
    settle,
    unlock,
)

OUT = ROOT / "screenshots"
SIZE = (100, 30)


async def help_on_queue(pilot: Pilot[None]) -> None:
    await unlock(pilot)
    await press(pilot, "question_mark")


async def team(pilot: Pilot[None]) -> None:
    await unlock(pilot)
    await press(pilot, "t")


async def handoff(pilot: Pilot[None]) -> None:
    await unlock(pilot)
    await press(pilot, "h")


async def transparency(pilot: Pilot[None]) -> None:
    await unlock(pilot)
    await press(pilot, "r")


# file name → the steps from start-up to the state it shows
SHOTS: dict[str, Callable[[Pilot[None]], Awaitable[None]]] = {
    "unlock.svg": settle,
    "queue.svg": unlock,
    "first-contact.svg": first_contact,
    "intake.svg": intake,
    "case.svg": case,
    "help.svg": help_on_queue,
    "meeting.svg": meeting,
    "decision.svg": decision,
    "follow-up.svg": follow_up,
    "team.svg": team,
    "handoff.svg": handoff,
    "transparency.svg": transparency,
}


async def shoot(name: str, steps: Callable[[Pilot[None]], Awaitable[None]], folder: Path) -> None:
    app = demo_app(folder)
    async with app.run_test(size=SIZE) as pilot:
        await steps(pilot)
        app.save_screenshot(filename=name, path=str(OUT))


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cocdesk-screenshots-") as scratch:
        for number, (name, steps) in enumerate(SHOTS.items()):
            # A fresh vault for each picture, so no state leaks from one to the next.
            await shoot(name, steps, Path(scratch) / f"vault-{number}")
            print(f"screenshots/{name}")


if __name__ == "__main__":
    asyncio.run(main())
