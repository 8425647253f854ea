"""Export one case to a file from the case view: the format, the file, and a plain warning."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from cocdesk.errors import CocdeskError
from cocdesk.exchange.files import target_path
from cocdesk.tui.literal import literal

FORMATS = (("Markdown, for people (md)", "md"), ("JSON, for programs (json)", "json"))
WARNING = (
    "PLAINTEXT: an export is not sealed. Anyone who gets this file reads the whole case: "
    "names, contacts, the account, the decision."
)


class ExportModal(ModalScreen[tuple[str, str] | None]):
    """Answers (format, file name as typed); Escape cancels. The app writes the file."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Export"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(f"Export {self.case_id} to a file"), classes="title")
            yield Static(Content(WARNING), id="export-warning", classes="warn")
            yield Label("Format")
            yield Select(FORMATS, value="md", allow_blank=False, id="export-format", compact=True)
            yield Label("File (a new one: nothing is overwritten)")
            yield Input(f"~/cocdesk-{self.case_id}.md", id="export-path", compact=True)
            yield Static("", id="export-where")
            yield Label("Enter on the file name, or ctrl+s, exports. Escape cancels.", classes="muted")
            yield Label("", id="export-message")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()
        self.show_where()

    @on(Input.Changed, "#export-path")
    def show_where(self) -> None:
        """Say where the file goes, in full: `~` and a relative name are resolved here."""
        typed = self.query_one("#export-path", Input).value
        where = self.query_one("#export-where", Static)
        try:
            path = target_path(typed)
        except CocdeskError:
            where.update(Content("It goes nowhere yet: give a file name."))
            return
        where.update(literal(f"It goes to {path}, readable by you only. Delete it once it is passed on."))

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        # Keep the name's ending in step with the format, where it is one of ours.
        box = self.query_one("#export-path", Input)
        fmt = self._format()
        for ending in (".md", ".json"):
            if box.value.endswith(ending):
                box.value = box.value.removesuffix(ending) + f".{fmt}"
                break

    def _format(self) -> str:
        value = self.query_one("#export-format", Select).value
        return value if isinstance(value, str) else "md"

    @on(Input.Submitted, "#export-path")
    def action_submit(self) -> None:
        typed = self.query_one("#export-path", Input).value
        if not typed.strip():
            self.query_one("#export-message", Label).update("Give a file name.")
            return
        self.dismiss((self._format(), typed))

    def action_cancel(self) -> None:
        self.dismiss(None)
