"""The records after intake and their JSON shapes: exact round trips, strict on shape."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocdesk.domain.steps import (
    FIELDS,
    Announcement,
    Appeal,
    Attendee,
    ChosenAction,
    Decision,
    Meeting,
    Objective,
    Outcome,
    ReporterFollowUp,
    Steps,
    Talk,
    steps_from,
    to_data,
)

# Any text at all: control characters, escape sequences, markup, lone surrogates.
TEXT = st.text(st.characters(exclude_categories=()), max_size=30) | st.sampled_from(
    ["", "[bold]x[/]", "\x1b[2J", "\u202e", "\x00", "\ud800", "Ünïcödé ✓"]
)
SIMPLE = {"str": TEXT, "bool": st.booleans(), "int": st.integers()}


def flat(cls: type, **given_fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Every field of a flat record drawn from its type, unless given."""
    chosen = {
        f.name: given_fields[f.name] if f.name in given_fields else SIMPLE[str(f.type)] for f in fields(cls)
    }
    return st.builds(cls, **chosen)


def tuples(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.lists(strategy, max_size=4).map(tuple)


MEETINGS = flat(Meeting, attendees=tuples(flat(Attendee)), objectives=tuples(flat(Objective)))
DECISIONS = flat(Decision, outcome=st.sampled_from(Outcome), actions=tuples(flat(ChosenAction)))
STEPS = st.builds(
    Steps,
    meeting=st.none() | MEETINGS,
    decision=st.none() | DECISIONS,
    talk=st.none() | flat(Talk),
    reporter_followup=st.none() | flat(ReporterFollowUp),
    appeal=st.none() | flat(Appeal),
    announcement=st.none() | flat(Announcement),
    messages=tuples(st.tuples(TEXT, TEXT)),
)


def stored(steps: Steps) -> dict[str, object]:
    """The fields as the service seals and opens them: each record through ASCII JSON."""
    found: dict[str, object] = {}
    for name in FIELDS:
        value = getattr(steps, name)
        if value is None or (name == "messages" and not value):
            continue
        found[name] = json.loads(json.dumps(to_data(value), ensure_ascii=True))
    return found


@settings(max_examples=300)
@given(STEPS)
def test_every_step_record_round_trips_exactly(steps: Steps) -> None:
    assert steps_from(stored(steps)) == steps


def test_no_fields_means_no_steps() -> None:
    assert steps_from({}) == Steps()


def test_the_json_shapes_are_plain_and_stable() -> None:
    decision = Decision(Outcome.ESCROW, (ChosenAction("warning", "written"),), "why", "", "at", "by")
    assert json.loads(json.dumps(to_data(decision))) == {
        "outcome": "escrow",
        "actions": [{"code": "warning", "details": "written"}],
        "rationale": "why",
        "referred_to": "",
        "at": "at",
        "by": "by",
    }
    assert to_data((("reporter", "hello"),)) == [["reporter", "hello"]]
    assert to_data(()) == []


def test_meeting_deciders_and_recused_come_from_attendance() -> None:
    meeting = Meeting(
        (
            Attendee(1, "Robin", present=True),
            Attendee(2, "Kim", present=True, conflict=True),
            Attendee(3, "Avery", present=False),
            Attendee(4, "Lee", present=False, conflict=True),
        )
    )
    assert [a.name for a in meeting.deciders] == ["Robin"]
    assert [a.name for a in meeting.recused] == ["Kim", "Lee"]


def test_an_appeal_is_open_until_answered() -> None:
    appeal = Appeal("2026-05-03", "they disagree", "closed")
    assert appeal.open
    assert not Appeal("2026-05-03", "x", "closed", answered_at="2026-05-04").open


# -- wrong shapes ------------------------------------------------------------------------
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300)
@given(st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=4))
def test_any_json_at_all_gives_steps_or_a_value_error(values: dict[str, object]) -> None:
    try:
        result = steps_from(values)
    except ValueError:
        return
    assert isinstance(result, Steps)


def _kind(value: object) -> str:
    return "number" if type(value) in (int, float) else type(value).__name__


def _paths(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += _paths(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _paths(v, (*path, i))
    return found


def _replaced(value: Any, path: tuple[object, ...], new: object) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {k: (_replaced(v, rest, new) if k == head else v) for k, v in value.items()}
    return [(_replaced(v, rest, new) if i == head else v) for i, v in enumerate(value)]


OTHERS: tuple[object, ...] = (None, True, 7, 2.5, "text", [], {}, [["a", "b"]])


@settings(max_examples=200)
@given(STEPS.filter(lambda s: bool(stored(s))), st.data())
def test_a_value_of_the_wrong_type_anywhere_is_refused_with_value_error(
    steps: Steps, data: st.DataObject
) -> None:
    good = stored(steps)
    paths = _paths(good)
    path = data.draw(st.sampled_from(paths))
    old = good
    for part in path:
        old = old[part]  # type: ignore[index]
    new = data.draw(st.sampled_from([o for o in OTHERS if _kind(o) != _kind(old)]))
    if path[-1] == "outcome" and isinstance(new, str):
        return  # any string there is judged as an outcome name, tested below
    with pytest.raises(ValueError):
        steps_from(_replaced(good, path, new))


@pytest.mark.parametrize(
    "values",
    [
        {"meeting": []},
        {"meeting": {"attendees": {}}},
        {"meeting": {"attendees": [{"name": "Robin"}]}},  # no member id
        {"meeting": {"attendees": [{"member_id": True, "name": "Robin"}]}},  # a bool is not an id
        {"meeting": {"attendees": [{"member_id": 1.0, "name": "Robin"}]}},
        {"meeting": {"objectives": [{"done": True}]}},  # no text
        {"decision": {}},
        {"decision": {"outcome": "banned"}},
        {"decision": {"outcome": "actions", "actions": [{}]}},
        {"decision": {"outcome": "actions", "actions": ["warning"]}},
        {"talk": {"told_what_reported": "yes"}},
        {"talk": None},
        {"reporter_followup": {"told_outcome": 1}},
        {"appeal": {}},
        {"appeal": {"received_on": "x", "text": "y"}},
        {"appeal": {"received_on": "x", "text": "y", "from_status": "closed", "stands": "no"}},
        {"announcement": {"draft": None}},
        {"messages": {"reporter": "x"}},
        {"messages": [["reporter"]]},
        {"messages": [["reporter", "x", "y"]]},
        {"messages": [["reporter", 5]]},
        {"messages": [("reporter", "x")]},
    ],
)
def test_wrong_shapes_raise_value_error(values: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        steps_from(values)
