"""The response meeting (PROCEDURE.md §5): who is here, the objectives, patterns, assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Checkbox, Footer, Header, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from cocdesk.domain.steps import Attendee, Meeting, Objective, meeting_from, to_data
from cocdesk.tui.literal import editable, kept, literal
from cocdesk.tui.screens.step_form import StepForm
from cocdesk.tui.times import when

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.cases import CaseView
    from cocdesk.service.drafts import DraftService
    from cocdesk.service.steps import Pattern, TeamMember

HELP = """\
The response meeting. Tick who is here. Anyone with a conflict of interest in
this case — a friend, manager, partner, family or close colleague of someone
involved — ticks "conflict" and steps out; no reason is asked. Saving removes
their key to the case: from then on they cannot open it.

Work through the objectives with notes (sealed). Earlier reports that name the
same person are listed; Enter opens one. Assign the lead who will speak with the
reported person and who follows up with the reporter.

ctrl+s records the meeting. With two members present and no conflict, the case
moves to "in review" and a decision can be recorded.
"""


class MeetingScreen(StepForm):
    HELP = HELP
    AUTO_FOCUS = "#meeting-form"

    class OpenCase(Message):
        def __init__(self, case_id: str) -> None:
            super().__init__()
            self.case_id = case_id

    def __init__(
        self,
        view: CaseView,
        team: list[TeamMember],
        patterns: list[Pattern],
        playbook: Playbook,
        drafts: DraftService | None = None,
        draft: object = None,
        recused: set[int] | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.case_id = view.summary.id
        self.what = "meeting"
        self.team = team
        self.patterns = patterns
        self.playbook = playbook
        self.drafts = drafts
        self.before = view.steps.meeting or Meeting()
        # Who is recused now (a lead may have lifted one the record still shows).
        self.recused = recused if recused is not None else {a.member_id for a in self.before.recused}
        self.start = self.before
        if draft is not None:
            self.start, self.restored = meeting_from(draft), True

    def compose(self) -> ComposeResult:
        m, view = self.start, self.view
        recorded = self.recused
        earlier = {a.member_id: a for a in m.attendees}
        notes = {o.text: o for o in m.objectives}
        yield Header()
        with VerticalScroll(id="meeting-form"):
            yield Static(Content(f"{self.case_id} · response meeting"), classes="title")
            yield Static(Content("Who is here"), classes="section")
            for member in self.team:
                was = earlier.get(member.id)
                stepped_out = member.id in recorded
                with Horizontal(classes="attendee"):
                    yield Static(literal(f"{member.name} ({member.role})", multiline=False), classes="who")
                    yield Checkbox(
                        "present",
                        bool(was and was.present),
                        id=f"present-{member.id}",
                        compact=True,
                        disabled=stepped_out,
                    )
                    yield Checkbox(
                        "conflict of interest",
                        stepped_out or bool(self.restored and was and was.conflict),
                        id=f"conflict-{member.id}",
                        compact=True,
                        disabled=stepped_out,
                    )
            yield Static(Content("What happened"), classes="section")
            yield Static(literal(view.report.description), classes="account")
            yield Static(Content("Earlier reports naming the same person"), classes="section")
            if self.patterns:
                yield OptionList(*(_pattern_option(p) for p in self.patterns), id="meeting-patterns")
            else:
                yield Static(Content("None that you may open."))
            yield Static(Content("Objectives"), classes="section")
            for i, text in enumerate(self.playbook.meeting_objectives):
                had = notes.get(text, Objective(text))
                with Horizontal(classes="item"):
                    yield Checkbox("", had.done, id=f"done-{i}", compact=True)
                    yield Static(literal(text), classes="item-text")
                yield Input(editable(had.note), placeholder="notes (sealed)", id=f"note-{i}", compact=True)
            yield Static(Content("Assignments"), classes="section")
            yield Label("Lead who speaks with the reported person")
            leads = [t.name for t in self.team if t.role == "lead"]
            if m.talk_lead and m.talk_lead not in leads:
                leads.append(m.talk_lead)
            yield Select(
                [(literal(name, multiline=False), name) for name in leads],
                value=m.talk_lead if m.talk_lead else Select.NULL,
                prompt="choose a lead",
                id="talk-lead",
                compact=True,
            )
            yield Label("Who follows up with the reporter")
            yield Input(editable(m.reporter_followup), id="reporter-followup", compact=True)
            yield Label("Who follows up with anyone else affected, and how")
            yield Input(editable(m.others_followup), id="others-followup", compact=True)
            yield Label("By when")
            yield Input(
                editable(m.followup_by), placeholder="e.g. Sunday 18:00", id="followup-by", compact=True
            )
        yield Static("", classes="form-message")
        yield Footer()

    def state(self) -> Any:
        return self._meeting()

    def draft_state(self) -> Any:
        return to_data(self._meeting())

    def _meeting(self) -> Meeting:
        m = self.start
        attendees = tuple(
            Attendee(
                t.id,
                t.name,
                present=self.query_one(f"#present-{t.id}", Checkbox).value,
                conflict=self.query_one(f"#conflict-{t.id}", Checkbox).value,
            )
            for t in self.team
        )
        old = {o.text: o.note for o in m.objectives}
        objectives = tuple(
            Objective(
                text,
                self.query_one(f"#done-{i}", Checkbox).value,
                kept(self.query_one(f"#note-{i}", Input).value, old.get(text, "")),
            )
            for i, text in enumerate(self.playbook.meeting_objectives)
        )
        lead = self.query_one("#talk-lead", Select).value
        return Meeting(
            attendees,
            objectives,
            talk_lead=lead if isinstance(lead, str) else "",
            reporter_followup=kept(self.query_one("#reporter-followup", Input).value, m.reporter_followup),
            others_followup=kept(self.query_one("#others-followup", Input).value, m.others_followup),
            followup_by=kept(self.query_one("#followup-by", Input).value, m.followup_by),
        )

    @on(Checkbox.Changed)
    def conflict_means_absent(self, event: Checkbox.Changed) -> None:
        # Someone with a conflict steps out: they are not counted as present.
        box_id = event.checkbox.id or ""
        if box_id.startswith("conflict-") and event.value:
            self.query_one(f"#present-{box_id.removeprefix('conflict-')}", Checkbox).value = False

    @on(OptionList.OptionSelected, "#meeting-patterns")
    def open_pattern(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.post_message(self.OpenCase(event.option.id))

    def action_save(self) -> None:
        self.submit("meeting", self._meeting())


def _pattern_option(p: Pattern) -> Option:
    escrow = " · HELD IN ESCROW" if p.outcome == "escrow" else ""
    status = p.status.value.replace("_", " ")
    return Option(Content(f"{p.case_id} · {status} · taken {when(p.created_at)}{escrow}"), id=p.case_id)
