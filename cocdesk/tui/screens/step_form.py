"""What the meeting, decision and follow-up forms share: save, leave, drafts, errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Checkbox, Input, RadioSet, Select, Static, TextArea

from cocdesk.errors import CocdeskError
from cocdesk.tui.literal import literal

if TYPE_CHECKING:
    from cocdesk.service.drafts import DraftService

DRAFT_DELAY = 0.8  # seconds after the last change before the draft is sealed
_UNSAVED = object()


class StepForm(Screen[None]):
    """A form for one step of the procedure. The app records it; the form keeps a sealed draft."""

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
    what: str = ""  # "meeting", "decision" or "followup": how a draft finds its form again
    drafts: DraftService | None = None
    draft_timer: Timer | None = None

    def state(self) -> Any:
        """Everything the user can change, to tell whether there are unsaved changes."""
        return None

    def draft_state(self) -> Any:
        """`state()` as JSON-shaped data, for the sealed draft."""
        return None

    restored: bool = False  # opened from a draft: unsaved work until recorded

    def on_mount(self) -> None:
        # A restored draft differs from what is recorded, whatever the fields show.
        self.baseline = _UNSAVED if self.restored else self.state()

    @property
    def dirty(self) -> bool:
        return bool(self.is_attached and self.state() != self.baseline)

    def saved(self) -> None:
        """The app recorded the step: what is on screen now counts as saved, and the draft goes."""
        self.baseline = self.state()
        self.discard_draft()

    def show_error(self, text: str) -> None:
        self.query_one(".form-message", Static).update(literal(text))

    def submit(self, step: str, payload: Any) -> None:
        self.query_one(".form-message", Static).update("")
        self.post_message(self.Submitted(self.case_id, step, payload))

    def action_leave(self) -> None:
        self.post_message(self.Leave(self.dirty))

    # -- the draft ---------------------------------------------------------------------
    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(RadioSet.Changed)
    def changed(self) -> None:
        if self.draft_timer is not None:
            self.draft_timer.stop()
        self.draft_timer = self.set_timer(DRAFT_DELAY, self.save_draft)

    def save_draft(self) -> None:
        """Seal what is typed as this member's step draft (or drop it if nothing is changed)."""
        if self.draft_timer is not None:
            self.draft_timer.stop()
            self.draft_timer = None
        drafts = self.drafts
        if drafts is None or not self.is_attached or drafts.session.locked or not hasattr(self, "baseline"):
            return
        try:
            if self.dirty:
                drafts.save({"what": self.what, "case_id": self.case_id, "state": self.draft_state()})
            else:
                drafts.discard()
        except CocdeskError as exc:
            self.notify(f"The draft was not saved: {exc}", severity="warning", title="Draft")

    def flush_draft(self) -> None:
        """Called before a lock: whatever is typed is sealed now, not in a moment."""
        if self.dirty or self.draft_timer is not None:
            self.save_draft()

    def discard_draft(self) -> None:
        if self.draft_timer is not None:
            self.draft_timer.stop()
            self.draft_timer = None
        if self.drafts is not None and not self.drafts.session.locked:
            try:
                self.drafts.discard()
            except CocdeskError as exc:
                self.notify(f"The draft was not dropped: {exc}", severity="warning", title="Draft")
