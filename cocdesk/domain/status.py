"""The case lifecycle and the one place its rules live (DESIGN.md, "Case lifecycle")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cocdesk.domain.roles import Role


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
    """What the rules need to know about a case to judge a move."""

    status: Status
    meeting_attendees: int = 0
    actions: tuple[str, ...] = ()
    talk_recorded: bool = False
    appeal_from: Status | None = None
    appeal_answered: bool = False


def refusal(facts: CaseFacts, target: Status, actor: Role) -> str | None:
    """None if the case may move to `target`; otherwise the reason it may not."""
    s = facts.status
    if target == s:
        return f"the case is already {s.value}"
    if s == Status.NEW and target == Status.REPORTED:
        return None
    if s == Status.REPORTED and target == Status.IN_REVIEW:
        if facts.meeting_attendees < 2:
            return "a review needs a meeting record with at least two members present"
        return None
    if s == Status.REPORTED and target == Status.REFERRED:
        if actor not in (Role.LEAD, Role.CHAIR):
            return "only a lead or the chair may refer a report elsewhere"
        return None
    if s == Status.IN_REVIEW and target == Status.DECIDED:
        if facts.meeting_attendees < 2:
            return "a decision needs a meeting record with at least two members present"
        if not facts.actions:
            return "a decision needs at least one action (no-action counts)"
        return None
    if s == Status.DECIDED and target == Status.COMMUNICATED:
        if actor != Role.LEAD:
            return "only a lead speaks with the reported person"
        if not facts.talk_recorded:
            return "record the talk with the reported person first"
        return None
    if s == Status.COMMUNICATED and target == Status.CLOSED:
        if actor not in (Role.LEAD, Role.CHAIR):
            return "only a lead or the chair may close a case"
        return None
    if s in (Status.COMMUNICATED, Status.CLOSED) and target == Status.APPEALED:
        if actor != Role.CHAIR:
            return "appeals go to the conference chair"
        return None
    if s == Status.APPEALED and target == facts.appeal_from:
        if actor != Role.CHAIR:
            return "only the chair answers an appeal"
        if not facts.appeal_answered:
            return "record the chair's answer to the appeal first"
        return None
    return f"a case that is {s.value} cannot become {target.value}"
