"""The procedure after intake (PROCEDURE.md §5–9) through the service, on a real vault.

Every refusal is checked twice: the reason reaches the caller, and the file is
exactly as it was (one transaction, all or nothing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from cocdesk.domain.report import ReportedPerson
from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.domain.steps import (
    Attendee,
    ChosenAction,
    Decision,
    Meeting,
    Objective,
    Outcome,
    ReporterFollowUp,
    Talk,
)
from cocdesk.errors import CocdeskError, NotAMember, NotFound, RuleRefused, UsageProblem
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.integrity import verify
from cocdesk.service.steps import Pattern, StepService
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report
from tests.security.test_plaintext_scan import files_under, new_marker, scan

STAMP = "2026-05-02T15:00:00Z"  # the desk's frozen clock
MEETING = "at least two members present who declared no conflict of interest"
RECUSED = "you declared a conflict of interest in this case and take no further part"
OTHERS = {"Kim": Role.RESPONDER, "Avery": Role.CHAIR, "Jo": Role.LEAD}


def passphrase(name: str) -> str:
    return LEAD_PASSPHRASE if name == LEAD else f"{name} passphrase"


@dataclass
class Team:
    """The desk's lead (Robin) and three more: Kim (responder), Avery (chair), Jo (lead)."""

    desk: Desk
    ids: dict[str, int]
    sessions: dict[str, Session]

    def steps(self, name: str) -> StepService:
        return StepService(self.sessions[name])

    def cases(self, name: str) -> CaseService:
        return CaseService(self.sessions[name])

    def unlock(self, name: str) -> Session:
        return self.desk.unlock(name, passphrase(name))

    def meeting(self, *present: str, conflict: tuple[str, ...] = ()) -> Meeting:
        """Attendance of everyone named, present or declaring a conflict, with the playbook's objectives."""
        names = [*present, *(n for n in conflict if n not in present)]
        attendees = tuple(
            Attendee(self.ids[n], n, present=n in present, conflict=n in conflict) for n in names
        )
        objectives = tuple(
            Objective(text, done=True) for text in self.sessions[LEAD].playbook.meeting_objectives
        )
        return Meeting(attendees, objectives, talk_lead=LEAD, reporter_followup="Kim")


@pytest.fixture
def team(desk: Desk, session: Session) -> Team:
    ids = {LEAD: session.member_id}
    for name, role in OTHERS.items():
        ids[name] = TeamService(session).add_member(name, role, passphrase(name), FAST_FOR_TESTS)
    sessions = {LEAD: session, **{n: desk.unlock(n, passphrase(n)) for n in OTHERS}}
    return Team(desk, ids, sessions)


TABLES = (
    "cases",
    "case_fields",
    "case_keys",
    "blind_index",
    "audit",
    "meta",
    "members",
    "drafts",
    "step_drafts",
)


