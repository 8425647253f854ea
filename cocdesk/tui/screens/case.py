"""One case in full: the report, the first-contact checklist, notes and the timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cocdesk.tui.literal import literal
from cocdesk.tui.times import when

if TYPE_CHECKING:
    from cocdesk.playbook import Playbook
    from cocdesk.service.access import Access
    from cocdesk.service.cases import CaseView
    from cocdesk.service.steps import Pattern

HELP = """\
Everything recorded on this case, newest steps at the bottom of the timeline.

a adds a sealed note. e edits the report (corrections are kept on the
timeline). t opens the response meeting, d the decision, f the follow-up (the
talk with the reported person, the reporter, an appeal, the announcement and
messages). m moves the case on — e.g. closes it — and says why a move is not
possible yet. x declares your own conflict of interest: you step out, the case
is re-keyed without you, and you can no longer open it. l (a lead or the
chair) lifts a recusal. E (shift+e) exports the case to a file: plaintext,
so anyone who gets the file reads the case. Escape goes back to the queue.
"""


class CaseScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#case-body"
    BINDINGS = [
        Binding("a", "note", "Note", tooltip="Add a sealed note to the case"),
        Binding("e", "edit", "Edit", tooltip="Correct the report"),
        Binding("t", "step('meeting')", "Meeting", tooltip="The response meeting"),
        Binding("d", "step('decision')", "Decide", tooltip="Record the decision"),
        Binding("f", "step('followup')", "Follow-up", tooltip="Talk, reporter, appeal, public, messages"),
        Binding("m", "move", "Move", tooltip="Change the case's status"),
        Binding("E", "step('export')", "Export…", show=False, tooltip="Write the case to a plaintext file"),
        Binding("x", "step('conflict')", "Step out", show=False, tooltip="Declare your conflict of interest"),
        Binding(
            "l", "step('lift')", "Lift a recusal", show=False, tooltip="A lead or the chair lifts a recusal"
        ),
        Binding("escape", "back", "Back", show=False, tooltip="Back to the queue"),
    ]

    class Request(Message):
        """Asks the app to do something with this case (note, edit, move)."""

        def __init__(self, what: str, case_id: str) -> None:
            super().__init__()
            self.what = what
            self.case_id = case_id

    def __init__(
        self,
        view: CaseView,
        playbook: Playbook,
        patterns: list[Pattern] | None = None,
        access: Access | None = None,
    ) -> None:
        super().__init__()
        self.view = view
        self.playbook = playbook
        self.patterns = patterns or []
        self.access = access

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerticalScroll(id="case-body")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.view)

    def show(
        self, view: CaseView, patterns: list[Pattern] | None = None, access: Access | None = None
    ) -> None:
        """(Re)draw from a fresh view, e.g. after a note or a move."""
        self.view = view
        if patterns is not None:
            self.patterns = patterns
        if access is not None:
            self.access = access
        body = self.query_one("#case-body", VerticalScroll)
        body.remove_children()
        body.mount_all(list(self._parts(view)))

    def _parts(self, view: CaseView) -> list[Static]:
        s, r = view.summary, view.report
        out: list[Static] = []

        def say(text: str, classes: str = "") -> None:
            out.append(Static(literal(text), classes=classes))

        def section(title: str, lines: list[str], empty: str = "—") -> None:
            out.append(Static(Content(title), classes="section"))
            for text in lines or [empty]:
                say(text)

        status = s.status.value.replace("_", " ")
        out.append(Static(Content(f"{s.id} · {status}{' · URGENT' if s.urgent else ''}"), classes="title"))
        appeal = view.steps.appeal
        if appeal is not None and appeal.open:
            out.append(
                Static(
                    Content("Appeal open: the report and its actions stand until the chair answers."),
                    classes="banner",
                )
            )
        if self.patterns:
            lines = [
                f"{p.case_id} · {p.status.value.replace('_', ' ')}"
                + (
                    " · HELD IN ESCROW: the behaviour has been reported again"
                    if p.outcome == "escrow"
                    else ""
                )
                for p in self.patterns
            ]
            section("Other reports naming the same person", lines)
        say(f"Category: {self.playbook.category_label(r.category) if r.category else 'not categorised yet'}")
        say(f"Held by {s.holder or '—'} · taken {when(s.created_at)} · last step {when(s.updated_at)}")
        written = "transcribed by the responder" if r.transcribed else "written by the reporter"
        say(f"Taken by {r.taken_by or '—'}; {written}")
        reporter = ["Anonymous report" if r.reporter.anonymous else r.reporter.name or "name not given"]
        reporter.append(f"Contact: {r.reporter.contact or '—'}")
        if r.reporter.identification_concerns:
            reporter.append(f"Concerns about being identified: {r.reporter.identification_concerns}")
        section("Reporter", reporter)
        going = " · STILL GOING ON" if r.ongoing else ""
        section(
            "When and where",
            [f"{r.incident_at or 'time not given'} · {r.location or 'place not given'}{going}"],
        )
        out.append(Static(Content("What happened"), classes="section"))
        say(r.description, classes="account")
        section(
            "Reported people",
            [
                " · ".join(
                    (
                        f"• {p.name or 'unnamed'}",
                        f"badge {p.badge or '—'}",
                        p.affiliation or "—",
                        p.appearance or "—",
                    )
                )
                for p in r.reported
            ],
        )
        section("Circumstances", [r.circumstances] if r.circumstances else [])
        section(
            "Witnesses and others involved",
            [f"• {w.name or 'unnamed'} · {w.contact or '—'}" for w in r.witnesses],
        )
        if r.reporter_suggestions:
            section("What the reporter volunteered they would like done", [r.reporter_suggestions])
        section(
            "First contact checklist",
            [f"✓ {when(t.at)}  {t.item}" for t in view.first_contact],
            "Nothing ticked.",
        )
        section("Notes", [f"{when(n.at)} {n.who}:\n{n.text}" for n in view.notes], "No notes yet.")
        for title, lines in step_sections(view, self.playbook):
            section(title, lines)
        if view.conflicts:
            section(
                "Conflicting versions from bundles (ours is above; theirs kept here)",
                [f"• {c.what}, from {c.source} at {when(c.at)}:\n{c.shown}" for c in view.conflicts],
            )
        if self.access is not None:
            a = self.access
            lines = [f"Holds the key: {', '.join(a.holders) or 'nobody'}"]
            if a.recused:
                lines.append(f"Stepped out (conflict of interest, no reason asked): {', '.join(a.recused)}")
            lines += [f"Opened by {who}: {n}×, last {when(at)}" for who, n, at in a.opened]
            if view.stepped_out_elsewhere:
                # The sender's record only: nobody here was stepped out by it.
                lines.append("Stepped out elsewhere (a bundle's record, not applied here):")
                lines += [f"• {said}" for said in view.stepped_out_elsewhere]
            section("Who has access", lines)
        section("Timeline", [f"{when(t.at)}  {t.who}: {t.what}" for t in view.timeline])
        return out

    def action_note(self) -> None:
        self.post_message(self.Request("note", self.view.summary.id))

    def action_edit(self) -> None:
        self.post_message(self.Request("edit", self.view.summary.id))

    def action_step(self, what: str) -> None:
        self.post_message(self.Request(what, self.view.summary.id))

    def action_move(self) -> None:
        self.post_message(self.Request("move", self.view.summary.id))

    def action_back(self) -> None:
        self.dismiss()


def step_sections(view: CaseView, playbook: Playbook) -> list[tuple[str, list[str]]]:
    """The meeting, decision, talk, follow-up, appeal and announcement, as (title, lines)."""
    st = view.steps
    out: list[tuple[str, list[str]]] = []
    if st.meeting is not None:
        m = st.meeting
        present = ", ".join(a.name for a in m.deciders) or "nobody"
        lines = [f"Held {when(m.at)}, recorded by {m.by}. Present: {present}."]
        if m.recused:
            lines.append(f"Stepped out (conflict of interest): {', '.join(a.name for a in m.recused)}.")
        lines += [
            f"{'✓' if o.done else '·'} {o.text}" + (f" — {o.note}" if o.note else "") for o in m.objectives
        ]
        lines.append(f"Speaks with the reported person: {m.talk_lead or 'not assigned'}")
        lines.append(f"Follows up with the reporter: {m.reporter_followup or 'not assigned'}")
        if m.others_followup:
            lines.append(f"Follows up with others: {m.others_followup}")
        if m.followup_by:
            lines.append(f"By: {m.followup_by}")
        out.append(("Response meeting", lines))
    if st.decision is not None:
        d = st.decision
        lines = [f"Recorded {when(d.at)} by {d.by}."]
        if d.outcome.value == "escrow":
            lines.append("Held in escrow: nothing happens unless the behaviour is reported again.")
        elif d.outcome.value == "referred":
            lines.append(f"Outside the Code of Conduct; referred to: {d.referred_to}")
        lines += [
            f"• {playbook.action_label(a.code)}" + (f": {a.details}" if a.details else "") for a in d.actions
        ]
        if d.rationale:
            lines.append(f"Rationale: {d.rationale}")
        out.append(("Decision", lines))
    if st.talk is not None:
        t = st.talk
        lines = [
            f"Recorded {when(t.at)} by {t.by}" + (f"; held {t.held_on}" if t.held_on else "") + ".",
            f"Told what was reported: {'yes' if t.told_what_reported else 'no'} · "
            f"told the actions: {'yes' if t.actions_told else 'no'}",
            f"Their side: {t.their_side or '—'}",
        ]
        if t.apology_offered:
            lines.append(
                "An apology was offered; "
                + ("it will be passed on." if t.apology_passed_on else "not passed on.")
            )
        out.append(("Talk with the reported person", lines))
    if st.reporter_followup is not None:
        f = st.reporter_followup
        told = "told the outcome" if f.told_outcome else "not told the outcome yet"
        lines = [f"Reporter {told} (recorded {when(f.at)} by {f.by})."]
        if f.note:
            lines.append(f.note)
        out.append(("Follow-up with the reporter", lines))
    if st.appeal is not None:
        a = st.appeal
        lines = [f"Received {a.received_on} (recorded by {a.by}): {a.text}"]
        if a.open:
            lines.append("Open: the report and its actions stand meanwhile.")
        else:
            verdict = "stands" if a.stands else "was changed"
            lines.append(
                f"Answered {when(a.answered_at)} by {a.answered_by}; the decision {verdict}: {a.answer}"
            )
        out.append(("Appeal", lines))
    if st.announcement is not None:
        n = st.announcement
        state = (
            f"made {when(n.made_at)} by {n.made_by}" if n.made_at else ("ready" if n.ready_at else "draft")
        )
        out.append(("Announcement", [f"State: {state}.", n.draft]))
    if st.public_summary is not None and st.public_summary.text:
        p = st.public_summary
        out.append(("Public summary", [p.text, f"Saved {when(p.at)} by {p.by}."]))
    return out
