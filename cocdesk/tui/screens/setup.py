"""First run: create the event's vault and its first lead."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Input, Label, LoadingIndicator, Static

from cocdesk.domain.passphrase import problem, strength
from cocdesk.tui.literal import literal

HELP = """\
This laptop has no cocdesk vault yet. Create one for your event.

You become its first lead. Choose a passphrase you can type under stress but
nobody can guess: four or more unrelated words work well. It cannot be
recovered if it is forgotten; add a second lead soon (cocdesk member add).
"""


class SetupScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#setup-event"

    @dataclass
    class Submitted(Message):
        event: str
        member: str
        passphrase: str = field(repr=False)  # never in a log line or a repr

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="setup-box"):
            yield Static("Create the vault for your event", classes="title")
            yield Label("Event name")
            yield Input(placeholder="e.g. PyColorado 2026", id="setup-event", compact=True)
            yield Label("Your name (you become the first lead)")
            yield Input(id="setup-member", compact=True)
            yield Label("Passphrase (four or more unrelated words work well)")
            yield Input(password=True, id="setup-passphrase", compact=True)
            yield Label("", id="setup-strength")
            yield Label("Passphrase again")
            yield Input(password=True, id="setup-again", compact=True)
            yield Button("Create vault", id="setup-button", variant="primary", compact=True)
            yield LoadingIndicator(id="setup-working")
            yield Label("", id="setup-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#setup-working").display = False
        self.query_one("#setup-event", Input).focus()

    @on(Input.Changed, "#setup-passphrase")
    def hint(self, event: Input.Changed) -> None:
        label = self.query_one("#setup-strength", Label)
        label.update(f"Strength: {strength(event.value)}" if event.value else "")

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == "setup-again":
            self.submit()
        else:
            self.focus_next()

    @on(Button.Pressed, "#setup-button")
    def submit(self) -> None:
        event = self.query_one("#setup-event", Input).value.strip()
        member = self.query_one("#setup-member", Input).value.strip()
        first = self.query_one("#setup-passphrase", Input).value
        again = self.query_one("#setup-again", Input).value
        message = self.query_one("#setup-message", Label)
        if not event or not member:
            message.update("Fill in the event name and your name.")
            return
        refused = problem(first)
        if refused:
            message.update(refused[0].upper() + refused[1:] + ".")
            return
        if first != again:
            message.update("The two passphrases differ.")
            self.query_one("#setup-again", Input).value = ""
            self.query_one("#setup-again", Input).focus()
            return
        self.query_one("#setup-working").display = True
        self.query_one("#setup-button", Button).disabled = True
        message.update("Creating the vault and your key…")
        self.post_message(self.Submitted(event, member, first))

    def show_error(self, text: str) -> None:
        self.query_one("#setup-working").display = False
        self.query_one("#setup-button", Button).disabled = False
        self.query_one("#setup-message", Label).update(literal(text, multiline=False))
