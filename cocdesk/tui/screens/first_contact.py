"""First contact: safety first, then DO and DON'T as a checklist whose ticks are timed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Header, Static

from cocdesk.tui.literal import literal

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.cases import Tick

HELP = """\
First contact with a person who is reporting an incident.

Read the safety box first. If anyone is in danger now, call the emergency number
before anything else. Press u if a lead must respond now: the report is marked
urgent and the leads to call are shown.

Then go through DO and DON'T; tick each item (space) as you cover it — each tick
is timed and saved with the case. Press i to continue to the report form.
"""


class FirstContactScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#do-0"
    BINDINGS = [
        Binding("i", "intake", "Continue to intake", tooltip="Take the report; the checklist goes with it"),
        Binding("u", "lead_now", "Lead needed now", tooltip="Mark urgent and show the leads to call"),
        Binding("escape", "leave", "Back", tooltip="Back to the queue (asks first if anything was ticked)"),
        Binding("down", "app.focus_next", "Next item", show=False, priority=True),
        Binding("up", "app.focus_previous", "Previous item", show=False, priority=True),
    ]

    class Continue(Message):
        def __init__(self, ticks: tuple[Tick, ...], urgent: bool) -> None:
            super().__init__()
            self.ticks = ticks
            self.urgent = urgent

    class Leave(Message):
        def __init__(self, touched: bool) -> None:
            super().__init__()
            self.touched = touched

    def __init__(self, playbook: Playbook, leads: list[str], now: Callable[[], str]) -> None:
        super().__init__()
        self.playbook = playbook
        self.leads = leads
        self.now = now
        self.ticked: dict[str, str] = {}
        self.urgent = False

    def compose(self) -> ComposeResult:
        p = self.playbook
        yield Header()
        with VerticalScroll(id="fc-body"):
            with Vertical(id="fc-safety"):
                yield Static(literal(p.safety_title), classes="title")
                for step in p.safety_steps:
                    yield Static(literal(f"• {step}"))
            yield Static("", id="fc-lead")
            yield Static(literal(f"Quiet room: {p.quiet_room}"), id="fc-room")
            yield Static(literal("Crisis contacts: " + " · ".join(p.crisis_contacts)), id="fc-contacts")
            yield Static(Content("DO"), classes="title do")
            for i, item in enumerate(p.do):
                with Horizontal(classes="item do"):
                    yield Checkbox(id=f"do-{i}", compact=True)
                    yield Static(literal(item), classes="item-text")
            yield Static(Content("DON'T"), classes="title dont")
            for i, item in enumerate(p.dont):
                with Horizontal(classes="item dont"):
                    yield Checkbox(id=f"dont-{i}", compact=True)
                    yield Static(literal(item), classes="item-text")
            yield Static(literal(p.confidentiality), id="fc-confidential")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#fc-lead").display = False
        self.query_one("#do-0", Checkbox).focus()

    def _item(self, checkbox_id: str) -> str:
        kind, index = checkbox_id.split("-")
        items = self.playbook.do if kind == "do" else self.playbook.dont
        return ("DO: " if kind == "do" else "DON'T: ") + items[int(index)]

    @on(Checkbox.Changed)
    def ticked_item(self, event: Checkbox.Changed) -> None:
        item = self._item(event.checkbox.id or "")
        if event.value:
            self.ticked[item] = self.now()
        else:
            self.ticked.pop(item, None)

    def ticks(self) -> tuple[Tick, ...]:
        from cocdesk.service.cases import Tick

        return tuple(Tick(item, at) for item, at in self.ticked.items())

    def action_lead_now(self) -> None:
        self.urgent = True
        names = ", ".join(self.leads) or "the leads listed in the playbook"
        box = self.query_one("#fc-lead", Static)
        box.update(literal(f"URGENT — call a lead now: {names}. Ask the reporter to stay with you."))
        box.display = True

    def action_intake(self) -> None:
        self.post_message(self.Continue(self.ticks(), self.urgent))

    def action_leave(self) -> None:
        self.post_message(self.Leave(bool(self.ticked) or self.urgent))
