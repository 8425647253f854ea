"""After the decision (PROCEDURE.md §6, 8, 9): the talk, the reporter, an appeal, the public, messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import (
    Button,
    Checkbox,
    Footer,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)

from cocdesk.domain.roles import Role, may_handle_appeal, may_talk_to_reported
from cocdesk.domain.steps import ReporterFollowUp, Talk, followup_from, talk_from, to_data
from cocdesk.tui.literal import editable, kept, literal
from cocdesk.tui.screens.step_form import StepForm
from cocdesk.tui.times import when

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.cases import CaseView
    from cocdesk.service.drafts import DraftService

HELP = """\
Everything after the decision, one tab each (left and right arrows on the tab
bar switch tabs). ctrl+s saves the tab you are on.

Talk: a lead records the talk with the reported person — told what was
reported, their side of the story (sealed), the actions told. Telling the
actions moves a decided case to "communicated".

Reporter: who told the reporter the outcome, and when.

Appeal: the chair records an appeal received by e-mail, and later the answer.
While it is open, the report and its actions stand.

Public: the announcement draft and a note for attendees who were upset. "Mark
ready" runs the privacy check: no name, badge, e-mail or other identifier held
in any case may be in it. Only the chair, or a delegate the chair named, marks
it made.
The public summary is the case's one line in the transparency report; ctrl+s
saves it only if the privacy check finds nobody in it.

