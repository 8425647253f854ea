"""The case lifecycle: which moves are allowed, and the reason given when refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cocdesk.domain.roles import Role
from cocdesk.domain.status import CaseFacts, Status, facts_from, refusal, stage
from cocdesk.domain.steps import Appeal, Attendee, ChosenAction, Decision, Meeting, Outcome, Steps, Talk

MEETING = "at least two members present who declared no conflict of interest"
RECUSED = "you declared a conflict of interest in this case and take no further part"

# Facts that satisfy every rule of the move they name, so each test can break one thing.
REVIEWABLE = CaseFacts(Status.REPORTED, deciders=2)
DECIDABLE = CaseFacts(Status.IN_REVIEW, deciders=2, outcome=Outcome.ACTIONS, actions=("warning",))
ESCROWED = CaseFacts(Status.IN_REVIEW, deciders=2, outcome=Outcome.ESCROW)
REFERRABLE = CaseFacts(Status.REPORTED, outcome=Outcome.REFERRED, referred_to="venue security")
TALKED = CaseFacts(
    Status.DECIDED, deciders=2, outcome=Outcome.ACTIONS, actions=("warning",), talk_recorded=True
)
APPEALABLE = CaseFacts(
    Status.COMMUNICATED, deciders=2, outcome=Outcome.ACTIONS, actions=("warning",), appeal_received=True
)


def test_intake_moves_a_new_case_to_reported() -> None:
    assert refusal(CaseFacts(Status.NEW), Status.REPORTED, Role.RESPONDER) is None


# -- the meeting ------------------------------------------------------------------------
def test_review_needs_a_meeting_with_two_members() -> None:
    reason = refusal(CaseFacts(Status.REPORTED, deciders=1), Status.IN_REVIEW, Role.LEAD)
    assert reason == f"a review needs a meeting record with {MEETING}"
    assert refusal(CaseFacts(Status.REPORTED, deciders=2), Status.IN_REVIEW, Role.LEAD) is None


@pytest.mark.parametrize("role", list(Role))
def test_any_member_may_record_the_review_once_two_deciders_met(role: Role) -> None:
    assert refusal(REVIEWABLE, Status.IN_REVIEW, role) is None
    assert refusal(replace(REVIEWABLE, deciders=0), Status.IN_REVIEW, role) == (
        f"a review needs a meeting record with {MEETING}"
    )


def test_deciders_count_only_members_present_without_a_conflict() -> None:
    meeting = Meeting(
        (
            Attendee(1, "Robin", present=True),
            Attendee(2, "Kim", present=True, conflict=True),
            Attendee(3, "Avery", present=False),
        )
    )
    facts = facts_from(Status.REPORTED, Steps(meeting=meeting), member_id=1)
    assert facts.deciders == 1
    assert refusal(facts, Status.IN_REVIEW, Role.LEAD) == f"a review needs a meeting record with {MEETING}"
    both = replace(meeting, attendees=(*meeting.attendees[:2], Attendee(3, "Avery", present=True)))
    assert refusal(facts_from(Status.REPORTED, Steps(meeting=both), 1), Status.IN_REVIEW, Role.LEAD) is None


# -- referral ---------------------------------------------------------------------------
@pytest.mark.parametrize("start", [Status.REPORTED, Status.IN_REVIEW])
def test_referral_needs_a_lead_or_the_chair_and_a_destination(start: Status) -> None:
    facts = replace(REFERRABLE, status=start)
    assert refusal(facts, Status.REFERRED, Role.RESPONDER) == (
        "only a lead or the chair may refer a report elsewhere"
    )
    assert refusal(facts, Status.REFERRED, Role.LEAD) is None
    assert refusal(facts, Status.REFERRED, Role.CHAIR) is None
    nowhere = replace(facts, referred_to="   ")
    assert (
        refusal(nowhere, Status.REFERRED, Role.LEAD) == "say where the report was referred (decision screen)"
    )
    not_a_referral = replace(facts, outcome=Outcome.ACTIONS)
    assert refusal(not_a_referral, Status.REFERRED, Role.LEAD) == (
        "say where the report was referred (decision screen)"
    )


def test_referral_is_only_from_reported_or_in_review() -> None:
    assert refusal(CaseFacts(Status.REPORTED), Status.REFERRED, Role.RESPONDER) is not None
    assert refusal(REFERRABLE, Status.REFERRED, Role.CHAIR) is None
    assert refusal(replace(REFERRABLE, status=Status.DECIDED), Status.REFERRED, Role.CHAIR) == (
        "a case that is decided cannot become referred"
    )


# -- the decision -----------------------------------------------------------------------
def test_decision_needs_a_meeting_record_and_an_action() -> None:
    facts = replace(DECIDABLE, deciders=1)
    assert refusal(facts, Status.DECIDED, Role.LEAD) == f"a decision needs a meeting record with {MEETING}"
    facts = replace(DECIDABLE, actions=())
    assert (
        refusal(facts, Status.DECIDED, Role.LEAD) == "a decision needs at least one action (no action counts)"
    )
    facts = replace(DECIDABLE, actions=("no-action",))
    assert refusal(facts, Status.DECIDED, Role.LEAD) is None


@pytest.mark.parametrize("outcome", [None, Outcome.ESCROW, Outcome.REFERRED])
def test_a_decision_that_is_not_about_actions_does_not_make_a_case_decided(outcome: Outcome | None) -> None:
    facts = replace(DECIDABLE, outcome=outcome)
    assert (
        refusal(facts, Status.DECIDED, Role.LEAD) == "a decision needs at least one action (no action counts)"
    )


def test_no_action_cannot_be_combined_with_other_actions() -> None:
    facts = replace(DECIDABLE, actions=("no-action", "warning"))
    assert refusal(facts, Status.DECIDED, Role.LEAD) == "no action cannot be combined with other actions"
    assert refusal(replace(DECIDABLE, actions=("warning", "ban")), Status.DECIDED, Role.LEAD) is None


def test_a_decision_is_only_made_after_the_meeting() -> None:
    assert refusal(replace(DECIDABLE, status=Status.REPORTED), Status.DECIDED, Role.LEAD) == (
        f"a decision needs a meeting record with {MEETING}"
    )


# -- escrow -----------------------------------------------------------------------------
def test_escrow_closes_a_case_straight_from_review() -> None:
    assert refusal(ESCROWED, Status.CLOSED, Role.LEAD) is None
    assert refusal(replace(ESCROWED, deciders=1), Status.CLOSED, Role.LEAD) == (
        f"holding a report in escrow needs a meeting record with {MEETING}"
    )
    assert refusal(replace(ESCROWED, outcome=Outcome.ACTIONS), Status.CLOSED, Role.LEAD) == (
        "only a report held in escrow closes straight after the meeting"
    )


def test_escrow_closes_from_in_review_only() -> None:
    assert refusal(replace(ESCROWED, status=Status.REPORTED), Status.CLOSED, Role.LEAD) == (
        f"a decision needs a meeting record with {MEETING}"
    )


# -- the talk ---------------------------------------------------------------------------
def test_only_a_lead_communicates_and_only_after_the_talk() -> None:
    assert (
        refusal(TALKED, Status.COMMUNICATED, Role.RESPONDER) == "only a lead speaks with the reported person"
    )
    assert refusal(TALKED, Status.COMMUNICATED, Role.CHAIR) == "only a lead speaks with the reported person"
    assert refusal(replace(TALKED, talk_recorded=False), Status.COMMUNICATED, Role.LEAD) == (
        "record the talk with the reported person, the actions told, first (follow-up screen)"
    )
    assert refusal(TALKED, Status.COMMUNICATED, Role.LEAD) is None


def test_a_talk_counts_once_the_reported_person_was_told_what_was_reported_and_the_actions() -> None:
    steps = Steps(talk=Talk(told_what_reported=False, their_side="x", actions_told=True))
    assert facts_from(Status.DECIDED, steps, 1).talk_recorded is False
    steps = Steps(talk=Talk(told_what_reported=True))
    assert facts_from(Status.DECIDED, steps, 1).talk_recorded is False
    steps = Steps(talk=Talk(told_what_reported=True, actions_told=True))
    assert facts_from(Status.DECIDED, steps, 1).talk_recorded is True


# -- closing ----------------------------------------------------------------------------
def test_a_decided_case_closes_without_a_talk_only_when_no_action_was_taken() -> None:
    nothing = replace(TALKED, actions=("no-action",), talk_recorded=False)
    assert refusal(nothing, Status.CLOSED, Role.LEAD) is None
    assert refusal(nothing, Status.CLOSED, Role.CHAIR) is None
    assert refusal(nothing, Status.CLOSED, Role.RESPONDER) == "only a lead or the chair may close a case"
    acted = replace(TALKED, talk_recorded=False)
    assert refusal(acted, Status.CLOSED, Role.LEAD) == (
        "a lead tells the reported person the actions first (follow-up screen)"
    )


def test_a_communicated_case_is_closed_by_a_lead_or_the_chair() -> None:
    facts = replace(TALKED, status=Status.COMMUNICATED)
    assert refusal(facts, Status.CLOSED, Role.LEAD) is None
    assert refusal(facts, Status.CLOSED, Role.CHAIR) is None
    assert refusal(facts, Status.CLOSED, Role.RESPONDER) == "only a lead or the chair may close a case"


# -- appeals ----------------------------------------------------------------------------
@pytest.mark.parametrize("start", [Status.COMMUNICATED, Status.CLOSED])
def test_appeals_go_to_the_chair_and_return_to_where_they_came_from(start: Status) -> None:
    facts = replace(APPEALABLE, status=start)
    assert refusal(facts, Status.APPEALED, Role.LEAD) == "appeals go to the conference chair"
    assert refusal(facts, Status.APPEALED, Role.RESPONDER) == "appeals go to the conference chair"
    assert refusal(facts, Status.APPEALED, Role.CHAIR) is None
    open_appeal = replace(facts, status=Status.APPEALED, appeal_from=start)
    assert refusal(open_appeal, start, Role.CHAIR) == "record the chair's answer to the appeal first"
    answered = replace(open_appeal, appeal_answered=True)
    assert refusal(answered, start, Role.LEAD) == "only the chair answers an appeal"
    assert refusal(answered, start, Role.CHAIR) is None


def test_an_appeal_must_be_recorded_before_the_case_shows_appealed() -> None:
    assert refusal(replace(APPEALABLE, appeal_received=False), Status.APPEALED, Role.CHAIR) == (
        "record the appeal received first (follow-up screen)"
    )


@pytest.mark.parametrize(
    ("outcome", "actions"),
    [(Outcome.ACTIONS, ("no-action",)), (Outcome.ESCROW, ()), (Outcome.REFERRED, ()), (None, ())],
)
def test_only_a_decision_with_actions_can_be_appealed(
    outcome: Outcome | None, actions: tuple[str, ...]
) -> None:
    facts = replace(APPEALABLE, status=Status.CLOSED, outcome=outcome, actions=actions)
    assert refusal(facts, Status.APPEALED, Role.CHAIR) == "only a decision that took actions can be appealed"


@pytest.mark.parametrize("start", [Status.REPORTED, Status.IN_REVIEW, Status.DECIDED, Status.REFERRED])
def test_appeals_are_only_for_a_decision_told_to_the_reported_person(start: Status) -> None:
    facts = replace(APPEALABLE, status=start)
    assert refusal(facts, Status.APPEALED, Role.CHAIR) == (
        f"a case that is {start.value.replace('_', ' ')} cannot become appealed"
    )


@pytest.mark.parametrize("start", [Status.COMMUNICATED, Status.CLOSED])
def test_an_answered_appeal_returns_only_to_the_status_it_came_from(start: Status) -> None:
    other = Status.CLOSED if start == Status.COMMUNICATED else Status.COMMUNICATED
    answered = replace(APPEALABLE, status=Status.APPEALED, appeal_from=start, appeal_answered=True)
    assert refusal(answered, other, Role.CHAIR) == f"a case that is appealed cannot become {other.value}"
    assert refusal(answered, Status.REPORTED, Role.CHAIR) == "a case that is appealed cannot become reported"


def test_an_appeal_remembers_where_it_came_from() -> None:
    steps = Steps(
        decision=Decision(Outcome.ACTIONS, (ChosenAction("warning"),)),
        appeal=Appeal("2026-05-03", "they disagree", "closed"),
    )
    facts = facts_from(Status.APPEALED, steps, 1)
    assert (facts.appeal_from, facts.appeal_received, facts.appeal_answered) == (Status.CLOSED, True, False)
    done = replace(steps, appeal=replace(steps.appeal, answered_at="2026-05-04T10:00:00Z"))  # type: ignore[arg-type]
    assert facts_from(Status.APPEALED, done, 1).appeal_answered is True
    nonsense = replace(steps, appeal=Appeal("2026-05-03", "x", "somewhere"))
    assert facts_from(Status.APPEALED, nonsense, 1).appeal_from is None


# -- recusal ----------------------------------------------------------------------------
ALLOWED = [
    (CaseFacts(Status.REPORTED, deciders=2), Status.IN_REVIEW, Role.RESPONDER),
    (REFERRABLE, Status.REFERRED, Role.LEAD),
    (DECIDABLE, Status.DECIDED, Role.LEAD),
    (ESCROWED, Status.CLOSED, Role.LEAD),
    (TALKED, Status.COMMUNICATED, Role.LEAD),
    (replace(TALKED, status=Status.COMMUNICATED), Status.CLOSED, Role.CHAIR),
    (replace(APPEALABLE, status=Status.CLOSED), Status.APPEALED, Role.CHAIR),
    (
        replace(APPEALABLE, status=Status.APPEALED, appeal_from=Status.CLOSED, appeal_answered=True),
        Status.CLOSED,
        Role.CHAIR,
    ),
]


@pytest.mark.parametrize(("facts", "target", "role"), ALLOWED)
def test_a_recused_member_is_refused_every_move_with_the_reason(
    facts: CaseFacts, target: Status, role: Role
) -> None:
    assert refusal(facts, target, role) is None, "the facts allow the move for a member with no conflict"
    assert refusal(replace(facts, actor_recused=True), target, role) == RECUSED


def test_recusal_is_read_from_the_meeting_record_for_the_member_asking() -> None:
    meeting = Meeting((Attendee(1, "Robin", present=True), Attendee(2, "Kim", present=True, conflict=True)))
    assert facts_from(Status.REPORTED, Steps(meeting=meeting), 2).actor_recused is True
    assert facts_from(Status.REPORTED, Steps(meeting=meeting), 1).actor_recused is False
    assert facts_from(Status.REPORTED, Steps(), 2).actor_recused is False


# -- everything else --------------------------------------------------------------------
@pytest.mark.parametrize("status", list(Status))
def test_no_case_moves_to_its_own_status(status: Status) -> None:
    assert (
        refusal(CaseFacts(status), status, Role.CHAIR)
        == f"the case is already {status.value.replace('_', ' ')}"
    )


def test_skipping_steps_is_refused_with_a_reason() -> None:
    assert refusal(CaseFacts(Status.REPORTED), Status.CLOSED, Role.CHAIR) == (
        f"a decision needs a meeting record with {MEETING}"
    )
    assert refusal(CaseFacts(Status.REPORTED), Status.COMMUNICATED, Role.LEAD) == (
        "a case that is reported cannot become communicated"
    )


@pytest.mark.parametrize("status", list(Status))
def test_nothing_goes_back_to_new(status: Status) -> None:
    if status == Status.NEW:
        return
    assert refusal(CaseFacts(status), Status.NEW, Role.CHAIR) == (
        f"a case that is {status.value.replace('_', ' ')} cannot become new"
    )


def test_a_referred_case_is_final() -> None:
    for target in Status:
        if target != Status.REFERRED:
            assert refusal(replace(REFERRABLE, status=Status.REFERRED), target, Role.CHAIR) == (
                f"a case that is referred cannot become {target.value.replace('_', ' ')}"
            )


def test_every_refusal_is_a_sentence_a_person_can_act_on() -> None:
    """No reason is empty, none leaks a Python name, and each says what to do or why not."""
    seen: set[str] = set()
    facts_list = [CaseFacts(s) for s in Status] + [f for f, _, _ in ALLOWED]
    for facts in facts_list:
        for target in Status:
            for role in Role:
                for recused in (False, True):
                    reason = refusal(replace(facts, actor_recused=recused), target, role)
                    if reason is not None:
                        seen.add(reason)
    for reason in seen:
        assert reason.strip() == reason and reason[0].islower() and len(reason.split()) >= 4, reason
        assert "_" not in reason and "Status." not in reason and "None" not in reason, reason


def test_every_move_of_the_journey_takes_a_case_further_along() -> None:
    """A merge never moves a case to a smaller stage (issue 14.3): each real move is a larger one."""
    received = Appeal("2026-05-09", "I disagree", Status.CLOSED.value)
    answered = replace(received, answer="it stands", answered_at="2026-05-10T10:00:00Z")
    journey = [
        (Status.REPORTED, Steps()),
        (Status.IN_REVIEW, Steps()),
        (Status.DECIDED, Steps()),
        (Status.COMMUNICATED, Steps()),
        (Status.CLOSED, Steps()),
        (Status.CLOSED, Steps(appeal=received)),
        (Status.APPEALED, Steps(appeal=received)),
        (Status.APPEALED, Steps(appeal=answered)),
        (Status.CLOSED, Steps(appeal=answered)),
    ]
    stages = [stage(status, steps) for status, steps in journey]
    assert stages == sorted(stages) and len(set(stages)) == len(stages)
    assert stage(Status.REFERRED, Steps()) > stage(Status.IN_REVIEW, Steps())
    assert stage(Status.CLOSED, Steps()) > stage(Status.IN_REVIEW, Steps())  # escrow
