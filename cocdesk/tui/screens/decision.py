"""The decision (PROCEDURE.md §7): the outcome, the actions with their details, a sealed rationale."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.widgets import Checkbox, Footer, Header, Input, Label, RadioButton, RadioSet, Static, TextArea

from cocdesk.domain.steps import ChosenAction, Decision, Outcome, decision_from, to_data
from cocdesk.tui.literal import editable, kept, literal, shown
from cocdesk.tui.screens.step_form import StepForm

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.cases import CaseView
    from cocdesk.service.drafts import DraftService

HELP = """\
The decision, made by the members at the meeting who have no conflict of
interest. A decision needs a meeting record with at least two of them present.

Choose what happens: actions (no action counts, and excludes every other one);
holding the report in escrow, when the reporter asks that nothing happen unless
the behaviour repeats (a new report naming the same person brings it back); or,
for a matter outside the Code of Conduct, where it was referred.

Some actions need their details — whom to avoid, how long a ban lasts. The
rationale is sealed. ctrl+s asks before recording: a decision is not edited
afterwards; an appeal is the way to change it.
"""

OUTCOMES = (
    (Outcome.ACTIONS, "Take actions (no action counts)"),
    (Outcome.ESCROW, "Hold in escrow: nothing happens unless it repeats"),
    (Outcome.REFERRED, "Outside the Code of Conduct: referred elsewhere"),
)


class DecisionScreen(StepForm):
    HELP = HELP
    AUTO_FOCUS = "#decision-outcome"

    def __init__(
        self,
        view: CaseView,
        playbook: Playbook,
        drafts: DraftService | None = None,
        draft: object = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.case_id = view.summary.id
        self.what = "decision"
        self.playbook = playbook
        self.drafts = drafts
        self.start = Decision(Outcome.ACTIONS)
        if draft is not None:
            self.start, self.restored = decision_from(draft), True

    def compose(self) -> ComposeResult:
        meeting = self.view.steps.meeting
        yield Header()
        with VerticalScroll(id="decision-form"):
            yield Static(Content(f"{self.case_id} · decision"), classes="title")
            if meeting is None:
                yield Static(
                    Content("No meeting recorded yet: record the meeting first (t)."), classes="warn"
                )
            else:
                names = ", ".join(a.name for a in meeting.deciders) or "nobody"
                yield Static(literal(f"Deciding (present, no conflict): {names}"))
                if meeting.recused:
                    yield Static(Content(f"Stepped out: {len(meeting.recused)} member(s) with a conflict."))
            yield Label("Outcome")
            d = self.start
            chosen = {a.code: a.details for a in d.actions}
            with RadioSet(id="decision-outcome", compact=True):
                for outcome, label in OUTCOMES:
                    yield RadioButton(label, value=outcome == d.outcome, compact=True)
            yield Static(Content("Actions"), classes="section")
            for i, action in enumerate(self.playbook.actions):
                with Horizontal(classes="item"):
                    yield Checkbox("", action.code in chosen, id=f"action-{i}", compact=True)
                    yield Static(literal(action.label), classes="item-text")
                if action.details:
                    need = " (required)" if action.details_required else ""
                    yield Input(
                        editable(chosen.get(action.code, "")),
                        # Input draws its placeholder raw (control characters included): shown().
                        placeholder=shown(f"{action.details}{need}"),
                        id=f"details-{i}",
                        compact=True,
                    )
            yield Label("Referred to (only when outside the Code of Conduct)")
            yield Input(
                editable(d.referred_to),
                placeholder="police, venue security, another team…",
                id="referred-to",
                compact=True,
            )
            yield Label("Rationale (sealed)")
            yield TextArea(
                editable(d.rationale, multiline=True), id="rationale", soft_wrap=True, compact=True
            )
        yield Static("", classes="form-message")
        yield Footer()

    def state(self) -> Any:
        return self._decision()

    def on_mount(self) -> None:
        super().on_mount()
        # Focusing the outcome scrolls the form before it is laid out: show its top.
        self.call_after_refresh(self.query_one("#decision-form", VerticalScroll).scroll_home, animate=False)

    def draft_state(self) -> Any:
        return to_data(self._decision())

    def _decision(self) -> Decision:
        chosen = []
        started = {a.code: a.details for a in self.start.actions}
        for i, action in enumerate(self.playbook.actions):
            if self.query_one(f"#action-{i}", Checkbox).value:
                typed = self.query_one(f"#details-{i}", Input).value if action.details else ""
                chosen.append(ChosenAction(action.code, kept(typed, started.get(action.code, ""))))
        index = self.query_one("#decision-outcome", RadioSet).pressed_index
        outcome = OUTCOMES[max(index, 0)][0]
        return Decision(
            outcome,
            tuple(chosen),
            rationale=kept(self.query_one("#rationale", TextArea).text, self.start.rationale, multiline=True),
            referred_to=kept(self.query_one("#referred-to", Input).value, self.start.referred_to),
        )

    def action_save(self) -> None:
        self.submit("decision", self._decision())
