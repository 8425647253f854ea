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
    from cocdesk.service.cases import CaseView

HELP = """\
Everything recorded on this case, newest steps at the bottom of the timeline.

a adds a sealed note. e edits the report (corrections are kept on the
timeline). m moves the case on — to review, referral, decision — and says why
a move is not possible yet. Escape goes back to the queue.
"""


class CaseScreen(Screen[None]):
    HELP = HELP
    AUTO_FOCUS = "#case-body"
    BINDINGS = [
        Binding("a", "note", "Add note", tooltip="Add a sealed note to the case"),
        Binding("e", "edit", "Edit report", tooltip="Correct the report"),
        Binding("m", "move", "Move", tooltip="Change the case's status"),
        Binding("escape", "back", "Back", tooltip="Back to the queue"),
    ]

    class Request(Message):
        """Asks the app to do something with this case (note, edit, move)."""

        def __init__(self, what: str, case_id: str) -> None:
            super().__init__()
            self.what = what
            self.case_id = case_id

    def __init__(self, view: CaseView, playbook: Playbook) -> None:
        super().__init__()
        self.view = view
        self.playbook = playbook

    def compose(self) -> ComposeResult:
        yield Header()
        yield VerticalScroll(id="case-body")
        yield Footer()

    def on_mount(self) -> None:
        self.show(self.view)

    def show(self, view: CaseView) -> None:
        """(Re)draw from a fresh view, e.g. after a note or a move."""
        self.view = view
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
        section("Timeline", [f"{when(t.at)}  {t.who}: {t.what}" for t in view.timeline])
        return out

    def action_note(self) -> None:
        self.post_message(self.Request("note", self.view.summary.id))

    def action_edit(self) -> None:
        self.post_message(self.Request("edit", self.view.summary.id))

    def action_move(self) -> None:
        self.post_message(self.Request("move", self.view.summary.id))

    def action_back(self) -> None:
        self.dismiss()
