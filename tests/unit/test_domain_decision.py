"""What makes a decision record complete (PROCEDURE.md §7), judged before anything is stored."""

from __future__ import annotations

import pytest

from cocdesk.domain.decision import NO_ACTION, decision_problem, only_no_action
from cocdesk.domain.steps import ChosenAction, Decision, Outcome
from cocdesk.playbook import load_default

KNOWN = load_default().action_details


def _actions(*codes: str, details: str = "") -> Decision:
    return Decision(Outcome.ACTIONS, tuple(ChosenAction(c, details) for c in codes))


def test_the_default_playbook_says_which_actions_need_details() -> None:
    assert KNOWN["ban"] == "How long the ban lasts"
    assert KNOWN["avoid-contact"] == "Whom to avoid"
    assert KNOWN["warning"] == ""  # details offered, not required
    assert KNOWN[NO_ACTION] == ""


@pytest.mark.parametrize(
    "decision",
    [
        _actions(NO_ACTION),
        _actions("warning"),
        _actions("warning", "no-social-events"),
        Decision(Outcome.ACTIONS, (ChosenAction("ban", "two years"), ChosenAction("warning"))),
        Decision(Outcome.ESCROW, rationale="only if it happens again"),
        Decision(Outcome.ESCROW),
        Decision(Outcome.REFERRED, referred_to="local police"),
    ],
)
def test_a_complete_decision_has_no_problem(decision: Decision) -> None:
    assert decision_problem(decision, KNOWN) is None


def test_a_decision_needs_at_least_one_action() -> None:
    assert decision_problem(Decision(Outcome.ACTIONS), KNOWN) == (
        "choose at least one action (no action counts as one)"
    )


@pytest.mark.parametrize("other", ["warning", "ban", "other"])
def test_no_action_is_exclusive(other: str) -> None:
    decision = Decision(Outcome.ACTIONS, (ChosenAction(NO_ACTION), ChosenAction(other, "some details")))
    assert decision_problem(decision, KNOWN) == "no action cannot be combined with other actions"


def test_an_action_is_chosen_once() -> None:
    assert decision_problem(_actions("warning", "warning"), KNOWN) == "an action is chosen twice"


@pytest.mark.parametrize(
    ("code", "needed"),
    [
        ("ban", "How long the ban lasts"),
        ("avoid-contact", "Whom to avoid"),
        ("grant-repayment", "Which grant, and the term that allows it"),
        ("other", "What the action is"),
    ],
)
@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_an_action_that_needs_details_is_refused_without_them(code: str, needed: str, blank: str) -> None:
    decision = Decision(Outcome.ACTIONS, (ChosenAction(code, blank),))
    assert decision_problem(decision, KNOWN) == f"{code} needs its details: {needed}"
    filled = Decision(Outcome.ACTIONS, (ChosenAction(code, "written down"),))
    assert decision_problem(filled, KNOWN) is None


def test_details_are_optional_where_the_playbook_does_not_require_them() -> None:
    assert decision_problem(_actions("warning", "talk-ended", "public-account"), KNOWN) is None


def test_an_action_outside_the_playbook_is_refused() -> None:
    assert (
        decision_problem(_actions("flogging"), KNOWN)
        == "'flogging' is not an action in this event's playbook"
    )


def test_an_event_playbook_decides_what_is_known() -> None:
    own = {"warning": "", "ban": "Until when"}
    assert decision_problem(_actions("no-social-events"), own) == (
        "'no-social-events' is not an action in this event's playbook"
    )
    assert decision_problem(Decision(Outcome.ACTIONS, (ChosenAction("ban"),)), own) == (
        "ban needs its details: Until when"
    )


@pytest.mark.parametrize("where", ["", "   ", "\n"])
def test_a_referral_says_where_the_report_went(where: str) -> None:
    assert decision_problem(Decision(Outcome.REFERRED, referred_to=where), KNOWN) == (
        "say where the report was referred (police, venue, another team…)"
    )


def test_a_referral_takes_no_actions_here() -> None:
    decision = Decision(Outcome.REFERRED, (ChosenAction("warning"),), referred_to="venue")
    assert decision_problem(decision, KNOWN) == (
        "a referred report takes no actions here; say where it was referred"
    )


@pytest.mark.parametrize("code", [NO_ACTION, "warning"])
def test_escrow_takes_no_actions(code: str) -> None:
    decision = Decision(Outcome.ESCROW, (ChosenAction(code),))
    assert decision_problem(decision, KNOWN) == (
        "a report held in escrow takes no actions until the behaviour repeats"
    )


def test_only_no_action_means_exactly_no_action() -> None:
    assert only_no_action((NO_ACTION,))
    assert not only_no_action(())
    assert not only_no_action(("warning",))
    assert not only_no_action((NO_ACTION, "warning"))
