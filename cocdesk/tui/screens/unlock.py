"""Unlock: choose the member, type the passphrase; the slow key derivation runs elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, LoadingIndicator, Select, Static

from cocdesk.tui.literal import literal

HELP = """\
Unlock the vault to see the case queue.

Choose your name, type your passphrase and press Enter. Opening your key takes
about a second on purpose: it makes guessing passphrases slow for a thief.

Nothing about any case is shown until you unlock, and ctrl+l locks again at once.
"""


class UnlockScreen(Screen[None]):
    """Shown first and after every lock. It holds no case data, so it has no way back."""

    HELP = HELP
    BINDINGS = [Binding("escape", "noop", show=False)]
    AUTO_FOCUS = "#unlock-passphrase"

    @dataclass
    class Submitted(Message):
        member: str
        passphrase: str = field(repr=False)  # never in a log line or a repr

    def __init__(self, demo_passphrase: str | None = None) -> None:
        super().__init__()
        self.demo_passphrase = demo_passphrase
        # The vault opens after the first frame: Enter pressed before that waits for it.
        self.opened = False
        self.pending = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="unlock-box"):
            yield Static("Opening the vault…", id="unlock-event")
            yield Select[str]([], prompt="Member", id="unlock-member", allow_blank=True)
            yield Input(placeholder="Passphrase", password=True, id="unlock-passphrase")
            yield Button("Unlock", id="unlock-button", variant="primary")
            yield LoadingIndicator(id="unlock-working")
            yield Label("", id="unlock-message")
            if self.demo_passphrase is not None:
                yield Static(
                    literal(f"Demo vault (fictional cases). The passphrase is: {self.demo_passphrase}"),
                    id="unlock-demo",
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#unlock-working").display = False
        self.query_one("#unlock-passphrase", Input).focus()

    def show_vault(self, event_name: str, members: list[str], last: str | None) -> None:
        """Called once the vault file is open: fill in the event and its members."""
        self.query_one("#unlock-event", Static).update(literal(f"{event_name} — response team"))
        select = self.query_one("#unlock-member", Select)
        select.set_options([(literal(m, multiline=False), m) for m in members])
        chosen = last if last in members else (members[0] if members else None)
        if chosen is not None:
            select.value = chosen
        self.opened = True
        if self.pending:
            self.pending = False
            self.submit()
            return
        self.query_one("#unlock-passphrase", Input).focus()

    def set_working(self, working: bool) -> None:
        self.query_one("#unlock-working").display = working
        self.query_one("#unlock-button", Button).disabled = working
        self.query_one("#unlock-passphrase", Input).disabled = working
        if working:
            self.query_one("#unlock-message", Label).update("Opening your key…")

    def show_error(self, message: str) -> None:
        """A failed unlock: say why, keep the member, clear and refocus the passphrase."""
        self.pending = False
        self.set_working(False)
        self.query_one("#unlock-message", Label).update(literal(message, multiline=False))
        field = self.query_one("#unlock-passphrase", Input)
        field.value = ""
        field.focus()

    @on(Input.Submitted, "#unlock-passphrase")
    @on(Button.Pressed, "#unlock-button")
    def submit(self) -> None:
        member = self.query_one("#unlock-member", Select).value
        passphrase = self.query_one("#unlock-passphrase", Input).value
        if not self.opened and passphrase:
            self.pending = True  # submitted once the members are known (show_vault)
            self.set_working(True)
            return
        if not isinstance(member, str):
            self.show_error("Choose your name first.")
            return
        if not passphrase:
            self.show_error("Type your passphrase.")
            return
        self.set_working(True)
        self.post_message(self.Submitted(member, passphrase))

    def action_noop(self) -> None:
        """Escape does nothing here: there is nothing behind this screen to go back to."""
