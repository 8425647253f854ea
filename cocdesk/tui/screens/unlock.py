"""Unlock: choose the member, type the passphrase; the slow key derivation runs elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Header, Input, Static

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
            # The member list comes with the vault, after the first frame; this blank
            # keeps its place so nothing moves when it arrives. The spinner is built
            # then too: both cost the first paint (BENCHMARKS.md), not Enter.
            yield Static("", id="unlock-member-slot")
            yield Input(placeholder="Passphrase", password=True, id="unlock-passphrase")
            # Enter is the way in. No Unlock button: its styles alone (every variant of
            # Textual's Button) cost the first paint about 6% of a bare Textual app.
            yield Static("Press Enter to unlock.", id="unlock-hint")
            yield Static("", id="unlock-message")
            if self.demo_passphrase is not None:
                yield Static(
                    literal(f"Demo vault (fictional cases). The passphrase is: {self.demo_passphrase}"),
                    id="unlock-demo",
                )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#unlock-passphrase", Input).focus()

    async def show_vault(self, event_name: str, members: list[str], last: str | None) -> None:
        """Called once the vault file is open: fill in the event and its members."""
        from textual.widgets import Select

        if self.opened or self.query("#unlock-member"):
            return  # filled in already, or being filled in (the mount below is awaited)
        self.query_one("#unlock-event", Static).update(literal(f"{event_name} — response team"))
        chosen = last if last in members else (members[0] if members else None)
        select = Select[str](
            [(literal(m, multiline=False), m) for m in members],
            prompt="Member",
            id="unlock-member",
            allow_blank=True,
            value=chosen if chosen is not None else Select.NULL,
        )
        slot = self.query_one("#unlock-member-slot")
        with self.app.batch_update():
            await self.query_one("#unlock-box").mount(select, before=slot)
            await slot.remove()
        self._spinner()
        self.opened = True
        if self.pending:
            self.pending = False
            self.submit()
            return
        self.query_one("#unlock-passphrase", Input).focus()

    def _spinner(self) -> Widget:
        """The spinner, built hidden the first time it is asked for."""
        found = self.query("#unlock-working")
        if found:
            return found.first()
        from textual.widgets import LoadingIndicator

        spinner = LoadingIndicator(id="unlock-working")
        spinner.display = False
        self.query_one("#unlock-box").mount(spinner, before="#unlock-message")
        return spinner

    def set_working(self, working: bool) -> None:
        self._spinner().display = working
        self.query_one("#unlock-passphrase", Input).disabled = working
        if working:
            self.query_one("#unlock-message", Static).update("Opening your key…")

    def show_error(self, message: str) -> None:
        """A failed unlock: say why, keep the member, clear and refocus the passphrase."""
        self.pending = False
        self.set_working(False)
        self.query_one("#unlock-message", Static).update(literal(message, multiline=False))
        field = self.query_one("#unlock-passphrase", Input)
        field.value = ""
        field.focus()

    @on(Input.Submitted, "#unlock-passphrase")
    def submit(self) -> None:
        from textual.widgets import Select

        member = self.query_one("#unlock-member", Select).value if self.opened else None
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
        # The message carries it on; the field need not hold it while the key opens.
        self.query_one("#unlock-passphrase", Input).value = ""
        self.post_message(self.Submitted(member, passphrase))

    def action_noop(self) -> None:
        """Escape does nothing here: there is nothing behind this screen to go back to."""
