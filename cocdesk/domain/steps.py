"""The records of the procedure after intake (PROCEDURE.md §5–9).

The response meeting, the decision, the talk with the reported person, the
reporter's follow-up, an appeal, the public announcement and the public
summary (the case's line in the transparency report): plain data and
their JSON shapes. Each is sealed on its case as one field; the rules that
judge them live in `decision.py` and `status.py`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    ACTIONS = "actions"  # one or more actions, "no-action" included
    ESCROW = "escrow"  # the reporter asked that nothing happen unless it repeats
    REFERRED = "referred"  # not a Code of Conduct matter: sent elsewhere


@dataclass(frozen=True)
class Attendee:
    member_id: int
    name: str
    present: bool = False
    conflict: bool = False


@dataclass(frozen=True)
class Objective:
    text: str
    done: bool = False
    note: str = ""


@dataclass(frozen=True)
class Meeting:
    attendees: tuple[Attendee, ...] = ()
    objectives: tuple[Objective, ...] = ()
    talk_lead: str = ""  # the lead who speaks with the reported person
    reporter_followup: str = ""  # who follows up with the reporter
    others_followup: str = ""  # who follows up with anyone else affected, and how
    followup_by: str = ""  # by when
    at: str = ""
    by: str = ""

    @property
    def deciders(self) -> tuple[Attendee, ...]:
        """Members present with no conflict of interest: the only ones who decide."""
        return tuple(a for a in self.attendees if a.present and not a.conflict)

    @property
    def recused(self) -> tuple[Attendee, ...]:
        return tuple(a for a in self.attendees if a.conflict)


@dataclass(frozen=True)
class ChosenAction:
    code: str
    details: str = ""


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    actions: tuple[ChosenAction, ...] = ()
    rationale: str = ""
    referred_to: str = ""
    at: str = ""
    by: str = ""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.actions)


@dataclass(frozen=True)
class Talk:
    """The talk with the reported person, recorded by a lead."""

    told_what_reported: bool = False
    their_side: str = ""
    actions_told: bool = False
    apology_offered: bool = False
    apology_passed_on: bool = False
    held_on: str = ""  # when the talk took place, as the lead gives it
    note: str = ""
    at: str = ""
    by: str = ""


@dataclass(frozen=True)
class ReporterFollowUp:
    told_outcome: bool = False
    held_on: str = ""
    note: str = ""
    at: str = ""
    by: str = ""


@dataclass(frozen=True)
class Appeal:
    received_on: str
    text: str
    from_status: str  # where the case returns when the chair answers
    answer: str = ""
    stands: bool = True  # whether the decision stands after the appeal
    answered_at: str = ""
    answered_by: str = ""
    at: str = ""
    by: str = ""

    @property
    def open(self) -> bool:
        return not self.answered_at


@dataclass(frozen=True)
class Announcement:
    draft: str = ""
    upset_note: str = ""  # for attendees who were upset by the incident
    ready_at: str = ""
    made_at: str = ""
    made_by: str = ""
    at: str = ""
    by: str = ""


@dataclass(frozen=True)
class PublicSummary:
    """One short anonymised line about the case, written by the team for the transparency report."""

    text: str = ""
    at: str = ""
    by: str = ""


@dataclass(frozen=True)
class Steps:
    """Everything recorded on a case after intake; None where a step has not happened."""

    meeting: Meeting | None = None
    decision: Decision | None = None
    talk: Talk | None = None
    reporter_followup: ReporterFollowUp | None = None
    appeal: Appeal | None = None
    announcement: Announcement | None = None
    messages: tuple[tuple[str, str], ...] = ()  # (template name, text), edited by the team
    public_summary: PublicSummary | None = None


# The sealed field that holds each record.
FIELDS = (
    "meeting",
    "decision",
    "talk",
    "reporter_followup",
    "appeal",
    "announcement",
    "messages",
    "public_summary",
)


def to_data(record: object) -> Any:
    """A record as JSON-ready data (tuples become lists)."""
    if isinstance(record, tuple) and all(isinstance(p, tuple) for p in record):
        return [list(p) for p in record]
    return asdict(record)  # type: ignore[call-overload]


def _simple(cls: type, data: object) -> Any:
    """Build a flat record from a dict, checking each value's type against the defaults."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__} must be an object")
    values: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        expected = {"str": str, "bool": bool, "int": int}.get(kind)
        if expected is not None and (type(value) is not expected):
            raise ValueError(f"{cls.__name__}.{f.name} has the wrong type")
        values[f.name] = value
    try:
        return cls(**values)
    except TypeError:
        # A required key is missing: the same "wrong shape" as a wrong type.
        raise ValueError(f"{cls.__name__} is missing a required value") from None


def meeting_from(data: object) -> Meeting:
    if not isinstance(data, dict):
        raise ValueError("meeting must be an object")
    attendees = tuple(_simple(Attendee, a) for a in _list(data.get("attendees", [])))
    objectives = tuple(_simple(Objective, o) for o in _list(data.get("objectives", [])))
    flat = {k: v for k, v in data.items() if k not in ("attendees", "objectives")}
    base: Meeting = _simple(Meeting, flat)
    return Meeting(
        attendees,
        objectives,
        base.talk_lead,
        base.reporter_followup,
        base.others_followup,
        base.followup_by,
        base.at,
        base.by,
    )


def decision_from(data: object) -> Decision:
    if not isinstance(data, dict):
        raise ValueError("decision must be an object")
    actions = tuple(_simple(ChosenAction, a) for a in _list(data.get("actions", [])))
    outcome = Outcome(str(data.get("outcome")))
    flat = {k: v for k, v in data.items() if k not in ("actions", "outcome")}
    base: Decision = _simple(Decision, {**flat, "outcome": outcome})
    return Decision(outcome, actions, base.rationale, base.referred_to, base.at, base.by)


def messages_from(data: object) -> tuple[tuple[str, str], ...]:
    pairs = []
    for item in _list(data):
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(p, str) for p in item)):
            raise ValueError("messages must be pairs of text")
        pairs.append((item[0], item[1]))
    return tuple(pairs)


def talk_from(data: object) -> Talk:
    return _simple(Talk, data)  # type: ignore[no-any-return]


def followup_from(data: object) -> ReporterFollowUp:
    return _simple(ReporterFollowUp, data)  # type: ignore[no-any-return]


def appeal_from(data: object) -> Appeal:
    return _simple(Appeal, data)  # type: ignore[no-any-return]


def announcement_from(data: object) -> Announcement:
    return _simple(Announcement, data)  # type: ignore[no-any-return]


def public_summary_from(data: object) -> PublicSummary:
    return _simple(PublicSummary, data)  # type: ignore[no-any-return]


def steps_from(values: dict[str, object]) -> Steps:
    """The records among a case's opened fields (ValueError if one has the wrong shape)."""
    return Steps(
        meeting=meeting_from(values["meeting"]) if "meeting" in values else None,
        decision=decision_from(values["decision"]) if "decision" in values else None,
        talk=talk_from(values["talk"]) if "talk" in values else None,
        reporter_followup=(
            followup_from(values["reporter_followup"]) if "reporter_followup" in values else None
        ),
        appeal=appeal_from(values["appeal"]) if "appeal" in values else None,
        announcement=announcement_from(values["announcement"]) if "announcement" in values else None,
        messages=messages_from(values["messages"]) if "messages" in values else (),
        public_summary=(
            public_summary_from(values["public_summary"]) if "public_summary" in values else None
        ),
    )


def _list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise ValueError("expected a list")
    return value
