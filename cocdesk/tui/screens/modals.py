"""Small typed dialogs: confirm, write a note, choose a status, help."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from cocdesk.domain.status import Status
from cocdesk.tui.literal import literal


class ConfirmModal(ModalScreen[bool]):
    """A yes/no question; Escape means no."""

    BINDINGS = [
        Binding("escape", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No", show=False),
    ]

    def __init__(self, prompt: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.prompt = prompt
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(self.prompt))
            yield Button(f"{self.yes} (y)", id="confirm-yes", variant="warning")
            yield Button(f"{self.no} (n)", id="confirm-no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#confirm-no", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class NoteModal(ModalScreen[str | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save note"),  # not priority: typed keys land first
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, initial: str = "") -> None:
        super().__init__()
        self.initial = initial

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("New note (sealed). ctrl+s saves, Escape cancels.")
            yield TextArea(self.initial, id="note-text", soft_wrap=True)
            yield Label("", id="note-message")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.query_one("#note-message", Label).update("The note is empty.")
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class MoveModal(ModalScreen[Status | None]):
    """Every next status; the ones the rules refuse are shown disabled with the reason."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, moves: list[tuple[Status, str | None]]) -> None:
        super().__init__()
        self.moves = moves

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Move the case to…")
            options = [
                Option(
                    Content(f"{status.value.replace('_', ' ')}" + (f" — {reason}" if reason else "")),
                    id=status.value,
                    disabled=reason is not None,
                )
                for status, reason in self.moves
            ]
            yield OptionList(*options, id="move-options")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(Status(event.option.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpModal(ModalScreen[None]):
    """What this screen is for, and its keys (read from the bindings, so always true)."""

    BINDINGS = [Binding("escape", "close", "Close"), Binding("question_mark", "close", "Close", show=False)]

    def __init__(self, title: str, text: str, keys: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.keys = keys

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog help"):
            yield Static(Content(self.title_text), classes="title")
            for paragraph in self.text.strip().split("\n\n"):
                # Help texts are written wrapped; let the terminal's width decide instead.
                yield Static(Content(" ".join(paragraph.split())), classes="paragraph")
            yield Static(Content("Keys"), classes="section")
            for key, description in self.keys:
                yield Static(Content(f"{key:>10}  {description}"))
            yield Static(Content("Escape closes this help."))

    def action_close(self) -> None:
        self.dismiss()


class FormModal(ModalScreen[list[str] | None]):
    """A few fields (some secret, one perhaps a role), answered together; Escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "submit", "Done"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, bool]],
        roles: list[str] | None = None,
        initial: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields  # (label, secret)
        self.roles = roles
        self.initial = initial or []  # a value to start each field with (e.g. a file name)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(self.title_text, multiline=False), classes="title")
            for i, (label, secret) in enumerate(self.fields):
                yield Label(label)
                value = self.initial[i] if i < len(self.initial) else ""
                yield Input(value, password=secret, placeholder=label, id=f"form-{i}", compact=True)
                if i == 0 and self.roles:
                    # Chosen before the passphrases: Enter on the last field submits.
                    yield Label("Role")
                    yield Select(
                        [(r, r) for r in self.roles],
                        value=self.roles[0],
                        allow_blank=False,
                        id="form-role",
                        compact=True,
                    )
            yield Label("Enter on the last field, or ctrl+s, when done. Escape cancels.", classes="muted")
            yield Label("", id="form-message")

    def on_mount(self) -> None:
        self.query_one("#form-0", Input).focus()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        if event.input is inputs[-1]:
            self.action_submit()
        else:
            self.focus_next()  # the next field, or the role after the name

    def show_error(self, text: str) -> None:
        self.query_one("#form-message", Label).update(literal(text, multiline=False))

    def action_submit(self) -> None:
        values = [self.query_one(f"#form-{i}", Input).value for i in range(len(self.fields))]
        if self.roles:
            role = self.query_one("#form-role", Select).value
            values.append(role if isinstance(role, str) else self.roles[0])
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of a few names; Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(literal(self.title_text, multiline=False))
            yield OptionList(
                *(Option(literal(c, multiline=False), id=str(i)) for i, c in enumerate(self.choices))
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)
