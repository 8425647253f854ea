"""What the meeting, decision and follow-up forms share: save, leave, say what went wrong."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from cocdesk.tui.literal import literal


class StepForm(Screen[None]):
    """A form for one step of the procedure. Screens only ask: the app records."""

    BINDINGS = [
        # Not a priority binding: keys typed just before it must reach the form first.
        Binding("ctrl+s", "save", "Save", tooltip="Seal and record this step"),
        Binding("escape", "leave", "Back", tooltip="Back to the case (asks first if unsaved)"),
    ]

    class Submitted(Message):
        """The form asks the app to record `step` on `case_id` with `payload`."""

        def __init__(self, case_id: str, step: str, payload: Any) -> None:
            super().__init__()
            self.case_id = case_id
            self.step = step
            self.payload = payload

    class Leave(Message):
        def __init__(self, dirty: bool) -> None:
            super().__init__()
            self.dirty = dirty

    case_id: str = ""

    def state(self) -> Any:
        """Everything the user can change, to tell whether there are unsaved changes."""
        return None

    def on_mount(self) -> None:
        self.baseline = self.state()

    def saved(self) -> None:
        """The app recorded the step: what is on screen now counts as saved."""
        self.baseline = self.state()

    def show_error(self, text: str) -> None:
        self.query_one(".form-message", Static).update(literal(text))

    def submit(self, step: str, payload: Any) -> None:
        self.query_one(".form-message", Static).update("")
        self.post_message(self.Submitted(self.case_id, step, payload))

    def action_leave(self) -> None:
        self.post_message(self.Leave(self.state() != self.baseline))