def dump(session: Session) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table that a step could touch, for before/after comparisons."""
    db = session.db
    return {t: sorted((tuple(r) for r in db.execute(f"SELECT * FROM {t}")), key=repr) for t in TABLES}


def refused(team: Team, error: type[CocdeskError], reason: str, call: object, *args: object) -> None:
    """`call(*args)` raises `error` with exactly `reason`, and the vault is unchanged."""
    before = dump(team.sessions[LEAD])
    with pytest.raises(error) as caught:
        call(*args)  # type: ignore[operator]
    assert str(caught.value) == reason
    assert dump(team.sessions[LEAD]) == before, "a refused step changed the vault"


def kinds(session: Session, case_id: str) -> list[str]:
    return [e.kind for e in audit.entries(session.db, case_id)]


ACTIONS = Decision(
    Outcome.ACTIONS,
    (ChosenAction("warning", "written"), ChosenAction("avoid-contact", "the reporter, all event")),
    "Repeated following after being asked to stop.",
)
TOLD = Talk(told_what_reported=True, their_side="did not mean it", actions_told=True)


def decided_case(team: Team) -> str:
    case_id = team.cases(LEAD).add_report(sample_report())
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, ACTIONS)
    return case_id


def closed_case(team: Team) -> str:
    case_id = decided_case(team)
    team.steps(LEAD).record_talk(case_id, TOLD)
    team.cases(LEAD).move(case_id, Status.CLOSED)
    return case_id


# -- the whole journey ---------------------------------------------------------------------
def test_a_case_goes_from_report_to_appeal_and_back_to_closed(team: Team) -> None:
    lead, chair = team.steps(LEAD), team.steps("Avery")
    case_id = team.cases("Kim").add_report(sample_report())

    def status() -> Status:
        return team.cases(LEAD).row(case_id).status

    assert team.steps("Kim").record_meeting(case_id, team.meeting(LEAD, "Kim")) is True
    assert status() is Status.IN_REVIEW
    assert lead.decide(case_id, ACTIONS) is Status.DECIDED
    assert status() is Status.DECIDED
    row = team.cases(LEAD).row(case_id)
    assert (row.outcome, row.actions) == ("actions", ("warning", "avoid-contact"))  # plain, for counting
    assert lead.record_talk(case_id, TOLD) is True
    assert status() is Status.COMMUNICATED
    lead.record_reporter_followup(case_id, ReporterFollowUp(told_outcome=True, note="by phone"))
    team.cases(LEAD).move(case_id, Status.CLOSED)
    assert status() is Status.CLOSED
    chair.receive_appeal(case_id, "2026-05-03", "They ask for the warning to be lifted.")
    assert status() is Status.APPEALED
    assert chair.answer_appeal(case_id, "The decision stands.", stands=True) is Status.CLOSED
    assert status() is Status.CLOSED

    steps = team.cases(LEAD).open_case(case_id).steps
    assert steps.meeting is not None and [a.name for a in steps.meeting.deciders] == [LEAD, "Kim"]
    assert (steps.meeting.at, steps.meeting.by) == (STAMP, "Kim")
    assert steps.decision == replace(ACTIONS, at=STAMP, by=LEAD)
    assert steps.talk == replace(TOLD, at=STAMP, by=LEAD)
    assert steps.reporter_followup == ReporterFollowUp(True, "", "by phone", STAMP, LEAD)
    assert steps.appeal is not None and not steps.appeal.open
    assert (steps.appeal.from_status, steps.appeal.answer, steps.appeal.stands) == (
        "closed",
        "The decision stands.",
        True,
    )
    assert (steps.appeal.by, steps.appeal.answered_by, steps.appeal.answered_at) == ("Avery", "Avery", STAMP)


def test_every_step_lands_on_the_timeline_and_in_the_audit_log(team: Team) -> None:
    lead, chair = team.steps(LEAD), team.steps("Avery")
    case_id = team.cases(LEAD).add_report(sample_report())
    lead.record_meeting(case_id, team.meeting(LEAD, "Kim", conflict=("Jo",)))
    lead.decide(case_id, ACTIONS)
    lead.record_talk(case_id, TOLD)
    lead.record_reporter_followup(case_id, ReporterFollowUp(told_outcome=True))
    team.cases(LEAD).move(case_id, Status.CLOSED)
    chair.receive_appeal(case_id, "2026-05-03", "appeal")
    chair.answer_appeal(case_id, "stands", stands=True)
    lead.save_announcement(case_id, "An incident was handled.", "")
    lead.mark_ready(case_id)
    chair.mark_made(case_id)
    lead.save_message(case_id, "reporter", "Thank you.")

    timeline = [(t.who, t.what) for t in team.cases(LEAD).open_case(case_id).timeline]
    assert timeline == [
        (LEAD, "report taken"),
        (LEAD, "response meeting recorded"),
        (LEAD, "status → in review"),
        (LEAD, "recorded a conflict of interest of Jo, who stepped out"),
        (LEAD, "case re-keyed (a copy of the old key opens nothing now)"),
        (LEAD, "decision recorded"),
        (LEAD, "status → decided"),
        (LEAD, "talk with the reported person recorded"),
        (LEAD, "status → communicated"),
        (LEAD, "reporter's follow-up recorded"),
        (LEAD, "status → closed"),
        ("Avery", "appeal received"),
        ("Avery", "status → appealed"),
        ("Avery", "chair answered the appeal"),
        ("Avery", "status → closed"),
        (LEAD, "announcement draft saved"),
        (LEAD, "announcement passed the privacy check; ready"),
        ("Avery", "announcement made"),
        (LEAD, "message text saved"),
    ]
    assert kinds(team.sessions[LEAD], case_id) == [
        "case.reported",
        "case.meeting",
        "case.status.in_review",
        "case.recused",
        "case.rekeyed",
        "case.decided",
        "case.status.decided",
        "case.talk",
        "case.status.communicated",
        "case.reporter_told",
        "case.status.closed",
        "case.appeal",
        "case.status.appealed",
        "case.appeal_answered",
        "case.status.closed",
        "case.announcement_draft",
        "case.announcement_ready",
        "case.announced",
        "case.message",
    ]
    assert verify(team.sessions[LEAD]) == []
    assert verify(team.sessions["Avery"]) == []


def test_escrow_closes_the_case_and_a_referral_sends_it_elsewhere(team: Team) -> None:
    lead = team.steps(LEAD)
    held = team.cases(LEAD).add_report(sample_report())
    lead.record_meeting(held, team.meeting(LEAD, "Kim"))
    assert lead.decide(held, Decision(Outcome.ESCROW, rationale="only if it repeats")) is Status.CLOSED
    assert team.cases(LEAD).row(held).outcome == "escrow"
    assert kinds(team.sessions[LEAD], held)[-2:] == ["case.escrow", "case.status.closed"]

    sent = team.cases(LEAD).add_report(sample_report("lost wallet"))
    assert (
        lead.decide(sent, Decision(Outcome.REFERRED, referred_to="venue lost-and-found")) is Status.REFERRED
    )
    assert team.cases(LEAD).open_case(sent).steps.decision.referred_to == "venue lost-and-found"  # type: ignore[union-attr]
    assert kinds(team.sessions[LEAD], sent)[-2:] == ["case.referred", "case.status.referred"]
    assert verify(team.sessions[LEAD]) == []


def test_a_decided_case_with_no_action_closes_without_a_talk(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, Decision(Outcome.ACTIONS, (ChosenAction("no-action"),), "no breach"))
    team.cases("Avery").move(case_id, Status.CLOSED)
    assert team.cases(LEAD).row(case_id).status is Status.CLOSED


def test_a_talk_that_did_not_tell_the_actions_leaves_the_case_decided(team: Team) -> None:
    case_id = decided_case(team)
    partial = Talk(told_what_reported=True, their_side="left before the end", actions_told=False)
    assert team.steps(LEAD).record_talk(case_id, partial) is False
    assert team.cases(LEAD).row(case_id).status is Status.DECIDED
    assert team.steps(LEAD).record_talk(case_id, TOLD) is True
    assert team.cases(LEAD).row(case_id).status is Status.COMMUNICATED


# -- refusals leave nothing behind ------------------------------------------------------------
def test_a_decision_before_the_meeting_is_refused(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    refused(
        team,
        RuleRefused,
        "a decision needs a meeting record with at least two members present who declared no conflict of interest",
        team.steps(LEAD).decide,
        case_id,
        ACTIONS,
    )


def test_a_decision_needs_two_deciders_at_the_meeting(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    lead = team.steps(LEAD)
    assert lead.record_meeting(case_id, team.meeting(LEAD)) is False  # one member: recorded, not reviewed
    assert team.cases(LEAD).row(case_id).status is Status.REPORTED
    lead.record_meeting(case_id, team.meeting(LEAD, "Kim"))
    lead.record_meeting(case_id, team.meeting(LEAD, conflict=("Jo",)))  # revised: one decider left
    assert team.cases(LEAD).row(case_id).status is Status.IN_REVIEW
    refused(
        team, RuleRefused, f"a decision needs a meeting record with {MEETING}", lead.decide, case_id, ACTIONS
    )


@pytest.mark.parametrize(
    ("decision", "reason"),
    [
        (
            Decision(Outcome.ACTIONS, (ChosenAction("no-action"), ChosenAction("warning"))),
            "no action cannot be combined with other actions",
        ),
        (Decision(Outcome.ACTIONS), "choose at least one action (no action counts as one)"),
        (Decision(Outcome.ACTIONS, (ChosenAction("ban"),)), "ban needs its details: How long the ban lasts"),
        (
            Decision(Outcome.ACTIONS, (ChosenAction("flogging"),)),
            "'flogging' is not an action in this event's playbook",
        ),
        (
            Decision(Outcome.REFERRED, referred_to=" "),
            "say where the report was referred (police, venue, another team…)",
        ),
        (
            Decision(Outcome.ESCROW, (ChosenAction("warning"),)),
            "a report held in escrow takes no actions until the behaviour repeats",
        ),
    ],
)
def test_an_incomplete_decision_is_refused_before_anything_is_written(
    team: Team, decision: Decision, reason: str
) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    refused(team, UsageProblem, reason, team.steps(LEAD).decide, case_id, decision)


def test_only_a_lead_or_the_chair_refers_a_report(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    referral = Decision(Outcome.REFERRED, referred_to="police")
    refused(
        team,
        RuleRefused,
        "only a lead or the chair may refer a report elsewhere",
        team.steps("Kim").decide,
        case_id,
        referral,
    )
    assert team.steps("Avery").decide(case_id, referral) is Status.REFERRED


def test_a_decision_is_made_once(team: Team) -> None:
    case_id = decided_case(team)
    refused(
        team,
        RuleRefused,
        "the case is decided: its decision is made",
        team.steps(LEAD).decide,
        case_id,
        ACTIONS,
    )


def test_escrow_is_refused_before_the_meeting(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    escrow = Decision(Outcome.ESCROW)
    refused(
        team,
        RuleRefused,
        "a decision needs a meeting record with at least two members present who declared no conflict of interest",
        team.steps(LEAD).decide,
        case_id,
        escrow,
    )


@pytest.mark.parametrize("who", ["Kim", "Avery"])
def test_only_a_lead_records_the_talk(team: Team, who: str) -> None:
    case_id = decided_case(team)
    refused(
        team,
        RuleRefused,
        "only a lead speaks with the reported person",
        team.steps(who).record_talk,
        case_id,
        TOLD,
    )


def test_the_talk_follows_the_decision(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    reason = "the talk follows the decision: record the decision first"
    refused(team, RuleRefused, reason, team.steps(LEAD).record_talk, case_id, TOLD)
    refused(
        team,
        RuleRefused,
        "the reporter hears the outcome once there is a decision",
        team.steps(LEAD).record_reporter_followup,
        case_id,
        ReporterFollowUp(told_outcome=True),
    )


def test_a_case_with_actions_is_not_closed_before_the_talk(team: Team) -> None:
    case_id = decided_case(team)
    reason = "a lead tells the reported person the actions first (follow-up screen)"
    refused(team, RuleRefused, reason, team.cases(LEAD).move, case_id, Status.CLOSED)
    team.steps(LEAD).record_talk(case_id, TOLD)
    refused(
        team,
        RuleRefused,
        "only a lead or the chair may close a case",
        team.cases("Kim").move,
        case_id,
        Status.CLOSED,
    )


@pytest.mark.parametrize("who", [LEAD, "Kim", "Jo"])
def test_appeals_go_to_the_chair(team: Team, who: str) -> None:
    case_id = closed_case(team)
    reason = "appeals go to the conference chair, who answers them"
    refused(team, RuleRefused, reason, team.steps(who).receive_appeal, case_id, "2026-05-03", "appeal")
    team.steps("Avery").receive_appeal(case_id, "2026-05-03", "appeal")
    refused(team, RuleRefused, reason, team.steps(who).answer_appeal, case_id, "no", True)


def test_an_appeal_needs_a_date_and_its_text(team: Team) -> None:
    case_id = closed_case(team)
    chair = team.steps("Avery")
    refused(
        team, UsageProblem, "give the date the appeal was received", chair.receive_appeal, case_id, " ", "x"
    )
    refused(
        team,
        UsageProblem,
        "write what the appeal says (a summary is enough)",
        chair.receive_appeal,
        case_id,
        "2026-05-03",
        "",
    )


def test_only_a_decision_with_actions_can_be_appealed(team: Team) -> None:
    held = team.cases(LEAD).add_report(sample_report())
    team.steps(LEAD).record_meeting(held, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(held, Decision(Outcome.ESCROW))
    reason = "only a decision that took actions can be appealed"
    refused(team, RuleRefused, reason, team.steps("Avery").receive_appeal, held, "2026-05-03", "x")


def test_a_case_is_appealed_only_once_the_reported_person_was_told(team: Team) -> None:
    case_id = decided_case(team)
    reason = "a case that is decided cannot become appealed"
    refused(team, RuleRefused, reason, team.steps("Avery").receive_appeal, case_id, "2026-05-03", "x")


def test_one_appeal_at_a_time_and_an_answer_needs_an_open_appeal(team: Team) -> None:
    case_id = closed_case(team)
    chair = team.steps("Avery")
    refused(
        team,
        RuleRefused,
        "there is no open appeal on this case",
        chair.answer_appeal,
        case_id,
        "stands",
        True,
    )
    chair.receive_appeal(case_id, "2026-05-03", "first")
    refused(
        team,
        RuleRefused,
        "an appeal is already open on this case",
        chair.receive_appeal,
        case_id,
        "2026-05-04",
        "second",
    )
    refused(team, UsageProblem, "write the chair's answer", chair.answer_appeal, case_id, "  ", True)
    assert chair.answer_appeal(case_id, "overturned", stands=False) is Status.CLOSED
    refused(
        team, RuleRefused, "there is no open appeal on this case", chair.answer_appeal, case_id, "again", True
    )


def test_an_answered_appeal_returns_a_communicated_case_to_communicated(team: Team) -> None:
    case_id = decided_case(team)
    team.steps(LEAD).record_talk(case_id, TOLD)
    team.steps("Avery").receive_appeal(case_id, "2026-05-03", "appeal")
    assert team.steps("Avery").answer_appeal(case_id, "stands", True) is Status.COMMUNICATED


def test_a_meeting_lists_only_active_members_once(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    lead = team.steps(LEAD)
    stranger = replace(team.meeting(LEAD, "Kim"), attendees=(Attendee(99, "Nobody", present=True),))
    refused(
        team,
        UsageProblem,
        "an attendee is not an active member of the team",
        lead.record_meeting,
        case_id,
        stranger,
    )
    twice = team.meeting(LEAD, "Kim")
    twice = replace(twice, attendees=(*twice.attendees, twice.attendees[0]))
    refused(
        team, UsageProblem, "a member is listed twice in the attendance", lead.record_meeting, case_id, twice
    )


def test_steps_on_a_missing_case_say_so(team: Team) -> None:
    with pytest.raises((NotFound, NotAMember)):
        team.steps(LEAD).decide("C-0999", ACTIONS)


# -- recusal ---------------------------------------------------------------------------------
def test_a_conflict_of_interest_takes_away_the_members_key(team: Team) -> None:
    kim_before = team.unlock("Kim")
    case_id = team.cases(LEAD).add_report(sample_report())
    CaseService(kim_before).open_case(case_id)  # Kim had opened it before stepping out
    other = team.cases(LEAD).add_report(sample_report("other"))
    db = team.sessions[LEAD].db

    def copies(name: str, case: str) -> int:
        args = [case, team.ids[name]]
        return int(
            db.execute("SELECT count(*) FROM case_keys WHERE case_id = ? AND member_id = ?", args).fetchone()[
                0
            ]
        )

    assert copies("Kim", case_id) == 1
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Avery", conflict=("Kim",)))
    assert copies("Kim", case_id) == 0
    assert copies("Kim", other) == 1, "only the case with the conflict"
    assert {copies(n, case_id) for n in (LEAD, "Avery", "Jo")} == {1}
    assert case_store.key_holders(db, case_id) == {team.ids[n] for n in (LEAD, "Avery", "Jo")}

    for kim in (team.unlock("Kim"), kim_before):
        with pytest.raises(NotAMember):
            CaseService(kim).open_case(case_id)
        assert [c.id for c in CaseService(kim).list_cases()] == [other]
        steps = StepService(kim)
        for call, args in (
            (steps.record_meeting, (case_id, team.meeting("Kim", LEAD))),
            (steps.decide, (case_id, ACTIONS)),
            (steps.save_announcement, (case_id, "text", "")),
            (steps.save_message, (case_id, "reporter", "text")),
            (steps.patterns, (case_id,)),
            (steps.message, (case_id, "reporter")),
            (CaseService(kim).add_note, (case_id, "a note")),
            (CaseService(kim).move, (case_id, Status.DECIDED)),
        ):
            before = dump(team.sessions[LEAD])
            with pytest.raises((NotAMember, RuleRefused)):
                call(*args)  # type: ignore[operator]
            assert dump(team.sessions[LEAD]) == before
    assert verify(team.sessions[LEAD]) == []


def test_a_member_who_declares_a_conflict_themselves_loses_the_case_at_once(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    jo = team.steps("Jo")
    jo.record_meeting(case_id, team.meeting(LEAD, "Avery", conflict=("Jo",)))
    with pytest.raises(NotAMember):
        team.cases("Jo").open_case(case_id)
    with pytest.raises((NotAMember, RuleRefused)):
        jo.decide(case_id, ACTIONS)
    assert team.cases(LEAD).row(case_id).status is Status.IN_REVIEW


def test_a_recused_member_cannot_be_counted_as_a_decider(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    meeting = team.meeting(LEAD, "Kim", conflict=("Kim",))  # present, but with a conflict
    assert team.steps(LEAD).record_meeting(case_id, meeting) is False
    assert team.cases(LEAD).row(case_id).status is Status.REPORTED


def test_a_declared_conflict_cannot_be_undone(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    lead = team.steps(LEAD)
    lead.record_meeting(case_id, team.meeting(LEAD, "Avery", conflict=("Kim",)))
    reason = "a declared conflict of interest stays declared (a lead lifts it on the team screen)"
    refused(team, RuleRefused, reason, lead.record_meeting, case_id, team.meeting(LEAD, "Avery", "Kim"))
    refused(team, RuleRefused, reason, lead.record_meeting, case_id, team.meeting(LEAD, "Avery"))
    with pytest.raises(NotAMember):
        team.cases("Kim").open_case(case_id)


def test_at_least_one_member_keeps_the_case(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    everyone = team.meeting(conflict=(LEAD, "Kim", "Avery", "Jo"))
    reason = "at least one member without a conflict of interest must keep the case"
    refused(team, RuleRefused, reason, team.steps(LEAD).record_meeting, case_id, everyone)
    team.steps(LEAD).record_meeting(case_id, team.meeting(conflict=("Kim", "Avery", "Jo")))
    assert case_store.key_holders(team.sessions[LEAD].db, case_id) == {team.ids[LEAD]}
    refused(
        team,
        RuleRefused,
        reason,
        team.steps(LEAD).record_meeting,
        case_id,
        team.meeting(conflict=(LEAD, "Kim", "Avery", "Jo")),
    )


# -- patterns ----------------------------------------------------------------------------------
def test_patterns_find_other_cases_naming_the_same_person_and_show_escrow(team: Team) -> None:
    lead = team.steps(LEAD)
    held = team.cases(LEAD).add_report(sample_report())  # names Sam Smith, badge B-12
    lead.record_meeting(held, team.meeting(LEAD, "Kim"))
    lead.decide(held, Decision(Outcome.ESCROW, rationale="only if it repeats"))
    unrelated = team.cases(LEAD).add_report(
        sample_report(reported=(ReportedPerson(name="Someone Else", badge="Z-9"),))
    )
    by_badge = team.cases(LEAD).add_report(
        sample_report(reported=(ReportedPerson(name="S. Smyth", badge="b12"),))
    )
    latest = team.cases(LEAD).add_report(sample_report())

    assert lead.patterns(latest) == [
        Pattern(held, STAMP, Status.CLOSED, "escrow"),
        Pattern(by_badge, STAMP, Status.REPORTED, ""),
    ]
    assert [p.case_id for p in lead.patterns(held)] == [by_badge, latest]
    assert lead.patterns(unrelated) == []


def test_patterns_leave_out_cases_the_member_stepped_out_of(team: Team) -> None:
    first = team.cases(LEAD).add_report(sample_report())
    second = team.cases(LEAD).add_report(sample_report())
    team.steps(LEAD).record_meeting(first, team.meeting(LEAD, "Avery", conflict=("Kim",)))
    assert [p.case_id for p in team.steps("Kim").patterns(second)] == []
    assert [p.case_id for p in team.steps(LEAD).patterns(second)] == [first]


# -- public communication --------------------------------------------------------------------
CLEAN = "An incident at the event was reported. It was against our Code of Conduct and action was taken."


@pytest.mark.parametrize(
    ("draft", "flag"),
    [
        ("We asked Sam Smith to leave.", "Sam"),
        ("Thanks to smith for the cooperation.", "smith"),
        ("Badge B-12 was withdrawn.", "B-12"),
        ("Contact ana@example.org for details.", "ana@example.org"),
        ("Lee saw everything.", "Lee"),
        ("A person from ACME was asked to leave.", "ACME"),
    ],
)
def test_the_privacy_check_flags_anyone_held_in_any_case(team: Team, draft: str, flag: str) -> None:
    team.cases(LEAD).add_report(sample_report())
    assert flag in team.steps(LEAD).privacy_flags(draft)
    assert team.steps("Kim").privacy_flags(CLEAN) == []


def test_the_privacy_check_is_no_oracle_for_a_recused_member(team: Team) -> None:
    """It looks only in cases the member holds: stepping out leaves nothing to test names against."""
    case_id = team.cases(LEAD).add_report(sample_report())
    assert "Sam Smith" in team.steps("Kim").privacy_flags("Sam Smith was warned")
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Avery", conflict=("Kim",)))
    assert team.steps("Kim").privacy_flags("Sam Smith was warned") == []
    assert "Sam Smith" in team.steps(LEAD).privacy_flags("Sam Smith was warned")
    tags = {bytes(r[0]) for r in team.sessions[LEAD].db.execute("SELECT tag FROM blind_index")}
    keys = team.sessions["Kim"].event_keys
    assert not {keys.blind_tag("mention", w) for w in ("sam", "smith", "sam smith")} & tags


def test_a_draft_is_ready_only_when_the_check_finds_nobody(team: Team) -> None:
    case_id = closed_case(team)
    lead = team.steps(LEAD)
    refused(team, RuleRefused, "write the announcement first", lead.mark_ready, case_id)
    lead.save_announcement(case_id, "Sam Smith was asked to leave.", "")
    reason = "the draft names or may name someone in a case: Sam, Smith, Sam Smith"
    refused(team, RuleRefused, reason, lead.mark_ready, case_id)
    lead.save_announcement(case_id, CLEAN, "Ask Lee if you are upset.")  # the note is checked too
    refused(team, RuleRefused, "the draft names or may name someone in a case: Lee", lead.mark_ready, case_id)
    lead.save_announcement(case_id, CLEAN, "We are sorry this happened.")
    lead.mark_ready(case_id)
    ann = team.cases(LEAD).open_case(case_id).steps.announcement
    assert ann is not None and ann.ready_at == STAMP


def test_saving_a_changed_draft_after_ready_makes_it_not_ready(team: Team) -> None:
    case_id = closed_case(team)
    lead = team.steps(LEAD)
    lead.save_announcement(case_id, CLEAN, "")
    lead.mark_ready(case_id)
    lead.save_announcement(case_id, CLEAN, "")  # unchanged: still ready
    assert team.cases(LEAD).open_case(case_id).steps.announcement.ready_at == STAMP  # type: ignore[union-attr]
    lead.save_announcement(case_id, CLEAN + " More.", "")
    assert team.cases(LEAD).open_case(case_id).steps.announcement.ready_at == ""  # type: ignore[union-attr]
    reason = "mark the draft ready first (it passes the privacy check)"
    refused(team, RuleRefused, reason, team.steps("Avery").mark_made, case_id)


@pytest.mark.parametrize("who", [LEAD, "Kim", "Jo"])
def test_only_the_chair_or_a_delegate_makes_an_announcement(team: Team, who: str) -> None:
    case_id = closed_case(team)
    team.steps(LEAD).save_announcement(case_id, CLEAN, "")
    team.steps(LEAD).mark_ready(case_id)
    reason = "only the chair, or a delegate the chair named, makes a public announcement"
    refused(team, RuleRefused, reason, team.steps(who).mark_made, case_id)
    refused(
        team,
        RuleRefused,
        "only the chair names delegates for announcements",
        team.steps(who).name_delegate,
        who,
    )
    team.steps("Avery").name_delegate(who)
    assert team.ids[who] in team.steps(LEAD).delegates()
    team.steps(who).mark_made(case_id)
    ann = team.cases("Avery").open_case(case_id).steps.announcement
    assert ann is not None and (ann.made_at, ann.made_by) == (STAMP, who)
    assert "member.delegate" in [e.kind for e in audit.entries(team.sessions[LEAD].db)]


def test_a_made_announcement_is_kept_as_it_was(team: Team) -> None:
    case_id = closed_case(team)
    team.steps(LEAD).save_announcement(case_id, CLEAN, "")
    team.steps(LEAD).mark_ready(case_id)
    chair = team.steps("Avery")
    chair.mark_made(case_id)
    refused(team, RuleRefused, "this announcement was already made", chair.mark_made, case_id)
    reason = "this announcement was made; it is kept as it was"
    refused(team, RuleRefused, reason, team.steps(LEAD).save_announcement, case_id, "changed", "")


def test_a_delegate_must_be_an_active_member(team: Team) -> None:
    refused(
        team,
        NotFound,
        "there is no active member called 'Nobody'",
        team.steps("Avery").name_delegate,
        "Nobody",
    )


# -- messages ----------------------------------------------------------------------------------
def test_messages_are_filled_from_the_playbook_until_the_team_saves_its_own(team: Team) -> None:
    case_id = decided_case(team)
    lead = team.steps(LEAD)
    text = lead.message(case_id, "reporter")
    assert "PyColorado 2026" in text and case_id in text
    assert "- A verbal or written warning: written" in text
    assert (
        "- Must avoid contact with, and stay away from, named people for the rest of the event: the reporter, all event"
        in text
    )
    assert "{" not in text
    assert "the conference organisers" in lead.message(case_id, "upset")
    lead.save_message(case_id, "reporter", "Our own words [b]x[/b]")
    assert lead.message(case_id, "reporter") == "Our own words [b]x[/b]"
    assert team.steps("Jo").message(case_id, "reporter") == "Our own words [b]x[/b]"
    assert "A verbal or written warning" in lead.message(case_id, "reported"), "other messages stay filled"
    lead.save_message(case_id, "reported", "Second")
    assert dict(team.cases(LEAD).open_case(case_id).steps.messages) == {
        "reporter": "Our own words [b]x[/b]",
        "reported": "Second",
    }


def test_a_message_before_the_decision_says_no_actions_yet(team: Team) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    assert "- (no actions decided yet)" in team.steps(LEAD).message(case_id, "reporter")


# -- nothing sealed reaches the disk in plaintext -----------------------------------------------
def test_no_step_text_reaches_the_disk_in_plaintext(team: Team, vault_dir: Path) -> None:
    m = {
        name: new_marker()
        for name in (
            "objective note",
            "meeting follow-up",
            "their side",
            "talk note",
            "rationale",
            "details",
            "referred",
            "reporter note",
            "appeal",
            "answer",
            "draft",
            "upset",
            "message",
        )
    }
    markers = {v: k for k, v in m.items()}
    lead, chair = team.steps(LEAD), team.steps("Avery")
    case_id = team.cases(LEAD).add_report(sample_report())
    meeting = team.meeting(LEAD, "Kim")
    meeting = replace(
        meeting,
        objectives=(Objective("pattern?", True, m["objective note"]),),
        others_followup=m["meeting follow-up"],
    )
    lead.record_meeting(case_id, meeting)
    lead.decide(
        case_id, Decision(Outcome.ACTIONS, (ChosenAction("ban", m["details"]),), f"because {m['rationale']}")
    )
    lead.record_talk(case_id, Talk(True, f"they said {m['their side']}", True, note=m["talk note"]))
    lead.record_reporter_followup(case_id, ReporterFollowUp(True, note=m["reporter note"]))
    team.cases(LEAD).move(case_id, Status.CLOSED)
    chair.receive_appeal(case_id, "2026-05-03", f"appeal {m['appeal']}")
    chair.answer_appeal(case_id, f"answer {m['answer']}", True)
    lead.save_announcement(case_id, f"Action was taken. {m['draft']}", f"Sorry. {m['upset']}")
    lead.mark_ready(case_id)
    chair.mark_made(case_id)
    lead.save_message(case_id, "reporter", f"Thanks {m['message']}")
    sent = team.cases(LEAD).add_report(sample_report("referral"))
    lead.decide(sent, Decision(Outcome.REFERRED, referred_to=f"police {m['referred']}"))

    steps = team.cases(LEAD).open_case(case_id).steps
    assert steps.appeal is not None and m["appeal"] in steps.appeal.text, "the markers were stored"
    assert verify(team.sessions[LEAD]) == []
    open_files = files_under(vault_dir)
    assert any(p.name.endswith("-wal") for p in open_files), "the WAL is scanned while open"
    assert scan(open_files, markers) == []
    team.desk.close()
    assert scan(files_under(vault_dir), markers) == []
