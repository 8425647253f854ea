"""The transparency report (issue 6): what the event may publish, shown as the Markdown it writes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cocdesk.tui.literal import literal

HELP = """\
The transparency report: how many reports by category, by status and by action
taken, and the one-line public summaries the team wrote (Public tab of a case's
follow-up). It never holds a name, contact, badge, location or account.

The counts cover every case, the ones you stepped out of and purged ones
included: they need no key. A summary is read only from cases you hold, and is
checked for names again now: one that names a person in a case is left out.

w writes it to a new file (Markdown, readable by you only). The same report is
`cocdesk report transparency --format md|json`.
"""


class TransparencyScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#report-body"
    BINDINGS = [
        Binding("w", "write", "Write to file", tooltip="Write the report to a new Markdown file"),
        Binding("escape", "back", "Back", tooltip="Back to the queue"),
    ]

    class WriteRequested(Message):
        """Asks the app for a file name and writes `text` there."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, markdown: str) -> None:
        super().__init__()
        self.markdown = markdown

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="report-body"):
            # Shown as the literal Markdown it writes: what you see is what is published.
            yield Static(literal(self.markdown), id="report-text")
        yield Static(
            Content("Counts: every case, no key needed. Summaries: cases you hold, checked for names now."),
            id="report-note",
        )
        yield Footer()

    def action_write(self) -> None:
        self.post_message(self.WriteRequested(self.markdown))

    def action_back(self) -> None:
        self.dismiss()
