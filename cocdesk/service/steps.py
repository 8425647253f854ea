"""The procedure after intake (PROCEDURE.md §5–9), for the CLI and the app alike.

Each step is one transaction: its record is sealed on the case, the move it
allows (if any) is judged by the domain and made, and the timeline and audit
log gain an entry — all together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlite_utils

from cocdesk.domain.decision import decision_problem
from cocdesk.domain.privacy import flagged
from cocdesk.domain.report import Report
from cocdesk.domain.roles import may_announce, may_handle_appeal, may_name_delegate, may_talk_to_reported
from cocdesk.domain.status import Status
from cocdesk.domain.steps import (
    Announcement,
    Appeal,
    Decision,
    Meeting,
    Outcome,
    PublicSummary,
    ReporterFollowUp,
    Steps,
    Talk,
    to_data,
)
from cocdesk.domain.transparency import summary_problem
from cocdesk.errors import RuleRefused, UsageProblem
from cocdesk.playbook import Playbook
from cocdesk.playbook.loader import TEMPLATE_NAMES
from cocdesk.service.access import recuse_in, recused_now
from cocdesk.service.cases import CaseService
from cocdesk.service.session import Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import checkpoint, read, write

DELEGATES = "announcement_delegates"


@dataclass(frozen=True)
class Pattern:
    """An earlier (or later) case naming the same reported person."""

    case_id: str
    created_at: str
    status: Status
    outcome: str  # "escrow" shows a report held until the behaviour repeats


@dataclass(frozen=True)
class TeamMember:
    id: int
    name: str
    role: str


class StepService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.cases = CaseService(session)

    @property
    def _db(self) -> sqlite_utils.Database:
        return self.session.db

    # -- the meeting (§5) --------------------------------------------------------------
    def team(self) -> list[TeamMember]:
        """Active members, for attendance and assignments."""
        return [
            TeamMember(m.id, m.name, m.role.value) for m in member_store.all_members(self._db) if m.active
        ]

    def record_meeting(self, case_id: str, meeting: Meeting) -> bool:
        """Record (or revise) the meeting; a recusal deletes that member's copy of the case key.

        Returns True if the case moved to in review with it.
        """
        s = self.session
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            known = {m.id for m in member_store.all_members(self._db) if m.active}
            if any(a.member_id not in known for a in meeting.attendees):
                raise UsageProblem("an attendee is not an active member of the team")
            if len({a.member_id for a in meeting.attendees}) != len(meeting.attendees):
                raise UsageProblem("a member is listed twice in the attendance")
            earlier = recused_now(s, case_id)
            now_recused = {a.member_id for a in meeting.recused}
            if earlier - now_recused:
                raise RuleRefused(
                    "a declared conflict of interest stays declared (a lead lifts it on the team screen)"
                )
            holders = case_store.key_holders(self._db, case_id)
            if not holders - now_recused:
                raise RuleRefused("at least one member without a conflict of interest must keep the case")
            stamped = replace(meeting, at=s.now(), by=s.member_name)
            steps = replace(before, meeting=stamped)
            row = self.cases.row(case_id)
            target = (
                Status.IN_REVIEW if row.status == Status.REPORTED and len(stamped.deciders) >= 2 else None
            )
            # Judged on the recusals recorded so far: the member at the keyboard may be
            # the one stepping out, and that binds from the recusal just below.
            self.cases.record(case_id, {"meeting": to_data(stamped)}, ("case.meeting",), target, steps)
            # Recusal is enforced by the key, not by the screen: the member's sealed
            # copy goes and the case is re-keyed, so no path of theirs opens it again.
            recuse_in(s, case_id, now_recused - earlier)
        if s.member_id in now_recused:
            s.forget_case_key(case_id)
        if now_recused - earlier:
            checkpoint(self._db)  # the WAL still holds the old ciphertexts until now
        return target is not None

    def patterns(self, case_id: str, report: Report | None = None) -> list[Pattern]:
        """Other cases this member may open that name the same reported person (blind index).

        Pass the case's `report` when it is already open, so it is not decrypted again.
        """
        s = self.session
        with read(self._db):
            if report is None:
                report = self.cases.open_case(case_id).report
            tags = [s.event_keys.blind_tag(k, v) for k, v in report.identifiers()]
            found = case_store.cases_with_tags(self._db, tags, s.member_id) - {case_id}
            rows = [self.cases.row(c) for c in sorted(found)]  # each checked under its MAC
        return [Pattern(r.id, r.created_at, r.status, r.outcome) for r in rows]

    # -- the decision (§7) -------------------------------------------------------------
    def decide(self, case_id: str, decision: Decision) -> Status:
        """Record the decision and move the case: decided, closed (escrow) or referred."""
        s = self.session
        problem = decision_problem(decision, s.playbook.action_details)
        if problem:
            raise UsageProblem(problem)
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            row = self.cases.row(case_id)
            target = {
                Outcome.ACTIONS: Status.DECIDED,
                Outcome.ESCROW: Status.CLOSED,
                Outcome.REFERRED: Status.REFERRED,
            }[decision.outcome]
            if row.status not in (Status.REPORTED, Status.IN_REVIEW):
                raise RuleRefused(f"the case is {row.status.value.replace('_', ' ')}: its decision is made")
            stamped = replace(decision, at=s.now(), by=s.member_name)
            kind = {
                Outcome.ACTIONS: "case.decided",
                Outcome.ESCROW: "case.escrow",
                Outcome.REFERRED: "case.referred",
            }
            self.cases.record(
                case_id,
                {"decision": to_data(stamped)},
                (kind[decision.outcome],),
                target,
                replace(before, decision=stamped),
                outcome=decision.outcome.value,
                actions=stamped.codes,
            )
        return target

    # -- the talk with the reported person (§6) and the reporter's follow-up ------------
    def record_talk(self, case_id: str, talk: Talk) -> bool:
        """A lead records the talk; telling the actions moves a decided case to communicated."""
        s = self.session
        reason = may_talk_to_reported(s.role)
        if reason:
            raise RuleRefused(reason)
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            row = self.cases.row(case_id)
            if row.status not in (Status.DECIDED, Status.COMMUNICATED, Status.CLOSED, Status.APPEALED):
                raise RuleRefused("the talk follows the decision: record the decision first")
            stamped = replace(talk, at=s.now(), by=s.member_name)
            moves = row.status == Status.DECIDED and talk.told_what_reported and talk.actions_told
            target = Status.COMMUNICATED if moves else None
            self.cases.record(
                case_id, {"talk": to_data(stamped)}, ("case.talk",), target, replace(before, talk=stamped)
            )
        return moves

    def record_reporter_followup(self, case_id: str, followup: ReporterFollowUp) -> None:
        s = self.session
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            if before.decision is None:
                raise RuleRefused("the reporter hears the outcome once there is a decision")
            stamped = replace(followup, at=s.now(), by=s.member_name)
            self.cases.record(case_id, {"reporter_followup": to_data(stamped)}, ("case.reporter_told",))

    # -- appeals (§8) --------------------------------------------------------------------
    def receive_appeal(self, case_id: str, received_on: str, text: str) -> None:
        """The chair records an appeal received; the case shows appealed, the decision stands."""
        s = self.session
        reason = may_handle_appeal(s.role)
        if reason:
            raise RuleRefused(reason)
        if not received_on.strip():
            raise UsageProblem("give the date the appeal was received")
        if not text.strip():
            raise UsageProblem("write what the appeal says (a summary is enough)")
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            row = self.cases.row(case_id)
            if before.appeal is not None and before.appeal.open:
                raise RuleRefused("an appeal is already open on this case")
            appeal = Appeal(received_on, text, row.status.value, at=s.now(), by=s.member_name)
            self.cases.record(
                case_id,
                {"appeal": to_data(appeal)},
                ("case.appeal",),
                Status.APPEALED,
                replace(before, appeal=appeal),
            )

    def answer_appeal(self, case_id: str, answer: str, stands: bool) -> Status:
        """The chair's answer closes the appeal; the case returns to where it was."""
        s = self.session
        reason = may_handle_appeal(s.role)
        if reason:
            raise RuleRefused(reason)
        if not answer.strip():
            raise UsageProblem("write the chair's answer")
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            appeal = before.appeal
            if appeal is None or not appeal.open:
                raise RuleRefused("there is no open appeal on this case")
            answered = replace(
                appeal, answer=answer, stands=stands, answered_at=s.now(), answered_by=s.member_name
            )
            back = Status(appeal.from_status)
            self.cases.record(
                case_id,
                {"appeal": to_data(answered)},
                ("case.appeal_answered",),
                back,
                replace(before, appeal=answered),
            )
        return back

    # -- public communication (§9) -------------------------------------------------------
    def save_announcement(self, case_id: str, draft: str, upset_note: str) -> None:
        """Save the sealed drafts; any change makes them not ready again."""
        s = self.session
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            old = before.announcement or Announcement()
            if old.made_at:
                raise RuleRefused("this announcement was made; it is kept as it was")
            same = old.draft == draft and old.upset_note == upset_note
            new = replace(
                old,
                draft=draft,
                upset_note=upset_note,
                ready_at=old.ready_at if same else "",
                at=s.now(),
                by=s.member_name,
            )
            self.cases.record(case_id, {"announcement": to_data(new)}, ("case.announcement_draft",))

    def privacy_flags(self, text: str) -> list[str]:
        """The words of `text` that name, or may name, someone in any case this member holds."""
        return flagged(text, self.cases.people_mentioned())

    def mark_ready(self, case_id: str) -> None:
        """A draft is ready only when the privacy check finds nobody in it."""
        s = self.session
        # Decrypting every held case takes a while: done before the write lock is taken.
        mentioned = self.cases.people_mentioned()
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            ann = before.announcement
            if ann is None or not ann.draft.strip():
                raise RuleRefused("write the announcement first")
            flags = flagged(f"{ann.draft}\n{ann.upset_note}", mentioned)
            if flags:
                shown = ", ".join(flags[:5])
                raise RuleRefused(f"the draft names or may name someone in a case: {shown}")
            ready = replace(ann, ready_at=s.now())
            self.cases.record(case_id, {"announcement": to_data(ready)}, ("case.announcement_ready",))

    def mark_made(self, case_id: str) -> None:
        s = self.session
        reason = may_announce(s.role, s.member_id in self.delegates())
        if reason:
            raise RuleRefused(reason)
        mentioned = self.cases.people_mentioned()  # before the write lock (see mark_ready)
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            ann = before.announcement
            if ann is None or not ann.ready_at:
                raise RuleRefused("mark the draft ready first (it passes the privacy check)")
            if ann.made_at:
                raise RuleRefused("this announcement was already made")
            # Cases may have come in since it was marked ready: check again.
            flags = flagged(f"{ann.draft}\n{ann.upset_note}", mentioned)
            if flags:
                raise RuleRefused(f"the draft names or may name someone in a case: {', '.join(flags[:5])}")
            made = replace(ann, made_at=s.now(), made_by=s.member_name)
            self.cases.record(case_id, {"announcement": to_data(made)}, ("case.announced",))

    def save_public_summary(self, case_id: str, text: str) -> None:
        """Seal the case's line for the transparency report, if the privacy check finds nobody in it.

        An empty text clears it. The report runs the check again when it is made:
        a case taken later may name someone this line mentions.
        """
        s = self.session
        text = text.strip()
        problem = summary_problem(text)
        if problem:
            raise UsageProblem(problem)
        mentioned = self.cases.people_mentioned()  # before the write lock (see mark_ready)
        flags = flagged(text, mentioned)
        if flags:
            raise RuleRefused(f"the summary names or may name someone in a case: {', '.join(flags[:5])}")
        with write(self._db):
            self.cases.steps(case_id)  # only a member who holds the case writes its summary
            self._not_recused(case_id)
            summary = PublicSummary(text, at=s.now(), by=s.member_name)
            self.cases.record(case_id, {"public_summary": to_data(summary)}, ("case.public_summary",))

    def delegates(self) -> set[int]:
        # Checked on every read, not only at unlock: an edit made meanwhile is refused.
        meta.check(self._db, self.session.event_keys)
        raw = meta.get(self._db, DELEGATES) or ""
        return {int(part) for part in raw.split(",") if part.isdigit()}

    def name_delegate(self, name: str) -> None:
        """The chair names a member who may make announcements for them."""
        s = self.session
        reason = may_name_delegate(s.role)
        if reason:
            raise RuleRefused(reason)
        with write(self._db):
            member = member_store.active_by_name(self._db, s.event_keys, name)
            chosen = sorted(self.delegates() | {member.id})  # checks the settings' MAC first
            meta.put(self._db, DELEGATES, ",".join(str(i) for i in chosen))
            meta.seal(self._db, s.event_keys)
            audit.append(self._db, s.event_keys, s.now(), s.member_id, "member.delegate")

    # -- messages ------------------------------------------------------------------------
    def message(self, case_id: str, name: str) -> str:
        """The team's text of one message, or the playbook's template filled from the case."""
        view = self.cases.open_case(case_id)
        return self.messages(view.summary.id, view.steps, (name,))[name]

    def messages(self, case_id: str, steps: Steps, names: tuple[str, ...] = TEMPLATE_NAMES) -> dict[str, str]:
        """Every message of an open case: the team's text where saved, else the filled template."""
        saved = dict(steps.messages)
        event = meta.get(self._db, "event_name") or self.session.playbook.event_name
        return {
            name: saved[name]
            if name in saved
            else fill_template(self.session.playbook, event, name, case_id, steps)
            for name in names
        }

    def save_message(self, case_id: str, name: str, text: str) -> None:
        with write(self._db):
            before = self.cases.steps(case_id)
            self._not_recused(case_id)
            kept = dict(before.messages)
            kept[name] = text
            self.cases.record(case_id, {"messages": [[k, v] for k, v in kept.items()]}, ("case.message",))

    def _not_recused(self, case_id: str) -> None:
        # A recused member holds no key and cannot get this far; this is the
        # second lock on the door, read from the recusal record.
        s = self.session
        if s.member_id in recused_now(s, case_id):
            raise RuleRefused("you declared a conflict of interest in this case and take no further part")


def fill_template(playbook: Playbook, event: str, name: str, case_id: str, steps: Steps) -> str:
    """A playbook template with the case's facts written in (plain replacement, no format codes)."""
    decision = steps.decision
    lines = []
    for action in decision.actions if decision else ():
        label = playbook.action_label(action.code)
        lines.append(f"- {label}" + (f": {action.details}" if action.details else ""))
    filled = playbook.template(name)
    for key, value in (
        ("{event}", event),
        ("{case}", case_id),
        ("{actions}", "\n".join(lines) or "- (no actions decided yet)"),
        ("{organiser_contact}", playbook.organiser_contact),
    ):
        filled = filled.replace(key, value)
    return filled
