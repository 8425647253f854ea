"""The team (PROCEDURE.md, "Roles"): who is on it, and adding, removing and re-keying members."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cocdesk.tui.literal import cell

if TYPE_CHECKING:
    from cocdesk.service.team import MemberInfo

HELP = """\
Everyone on the response team, with their role and how many cases they hold a
key to. Each member has their own passphrase and key pair: the cases they may
open are sealed to them one by one.

a adds a member: they type their own passphrase. r removes the highlighted
member: their keys are deleted and every case they held is re-keyed — what they
saw before, they saw. p changes your own passphrase. e re-enrols a member who
forgot theirs: a new key pair, and the cases you hold sealed to it. d (the
chair) names the highlighted member a delegate for announcements.

A lead or the chair adds, removes and re-enrols members; nobody does so for a
role above their own, so a chair is added, removed or re-enrolled only by the
chair (the lead who created the vault adds the first chair).
"""


class TeamScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#team-table"
    BINDINGS = [
        Binding("a", "ask('add')", "Add", tooltip="Add a team member"),
        Binding("r", "ask('remove')", "Remove", tooltip="Remove the highlighted member"),
        Binding("p", "ask('passphrase')", "Passphrase", tooltip="Change your own passphrase"),
        Binding(
            "e", "ask('reenrol')", "Re-enrol", tooltip="New key for a member who forgot their passphrase"
        ),
        Binding("d", "ask('delegate')", "Delegate", tooltip="Name a delegate for announcements (chair)"),
        Binding("escape", "back", "Back", tooltip="Back to the queue"),
    ]

    class Request(Message):
        """Asks the app to do `what` for the member called `name`."""

        def __init__(self, what: str, name: str) -> None:
            super().__init__()
            self.what = what
            self.name = name

    def __init__(self, members: list[MemberInfo]) -> None:
        super().__init__()
        self.members = members

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content("The response team"), classes="title")
        yield DataTable(id="team-table", cursor_type="row", zebra_stripes=True)
        yield Static(
            Content(
                "Removing a member deletes their keys and re-keys the cases they held. "
                "What they saw before, they saw."
            ),
            id="team-note",
        )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Name", "Role", "State", "Cases", "Delegate")
        self.show(self.members)

    def show(self, members: list[MemberInfo]) -> None:
        self.members = members
        table = self.query_one(DataTable)
        table.clear()
        for m in members:
            table.add_row(
                cell(m.name),
                cell(m.role.value),
                cell("active" if m.active else "removed"),
                cell(str(m.cases)),
                cell("yes" if m.delegate else ""),
                key=str(m.id),
            )

    def highlighted(self) -> str:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return ""
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((m.name for m in self.members if str(m.id) == key), "")

    def action_ask(self, what: str) -> None:
        self.post_message(self.Request(what, self.highlighted()))

    def action_back(self) -> None:
        self.dismiss()
