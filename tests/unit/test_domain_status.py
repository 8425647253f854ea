"""The case lifecycle: which moves are allowed, and the reason given when refused."""

from __future__ import annotations

import pytest

from cocdesk.domain.roles import Role
from cocdesk.domain.status import CaseFacts, Status, refusal


def test_intake_moves_a_new_case_to_reported() -> None:
    assert refusal(CaseFacts(Status.NEW), Status.REPORTED, Role.RESPONDER) is None


def test_review_needs_a_meeting_with_two_members() -> None:
    reason = refusal(CaseFacts(Status.REPORTED, meeting_attendees=1), Status.IN_REVIEW, Role.LEAD)
    assert reason == "a review needs a meeting record with at least two members present"
    assert refusal(CaseFacts(Status.REPORTED, meeting_attendees=2), Status.IN_REVIEW, Role.LEAD) is None


def test_decision_needs_a_meeting_record_and_an_action() -> None:
    facts = CaseFacts(Status.IN_REVIEW, meeting_attendees=1, actions=("warning",))
    assert "at least two members present" in (refusal(facts, Status.DECIDED, Role.LEAD) or "")
    facts = CaseFacts(Status.IN_REVIEW, meeting_attendees=3)
    assert "at least one action" in (refusal(facts, Status.DECIDED, Role.LEAD) or "")
    facts = CaseFacts(Status.IN_REVIEW, meeting_attendees=3, actions=("no-action",))
    assert refusal(facts, Status.DECIDED, Role.LEAD) is None


def test_only_a_lead_communicates_and_only_after_the_talk() -> None:
    facts = CaseFacts(Status.DECIDED, talk_recorded=True)
    assert (
        refusal(facts, Status.COMMUNICATED, Role.RESPONDER) == "only a lead speaks with the reported person"
    )
    assert refusal(CaseFacts(Status.DECIDED), Status.COMMUNICATED, Role.LEAD) == (
        "record the talk with the reported person first"
    )
    assert refusal(facts, Status.COMMUNICATED, Role.LEAD) is None


@pytest.mark.parametrize("start", [Status.COMMUNICATED, Status.CLOSED])
def test_appeals_go_to_the_chair_and_return_to_where_they_came_from(start: Status) -> None:
    assert refusal(CaseFacts(start), Status.APPEALED, Role.LEAD) == "appeals go to the conference chair"
    assert refusal(CaseFacts(start), Status.APPEALED, Role.CHAIR) is None
    open_appeal = CaseFacts(Status.APPEALED, appeal_from=start)
    assert refusal(open_appeal, start, Role.CHAIR) == "record the chair's answer to the appeal first"
    answered = CaseFacts(Status.APPEALED, appeal_from=start, appeal_answered=True)
    assert refusal(answered, start, Role.CHAIR) is None


def test_referral_is_only_from_reported_and_by_a_lead_or_chair() -> None:
    assert refusal(CaseFacts(Status.REPORTED), Status.REFERRED, Role.RESPONDER) is not None
    assert refusal(CaseFacts(Status.REPORTED), Status.REFERRED, Role.CHAIR) is None
    assert refusal(CaseFacts(Status.DECIDED), Status.REFERRED, Role.CHAIR) == (
        "a case that is decided cannot become referred"
    )


@pytest.mark.parametrize("status", list(Status))
def test_no_case_moves_to_its_own_status(status: Status) -> None:
    assert refusal(CaseFacts(status), status, Role.CHAIR) == f"the case is already {status.value}"


def test_skipping_steps_is_refused_with_a_reason() -> None:
    assert refusal(CaseFacts(Status.REPORTED), Status.CLOSED, Role.CHAIR) == (
        "a case that is reported cannot become closed"
    )
