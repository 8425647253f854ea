"""Counting cases for the transparency report, and the kept tally of purged ones."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocdesk.domain.tally import UNCATEGORISED, Counted, Tally, count, from_data

codes = st.sampled_from(["harassment", "threat", "", "other"])
statuses = st.sampled_from(["reported", "closed", "decided"])
actions = st.lists(st.sampled_from(["warning", "ban", "no-action"]), max_size=3)
cases = st.lists(st.builds(Counted, codes, statuses, actions.map(tuple)), max_size=20)


def test_each_case_counts_once_per_category_status_and_action() -> None:
    tally = count(
        [
            Counted("harassment", "closed", ("warning", "ban")),
            Counted("harassment", "decided", ("warning",)),
            Counted("", "reported"),
        ]
    )
    assert tally.total == 3
    assert tally.by_category == {"harassment": 2, UNCATEGORISED: 1}
    assert tally.by_status == {"closed": 1, "decided": 1, "reported": 1}
    assert tally.by_action == {"warning": 2, "ban": 1}


def test_an_action_listed_twice_counts_once() -> None:
    assert count([Counted("threat", "closed", ("ban", "ban"))]).by_action == {"ban": 1}


@given(cases, cases)
def test_counting_in_two_parts_adds_up_to_counting_all(a: list[Counted], b: list[Counted]) -> None:
    assert (count(a) + count(b)).to_data() == count(a + b).to_data()


@given(cases)
def test_a_tally_survives_its_stored_form(found: list[Counted]) -> None:
    tally = count(found)
    assert from_data(tally.to_data()).to_data() == tally.to_data()


@pytest.mark.parametrize(
    "data",
    [
        [],
        {"total": -1, "by_category": {}, "by_status": {}, "by_action": {}},
        {"total": True, "by_category": {}, "by_status": {}, "by_action": {}},
        {"total": 1, "by_category": {"x": "1"}, "by_status": {}, "by_action": {}},
        {"total": 1, "by_status": {}, "by_action": {}},
    ],
)
def test_a_damaged_tally_is_refused(data: object) -> None:
    with pytest.raises(ValueError):
        from_data(data)


def test_an_empty_tally_counts_nothing() -> None:
    assert Tally().to_data() == {"total": 0, "by_category": {}, "by_status": {}, "by_action": {}}