Messages: the playbook's messages filled from the case, to adapt. They stay in
the app (sealed) unless you export the case.
"""

TABS = ("talk", "reporter", "appeal", "public", "messages")
MESSAGES = (
    ("reporter", "To the reporter"),
    ("reported", "To the reported person"),
    ("announcement", "The announcement"),
    ("upset", "To attendees who were upset"),
)


class FollowUpScreen(StepForm):
    HELP = HELP
    AUTO_FOCUS = "TabbedContent Tabs"

    def __init__(
        self,
        view: CaseView,
        playbook: Playbook,
        role: str,
        may_announce: bool,
        messages: dict[str, str],
        tab: str = "talk",
        drafts: DraftService | None = None,
        draft: object = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.case_id = view.summary.id
        self.what = "followup"
        self.playbook = playbook
        self.role = role
        self.may_announce = may_announce
        self.messages = dict(messages)
        self.drafts = drafts
        steps = view.steps
        ann = steps.announcement
        self.talk = steps.talk or Talk()
        self.told = steps.reporter_followup or ReporterFollowUp()
        self.public = (
            (ann.draft, ann.upset_note)
            if ann
            else (messages.get("announcement", ""), messages.get("upset", ""))
        )
        self.appeal_typed = ("", "")
        self.summary = steps.public_summary.text if steps.public_summary else ""
        self.summary_saved = self.summary
        if isinstance(draft, dict):
            tab = self._restore(draft, tab)
        self.tab = tab if tab in TABS else "talk"

    def _restore(self, draft: dict[str, Any], tab: str) -> str:
        """Start every tab from the sealed draft; a draft of the wrong shape is ignored."""
        try:
            talk, told = talk_from(draft["talk"]), followup_from(draft["reporter"])
            public = tuple(str(part) for part in draft["public"])
            appeal = tuple(str(part) for part in draft["appeal"])
            messages = {str(k): str(v) for k, v in dict(draft["messages"]).items()}
        except (KeyError, TypeError, ValueError):
            return tab
        self.talk, self.told, self.messages = talk, told, self.messages | messages
        self.public = _pair(public)
        self.appeal_typed = _pair(appeal)
        self.summary = str(draft.get("summary", self.summary))
        self.restored = True
        return str(draft.get("tab", tab))

    def draft_state(self) -> Any:
        state = self.state()
        return {
            "tab": self.active_tab,
            "talk": to_data(state["talk"]),
            "reporter": to_data(state["reporter"]),
            "public": list(state["public"]),
            "appeal": list(state["appeal"]),
            "messages": state["messages"],
            "summary": state["summary"],
        }

    def compose(self) -> ComposeResult:
        steps = self.view.steps
        talk, told = self.talk, self.told
        yield Header()
        yield Static(
            Content(f"{self.case_id} · {self.view.summary.status.value.replace('_', ' ')}"), classes="title"
        )
        if steps.appeal is not None and steps.appeal.open:
            yield Static(
                Content("Appeal open: the report and its actions stand until the chair answers."),
                id="appeal-banner",
            )
        with TabbedContent(initial=self.tab):
            # The panes scroll to the focused field: Tab goes from the tab bar straight
            # to the first field, with no invisible stop on the pane itself.
            with TabPane("Talk", id="talk"), VerticalScroll(can_focus=False):
                for line in self.playbook.talk_guidance:
                    yield Static(literal(f"• {line}"), classes="guidance")
                if may_talk_to_reported(Role(self.role)):
                    yield Static(
                        Content("Only a lead records the talk with the reported person."), classes="warn"
                    )
                yield Checkbox(
                    "Told them what was reported", talk.told_what_reported, id="told-reported", compact=True
                )
                yield Label("Their side of the story (sealed)")
                yield TextArea(editable(talk.their_side, multiline=True), id="their-side", soft_wrap=True)
                yield Checkbox(
                    "Told them the actions decided", talk.actions_told, id="actions-told", compact=True
                )
                yield Checkbox(
                    "They offered an apology", talk.apology_offered, id="apology-offered", compact=True
                )
                yield Checkbox(
                    "The apology will be passed on (only if that won't harm the reporter)",
                    talk.apology_passed_on,
                    id="apology-passed",
                    compact=True,
                )
                yield Label("When the talk took place")
                yield Input(
                    editable(talk.held_on), placeholder="e.g. Sunday 10:15", id="talk-when", compact=True
                )
                if steps.talk is not None:
                    yield Static(literal(f"Recorded by {talk.by}."), classes="muted")
            with TabPane("Reporter", id="reporter"), VerticalScroll(can_focus=False):
                yield Checkbox(
                    "Told the reporter the outcome", told.told_outcome, id="told-outcome", compact=True
                )
                yield Label("When")
                yield Input(editable(told.held_on), id="told-when", compact=True)
                yield Label("Note (sealed)")
                yield TextArea(editable(told.note, multiline=True), id="told-note", soft_wrap=True)
                if steps.reporter_followup is not None:
                    yield Static(literal(f"Recorded by {told.by}."), classes="muted")
            with TabPane("Appeal", id="appeal"), VerticalScroll(can_focus=False):
                for line in self.playbook.appeal_guidance:
                    yield Static(literal(f"• {line}"), classes="guidance")
                yield from self._appeal_part()
            with TabPane("Public", id="public"), VerticalScroll(can_focus=False):
                yield from self._public_part()
            with TabPane("Messages", id="messages"), VerticalScroll(can_focus=False):
                yield Select(
                    [(label, name) for name, label in MESSAGES],
                    value="reporter",
                    allow_blank=False,
                    id="message-choice",
                    compact=True,
                )
                yield TextArea(
                    editable(self.messages.get("reporter", ""), multiline=True),
                    id="message-text",
                    soft_wrap=True,
                )
                yield Static(
                    Content("Sealed in the case; copied nowhere unless you export the case."), classes="muted"
                )
        yield Static("", classes="form-message")
        yield Footer()

    def _appeal_part(self) -> ComposeResult:
        appeal = self.view.steps.appeal
        chair = may_handle_appeal(Role(self.role)) is None
        if appeal is None or not appeal.open:
            if appeal is not None:
                verdict = "stands" if appeal.stands else "was changed"
                yield Static(literal(f"Appeal received {appeal.received_on}: {appeal.text}"))
                yield Static(
                    literal(f"Answered by {appeal.answered_by}; the decision {verdict}: {appeal.answer}")
                )
            if not chair:
                yield Static(
                    Content("Appeals go to the conference chair, who records them here."), classes="warn"
                )
            yield Label("New appeal received on (date)")
            yield Input(
                editable(self.appeal_typed[0]), placeholder="YYYY-MM-DD", id="appeal-date", compact=True
            )
            yield Label("What the appeal says (sealed; a summary is enough)")
            yield TextArea(editable(self.appeal_typed[1], multiline=True), id="appeal-text", soft_wrap=True)
            return
        yield Static(literal(f"Received {appeal.received_on} (recorded by {appeal.by}):"))
        yield Static(literal(appeal.text), classes="account")
        if not chair:
            yield Static(Content("Only the chair answers an appeal."), classes="warn")
        yield Label("The chair's answer (sealed)")
        yield TextArea(editable(self.appeal_typed[0], multiline=True), id="appeal-answer", soft_wrap=True)
        stands = self.appeal_typed[1] != "False"
        yield Checkbox("The decision stands", stands, id="appeal-stands", compact=True)

    def _public_part(self) -> ComposeResult:
        ann = self.view.steps.announcement
        for line in self.playbook.public_guidance:
            yield Static(literal(f"• {line}"), classes="guidance")
        if ann is not None and ann.made_at:
            state = f"Made {when(ann.made_at)} by {ann.made_by}."
        elif ann is not None and ann.ready_at:
            state = "Ready: passed the privacy check."
        else:
            state = "Draft: not checked yet."
        yield Static(literal(state), id="announcement-state")
        yield Label("Announcement (sealed)")
        default = self.messages.get("announcement", "")
        yield TextArea(
            editable(ann.draft if ann else default, multiline=True), id="announcement", soft_wrap=True
        )
        yield Label("For attendees who were upset (sealed)")
        upset = ann.upset_note if ann else self.messages.get("upset", "")
        yield TextArea(editable(upset, multiline=True), id="upset-note", soft_wrap=True)
        yield Static("", id="privacy-result")
        yield Button("Check privacy", id="check-privacy", compact=True)
        yield Button("Mark ready", id="mark-ready", compact=True)
        if self.may_announce:
            yield Button("Mark as made", id="mark-made", compact=True, variant="warning")
        else:
            yield Static(
                Content("Only the chair, or a delegate the chair named, marks it made."), classes="muted"
            )
        yield Label("Public summary: this case's one line in the transparency report (sealed)")
        yield Input(
            editable(self.summary),
            placeholder="e.g. An attendee was warned after unwanted comments at a social event.",
            id="public-summary",
            compact=True,
        )
        yield Static(
            Content("No name, badge, contact or place. ctrl+s saves it if the privacy check finds nobody."),
            classes="muted",
        )

    # -- what the tabs hold ------------------------------------------------------------
    def state(self) -> Any:
        return {tab: self._payload(tab) for tab in ("talk", "reporter", "public")} | {
            "messages": dict(self.messages)
            | {self._message_name(): self.query_one("#message-text", TextArea).text},
            "appeal": self._appeal_payload(),
            "summary": self._summary_typed(),
        }

    def _payload(self, tab: str) -> Any:
        if tab == "talk":
            old = self.talk
            return Talk(
                told_what_reported=self.query_one("#told-reported", Checkbox).value,
                their_side=kept(self.query_one("#their-side", TextArea).text, old.their_side, multiline=True),
                actions_told=self.query_one("#actions-told", Checkbox).value,
                apology_offered=self.query_one("#apology-offered", Checkbox).value,
                apology_passed_on=self.query_one("#apology-passed", Checkbox).value,
                held_on=kept(self.query_one("#talk-when", Input).value, old.held_on),
            )
        if tab == "reporter":
            was = self.told
            return ReporterFollowUp(
                told_outcome=self.query_one("#told-outcome", Checkbox).value,
                held_on=kept(self.query_one("#told-when", Input).value, was.held_on),
                note=kept(self.query_one("#told-note", TextArea).text, was.note, multiline=True),
            )
        draft = kept(self.query_one("#announcement", TextArea).text, self.public[0], multiline=True)
        note = kept(self.query_one("#upset-note", TextArea).text, self.public[1], multiline=True)
        return (draft, note)

    def _summary_typed(self) -> str:
        return kept(self.query_one("#public-summary", Input).value, self.summary)

    def _appeal_payload(self) -> tuple[str, ...]:
        first, second = self.appeal_typed
        if self.query("#appeal-answer"):
            return (
                kept(self.query_one("#appeal-answer", TextArea).text, first, multiline=True),
                str(self.query_one("#appeal-stands", Checkbox).value),
            )
        return (
            kept(self.query_one("#appeal-date", Input).value, first),
            kept(self.query_one("#appeal-text", TextArea).text, second, multiline=True),
        )

    def _message_name(self) -> str:
        value = self.query_one("#message-choice", Select).value
        return value if isinstance(value, str) else "reporter"

    @on(Select.Changed, "#message-choice")
    def show_message(self, event: Select.Changed) -> None:
        area = self.query_one("#message-text", TextArea)
        # Keep what was typed in the message being left, then show the chosen one.
        previous = getattr(self, "_shown_message", "reporter")
        self.messages[previous] = area.text
        self._shown_message = self._message_name()
        area.text = editable(self.messages.get(self._shown_message, ""), multiline=True)

    def on_mount(self) -> None:
        self._shown_message = "reporter"
        super().on_mount()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "check-privacy":
            draft, note = self._payload("public")
            self.submit("privacy", f"{draft}\n{note}")
        elif event.button.id == "mark-ready":
            self.submit("ready", self._payload("public"))
        elif event.button.id == "mark-made":
            self.submit("made", None)

    def show_flags(self, flags: list[str]) -> None:
        result = self.query_one("#privacy-result", Static)
        if flags:
            result.update(literal("Names or may name someone held in a case: " + ", ".join(flags)))
            result.set_class(True, "warn")
        else:
            result.update(Content("No name, badge or e-mail held in any case was found."))
            result.set_class(False, "warn")

    def action_save(self) -> None:
        tab = self.query_one(TabbedContent).active or "talk"
        if tab == "appeal":
            step = "appeal_answer" if self.query("#appeal-answer") else "appeal_received"
            self.submit(step, self._appeal_payload())
        elif tab == "messages":
            self.submit("message", (self._message_name(), self.query_one("#message-text", TextArea).text))
        elif tab == "public":
            public, summary = self._payload("public"), self._summary_typed()
            # Each part is saved only when it changed: a made announcement stays as it was
            # while the summary is written, and an untouched summary is not checked again.
            if summary == self.summary_saved:
                self.submit("announcement", public)
            elif public == self.public:
                self.submit("summary", summary)
            else:
                self.submit("public", (public, summary))
        else:
            self.submit(tab, self._payload(tab))

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active or "talk"


def _pair(parts: tuple[str, ...]) -> tuple[str, str]:
    padded = (*parts, "", "")
    return (padded[0], padded[1])
