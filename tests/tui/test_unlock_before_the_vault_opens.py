"""The vault opens after the first frame: Enter pressed before the members are known waits for them."""

from __future__ import annotations

from textual.app import App

from cocdesk.tui import stylesheet
from cocdesk.tui.screens.unlock import UnlockScreen


class UnlockOnly(App[None]):
    CSS_PATH = stylesheet.PATH

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def on_mount(self) -> None:
        self.push_screen(UnlockScreen("demo"))

    def on_unlock_screen_submitted(self, message: UnlockScreen.Submitted) -> None:
        self.submitted.append(message.member)


async def test_enter_before_the_vault_opens_unlocks_once_the_members_are_shown() -> None:
    app = UnlockOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"demo", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        assert app.submitted == [] and "Choose your name first." not in str(
            screen.query_one("#unlock-message").render()
        )
        await screen.show_vault("DemoCon 2026", ["Robin Lead", "Kim Responder"], "Robin Lead")
        await pilot.pause()
        assert app.submitted == ["Robin Lead"]


async def test_the_member_list_arrives_in_its_kept_place_and_nothing_moves() -> None:
    app = UnlockOnly()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, UnlockScreen)
        field, box = screen.query_one("#unlock-passphrase"), screen.query_one("#unlock-box")
        before, box_before = field.region, box.region
        assert not screen.query("#unlock-member") and "Press Enter to unlock." in str(
            screen.query_one("#unlock-hint").render()
        )
        await pilot.press(*"dem")  # typing has begun when the vault opens
        await screen.show_vault("DemoCon 2026", ["Robin Lead", "Kim Responder"], "Kim Responder")
        await pilot.pause()
        assert screen.query_one("#unlock-member").region.y < before.y
        assert field.region == before and box.region == box_before and app.focused is field
        assert not screen.query("#unlock-member-slot")
        await pilot.press("o", "enter")
        await pilot.pause()
        assert app.submitted == ["Kim Responder"]
        assert screen.query_one("#unlock-working").display  # the spinner, built with the member list
