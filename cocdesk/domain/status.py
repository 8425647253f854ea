"""The case lifecycle and the one place its rules live (DESIGN.md, "Case lifecycle")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cocdesk.domain.decision import only_no_action
from cocdesk.domain.roles import (
    Role,
    may_answer_appeal,
    may_close,
    may_mark_appealed,
    may_refer,
    may_talk_to_reported,
)
from cocdesk.domain.steps import Outcome, Steps


class Status(StrEnum):
    NEW = "new"
    REPORTED = "reported"
    IN_REVIEW = "in_review"
    DECIDED = "decided"
    COMMUNICATED = "communicated"
    CLOSED = "closed"
    APPEALED = "appealed"
    REFERRED = "referred"


@dataclass(frozen=True)
class CaseFacts:
    """What the rules need to know about a case, and about who asks, to judge a move."""

    status: Status
    deciders: int = 0  # members at the meeting, present, with no conflict of interest
    actor_recused: bool = False
    outcome: Outcome | None = None
    actions: tuple[str, ...] = ()
    referred_to: str = ""
    talk_recorded: bool = False
    appeal_from: Status | None = None
    appeal_received: bool = False
    appeal_answered: bool = False


MEETING_NEEDED = "at least two members present who declared no conflict of interest"


def refusal(facts: CaseFacts, target: Status, actor: Role) -> str | None:
    """None if the case may move to `target`; otherwise the reason it may not."""
    s = facts.status
    if target == s:
        return f"the case is already {s.value.replace('_', ' ')}"
    if facts.actor_recused:
        return "you declared a conflict of interest in this case and take no further part"
    if s == Status.NEW and target == Status.REPORTED:
        return None
    if s == Status.REPORTED and target == Status.IN_REVIEW:
        if facts.deciders < 2:
            return f"a review needs a meeting record with {MEETING_NEEDED}"
        return None
    if s == Status.REPORTED and target in (Status.DECIDED, Status.CLOSED):
        # Recording the meeting moves the case to review: a decision comes after it.
        return f"a decision needs a meeting record with {MEETING_NEEDED}"
    if s in (Status.REPORTED, Status.IN_REVIEW) and target == Status.REFERRED:
        if reason := may_refer(actor):
            return reason
        if facts.outcome != Outcome.REFERRED or not facts.referred_to.strip():
            return "say where the report was referred (decision screen)"
        return None
    if s == Status.IN_REVIEW and target == Status.DECIDED:
        if facts.deciders < 2:
            return f"a decision needs a meeting record with {MEETING_NEEDED}"
        if facts.outcome != Outcome.ACTIONS or not facts.actions:
            return "a decision needs at least one action (no action counts)"
        if "no-action" in facts.actions and len(facts.actions) > 1:
            return "no action cannot be combined with other actions"
        return None
    if s == Status.IN_REVIEW and target == Status.CLOSED:
        if facts.outcome != Outcome.ESCROW:
            return "only a report held in escrow closes straight after the meeting"
        if facts.deciders < 2:
            return f"holding a report in escrow needs a meeting record with {MEETING_NEEDED}"
        return None
    if s == Status.DECIDED and target == Status.COMMUNICATED:
        if reason := may_talk_to_reported(actor):
            return reason
        if not facts.talk_recorded:
            return "record the talk with the reported person, the actions told, first (follow-up screen)"
        return None
    if s == Status.DECIDED and target == Status.CLOSED:
        if reason := may_close(actor):
            return reason
        if not only_no_action(facts.actions):
            return "a lead tells the reported person the actions first (follow-up screen)"
        return None
    if s == Status.COMMUNICATED and target == Status.CLOSED:
        if reason := may_close(actor):
            return reason
        return None
    if s in (Status.COMMUNICATED, Status.CLOSED) and target == Status.APPEALED:
        if reason := may_mark_appealed(actor):
            return reason
        if facts.outcome != Outcome.ACTIONS or only_no_action(facts.actions):
            return "only a decision that took actions can be appealed"
        if not facts.appeal_received:
            return "record the appeal received first (follow-up screen)"
        return None
    if s == Status.APPEALED and target == facts.appeal_from:
        if reason := may_answer_appeal(actor):
            return reason
        if not facts.appeal_answered:
            return "record the chair's answer to the appeal first"
        return None
    return f"a case that is {s.value.replace('_', ' ')} cannot become {target.value.replace('_', ' ')}"


def facts_from(status: Status, steps: Steps, member_id: int, recused: set[int] | None = None) -> CaseFacts:
    """The facts of a case as its recorded steps tell them, for member `member_id`.

    `recused` is who is recused now (a lead may have lifted a recusal the meeting
    record still shows); without it, the meeting record's declarations count.
    """
    meeting, decision, appeal = steps.meeting, steps.decision, steps.appeal
    from_status = None
    if appeal is not None and appeal.from_status in Status.__members__.values():
        from_status = Status(appeal.from_status)
    if recused is None:
        recused = {a.member_id for a in meeting.recused} if meeting else set()
    return CaseFacts(
        status=status,
        deciders=len(meeting.deciders) if meeting else 0,
        actor_recused=member_id in recused,
        outcome=decision.outcome if decision else None,
        actions=decision.codes if decision else (),
        referred_to=decision.referred_to if decision else "",
        talk_recorded=steps.talk is not None and steps.talk.told_what_reported and steps.talk.actions_told,
        appeal_from=from_status,
        appeal_received=appeal is not None,
        appeal_answered=appeal is not None and not appeal.open,
    )


# How far along the procedure each status is (APPEALED is placed by the appeal record).
_RANK = {
    Status.NEW: 0,
    Status.REPORTED: 1,
    Status.IN_REVIEW: 2,
    Status.DECIDED: 3,
    Status.REFERRED: 3,
    Status.COMMUNICATED: 4,
    Status.CLOSED: 5,
    Status.APPEALED: 6,
}


def stage(status: Status, steps: Steps) -> tuple[int, int]:
    """How far along the procedure a case is; every move `refusal` allows makes it larger.

    An appeal sends a case back to the status it came from, so the appeal record
    counts first: none, received (APPEALED is then the furthest), answered (the
    status it returns to is then further than APPEALED). A copy of the case with a
    smaller stage is an older one: merging it must not move the case backwards.
    """
    appeal = steps.appeal
    if appeal is None:
        return (0, _RANK[status])
    if appeal.open:
        return (1, _RANK[status])
    return (2, 0 if status == Status.APPEALED else _RANK[status])
