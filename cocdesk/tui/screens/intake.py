"""Intake: every field of PROCEDURE.md §2, saved with ctrl+s, drafted as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Checkbox, Footer, Header, Input, Label, Select, Static, TextArea

from cocdesk.domain.identifiers import person_identifiers
from cocdesk.domain.report import Report, parse_report
from cocdesk.domain.text import visible
from cocdesk.errors import CocdeskError
from cocdesk.tui.literal import literal, shown
from cocdesk.tui.widgets.people import PersonRow

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.cases import CaseService, Tick
    from cocdesk.service.drafts import DraftService

HELP = """\
The report form. Anything may be left empty except what happened.

Let the reporter write their own account if they can; if you type it for them,
tick "transcribed". Don't interview anyone else, and record what the reporter
would like done only if they volunteer it.

As you type a reported person's name or badge, the form says how many earlier
reports you may open name them. Your typing is kept as a sealed draft, so a
crash or a lock loses nothing. ctrl+s saves the report; Escape asks before
leaving unsaved changes.
"""

TEXT_AREAS = ("description", "circumstances", "reporter_suggestions")
INPUTS = (
    "taken_by",
    "reporter_name",
    "reporter_contact",
    "identification_concerns",
    "incident_at",
    "location",
)
CHECKS = ("transcribed", "anonymous", "ongoing", "urgent")


class IntakeScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#description"
    BINDINGS = [
        # Not a priority binding: it must wait for keys typed just before it to reach the form.
        Binding("ctrl+s", "save", "Save", tooltip="Seal and save the report"),
        Binding("f2", "add_reported", "+ Reported person", tooltip="Add another reported person"),
        Binding("f3", "add_witness", "+ Witness", tooltip="Add another witness"),
        Binding("escape", "leave", "Back", tooltip="Leave (asks first if there are unsaved changes)"),
    ]

    class Saved(Message):
        def __init__(self, case_id: str, new: bool) -> None:
            super().__init__()
            self.case_id = case_id
            self.new = new

    class Leave(Message):
        def __init__(self, dirty: bool) -> None:
            super().__init__()
            self.dirty = dirty

    def __init__(
        self,
        cases: CaseService,
        drafts: DraftService,
        playbook: Playbook,
        member_name: str,
        ticks: tuple[Tick, ...] = (),
        urgent: bool = False,
        editing: tuple[str, Report] | None = None,
        draft: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self.cases = cases
        self.drafts = drafts
        self.playbook = playbook
        self.ticks = ticks
        self.case_id = editing[0] if editing else None
        # What the fields held when the form opened: text as displayed, and the
        # exact stored strings, so an untouched field keeps its stored bytes.
        self.original: dict[str, Any] = (
            _report_state(editing[1])
            if editing
            else _report_state(Report(description="", taken_by=member_name, urgent=urgent))
        )
        # `baseline` is what counts as "no unsaved changes"; a restored draft starts the
        # fields from the draft but is still unsaved work until ctrl+s.
        self.baseline: dict[str, Any] = {k: _display(v, _keep(k)) for k, v in self.original.items()}
        self.start: dict[str, Any] = draft["form"] if draft else self.baseline
        self.draft_timer: Timer | None = None

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        s = self.start
        p = self.playbook
        yield Header()
        with VerticalScroll(id="intake-form"):
            yield Static(
                Content(f"Editing {self.case_id}" if self.case_id else "New report"), classes="title"
            )
            with Vertical(id="intake-guidance"):
                for line in p.intake_guidance:
                    yield Static(literal(f"• {line}"))
            yield Label("Who is taking the report")
            with Horizontal(classes="pair"):
                yield Input(s["taken_by"], placeholder="Taken by", id="taken_by", compact=True)
                yield Checkbox(
                    "Transcribed (the reporter could not write it)",
                    s["transcribed"],
                    id="transcribed",
                    compact=True,
                )
            yield Label("The reporter")
            with Horizontal(classes="pair"):
                yield Input(s["reporter_name"], placeholder="Name", id="reporter_name", compact=True)
                yield Input(
                    s["reporter_contact"],
                    placeholder="How to reach them for follow-up",
                    id="reporter_contact",
                    compact=True,
                )
            yield Checkbox("Anonymous report", s["anonymous"], id="anonymous", compact=True)
            yield Input(
                s["identification_concerns"],
                placeholder="If acting would reveal who reported: their safety concerns",
                id="identification_concerns",
                compact=True,
            )
            yield Label("When and where")
            with Horizontal(classes="pair"):
                yield Input(
                    s["incident_at"], placeholder="When (approximate is fine)", id="incident_at", compact=True
                )
                yield Input(s["location"], placeholder="Where", id="location", compact=True)
            yield Checkbox("Still going on", s["ongoing"], id="ongoing", compact=True)
            yield Label("What happened, in the reporter's own words (required)")
            yield TextArea(s["description"], id="description", soft_wrap=True, compact=True)
            yield Label("Reported people")
            with Vertical(id="reported-list"):
                for person in s["reported"] or [{}]:
                    yield PersonRow(person, kind="reported")
            yield Button("+ Reported person (F2)", id="add-reported", compact=True)
            yield Label("Circumstances")
            yield TextArea(s["circumstances"], id="circumstances", soft_wrap=True, compact=True)
            yield Label("Other people involved and witnesses")
            with Vertical(id="witness-list"):
                for person in s["witnesses"] or [{}]:
                    yield PersonRow(person, kind="witness")
            yield Button("+ Witness (F3)", id="add-witness", compact=True)
            yield Label("Category")
            yield Select(
                [(literal(c.label, multiline=False), c.code) for c in p.categories],
                value=s["category"] or Select.NULL,
                prompt="Not categorised yet",
                id="category",
                compact=True,
            )
            yield Label("What the reporter would like done — only if they volunteer it; don't ask")
            yield TextArea(s["reporter_suggestions"], id="reporter_suggestions", soft_wrap=True, compact=True)
            yield Checkbox("Urgent: a lead must respond now", s["urgent"], id="urgent", compact=True)
            yield Label("", id="intake-message")
        yield Footer()

    def on_mount(self) -> None:
        account = self.query_one("#description", TextArea)
        # A restored draft or an edit continues where the text ends.
        account.move_cursor(account.document.end)
        account.focus()
        self.refresh_patterns()

    # -- form state ------------------------------------------------------------------
    def form_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for name in INPUTS:
            state[name] = self.query_one(f"#{name}", Input).value
        for name in TEXT_AREAS:
            state[name] = self.query_one(f"#{name}", TextArea).text
        for name in CHECKS:
            state[name] = self.query_one(f"#{name}", Checkbox).value
        category = self.query_one("#category", Select).value
        state["category"] = category if isinstance(category, str) else ""
        state["reported"] = [
            row.values() for row in self.query("#reported-list PersonRow").results(PersonRow)
        ]
        state["witnesses"] = [
            row.values() for row in self.query("#witness-list PersonRow").results(PersonRow)
        ]
        return state

    def report(self) -> Report:
        """The form as a Report, with untouched fields keeping their exact stored text."""
        current = self.form_state()
        state = {k: _restore(v, self.original.get(k), _keep(k)) for k, v in current.items()}
        data = {
            "taken_by": state["taken_by"],
            "transcribed": state["transcribed"],
            "reporter": {
                "name": state["reporter_name"],
                "contact": state["reporter_contact"],
                "anonymous": state["anonymous"],
                "identification_concerns": state["identification_concerns"],
            },
            "incident_at": state["incident_at"],
            "location": state["location"],
            "ongoing": state["ongoing"],
            "description": state["description"],
            "circumstances": state["circumstances"],
            "category": state["category"],
            "reported": [p for p in state["reported"] if any(v.strip() for v in p.values())],
            "witnesses": [w for w in state["witnesses"] if any(v.strip() for v in w.values())],
            "reporter_suggestions": state["reporter_suggestions"],
            "urgent": state["urgent"],
        }
        return parse_report(data, self.playbook.category_codes)

    # -- events ----------------------------------------------------------------------
    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    def changed(self, event: Message) -> None:
        if isinstance(event, Input.Changed) and any(
            event.input.has_class(f"person-{name}") for name in ("name", "badge", "affiliation")
        ):
            self.refresh_patterns()
        if self.draft_timer is not None:
            self.draft_timer.stop()
        self.draft_timer = self.set_timer(0.8, self.save_draft)

    def refresh_patterns(self) -> None:
        for row in self.query("#reported-list PersonRow").results(PersonRow):
            v = row.values()
            ids = person_identifiers(v["name"], v["badge"], v["affiliation"])
            # A case being edited names its own people: only other cases count.
            found = self.cases.earlier_cases_naming(ids, excluding=self.case_id) if ids else {}
            row.set_pattern(len(found), sum(1 for outcome in found.values() if outcome == "escrow"))

    def save_draft(self) -> None:
        """Seal the form as this member's draft (a crash or lock then loses nothing)."""
        if self.draft_timer is not None:
            self.draft_timer.stop()
            self.draft_timer = None
        if not self.is_attached or self.cases.session.locked:
            return
        state = {
            "form": self.form_state(),
            "ticks": [[t.item, t.at] for t in self.ticks],
            "case_id": self.case_id,
        }
        try:
            self.drafts.save(state)
        except CocdeskError as exc:
            self.notify(f"The draft was not saved: {exc}", severity="warning", title="Draft")

    @on(Button.Pressed, "#add-reported")
    async def action_add_reported(self) -> None:
        row = PersonRow(kind="reported")
        await self.query_one("#reported-list").mount(row)
        row.query_one(Input).focus()

    @on(Button.Pressed, "#add-witness")
    async def action_add_witness(self) -> None:
        row = PersonRow(kind="witness")
        await self.query_one("#witness-list").mount(row)
        row.query_one(Input).focus()

    def action_save(self) -> None:
        message = self.query_one("#intake-message", Label)
        if self.draft_timer is not None:  # the save below also drops the draft
            self.draft_timer.stop()
            self.draft_timer = None
        try:
            report = self.report()
            if self.case_id:
                self.cases.update_report(self.case_id, report, clear_draft=True)
                case_id, new = self.case_id, False
            else:
                case_id = self.cases.add_report(report, first_contact=self.ticks, clear_draft=True)
                new = True
        except CocdeskError as exc:
            text = f"Not saved: {exc}"
            message.update(literal(text, multiline=False))
            # The message may be scrolled out of view on a small terminal: also say it in a toast.
            self.notify(shown(text), severity="error", title="Not saved")
            if "description" in str(exc):
                self.query_one("#description", TextArea).focus()
            self.save_draft()  # keep what was typed while the save is refused
            return
        self.baseline = self.form_state()
        self.post_message(self.Saved(case_id, new))

    def action_leave(self) -> None:
        self.post_message(self.Leave(self.unsaved()))

    def unsaved(self) -> bool:
        return _meaningful(self.form_state()) != _meaningful(self.baseline)

    def flush_draft(self) -> None:
        """Called before a lock: whatever is typed is sealed now, not in 0.8 s."""
        if self.unsaved() or self.draft_timer is not None:
            self.save_draft()


