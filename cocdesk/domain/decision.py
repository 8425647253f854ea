"""What makes a decision record complete (PROCEDURE.md §7), judged before it is stored."""

from __future__ import annotations

from collections.abc import Mapping

from cocdesk.domain.steps import Decision, Outcome

NO_ACTION = "no-action"


def decision_problem(decision: Decision, known: Mapping[str, str]) -> str | None:
    """None if the decision may be recorded; otherwise what is missing or wrong.

    `known` maps each action code of the playbook to the details it requires
    ("" when details are optional), e.g. whom to avoid, how long a ban lasts.
    """
    codes = decision.codes
    if decision.outcome == Outcome.REFERRED:
        if codes:
            return "a referred report takes no actions here; say where it was referred"
        if not decision.referred_to.strip():
            return "say where the report was referred (police, venue, another team…)"
        return None
    if decision.outcome == Outcome.ESCROW:
        if codes:
            return "a report held in escrow takes no actions until the behaviour repeats"
        return None
    if not codes:
        return "choose at least one action (no action counts as one)"
    if len(set(codes)) != len(codes):
        return "an action is chosen twice"
    for action in decision.actions:
        if action.code not in known:
            return f"'{action.code}' is not an action in this event's playbook"
        needed = known[action.code]
        if needed and not action.details.strip():
            return f"{action.code} needs its details: {needed}"
    if NO_ACTION in codes and len(codes) > 1:
        return "no action cannot be combined with other actions"
    return None


def only_no_action(codes: tuple[str, ...]) -> bool:
    return codes == (NO_ACTION,)