def _report_state(report: Report) -> dict[str, Any]:
    return {
        "taken_by": report.taken_by,
        "transcribed": report.transcribed,
        "reporter_name": report.reporter.name,
        "reporter_contact": report.reporter.contact,
        "anonymous": report.reporter.anonymous,
        "identification_concerns": report.reporter.identification_concerns,
        "incident_at": report.incident_at,
        "location": report.location,
        "ongoing": report.ongoing,
        "description": report.description,
        "circumstances": report.circumstances,
        "category": report.category,
        "reported": [
            {"name": p.name, "badge": p.badge, "affiliation": p.affiliation, "appearance": p.appearance}
            for p in report.reported
        ],
        "witnesses": [{"name": w.name, "contact": w.contact} for w in report.witnesses],
        "reporter_suggestions": report.reporter_suggestions,
        "urgent": report.urgent,
    }


def _keep(key: str) -> str:
    """Which control characters a field shows as they are: line breaks in the text areas."""
    return "\n\t" if key in TEXT_AREAS else ""


def _display(value: Any, keep: str) -> Any:
    """Stored values as a field may show them (control characters made visible)."""
    if isinstance(value, str):
        return visible(value, keep=keep)
    if isinstance(value, list):
        return [_display(v, keep) for v in value]
    if isinstance(value, dict):
        return {k: _display(v, keep) for k, v in value.items()}
    return value


def _restore(current: Any, original: Any, keep: str) -> Any:
    """Where a field still shows exactly what it was opened with, keep the stored original."""
    if isinstance(current, str) and isinstance(original, str):
        return original if current == _display(original, keep) else current
    if isinstance(current, list) and isinstance(original, list):
        return [_restore(c, original[i], keep) if i < len(original) else c for i, c in enumerate(current)]
    if isinstance(current, dict) and isinstance(original, dict):
        return {k: _restore(v, original.get(k), keep) for k, v in current.items()}
    return current


def _meaningful(state: dict[str, Any]) -> dict[str, Any]:
    """The state with blank person rows dropped, for "are there unsaved changes?"."""
    out = dict(state)
    for key in ("reported", "witnesses"):
        out[key] = [p for p in state.get(key, []) if any(str(v).strip() for v in p.values())]
    return out
