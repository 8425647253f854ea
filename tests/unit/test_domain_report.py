"""The report parser: strict on shape, exact on content (property tests included)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocdesk.domain.report import REPORT_KEYS, from_parts, parse_report, sealed_values
from cocdesk.errors import BadReport
from cocdesk.playbook import load_default

CATEGORIES = load_default().category_codes
FULL = {
    "taken_by": "Robin",
    "transcribed": True,
    "reporter": {"name": "Ana", "contact": "a@x.org", "anonymous": False, "identification_concerns": ""},
    "incident_at": "2026-05-02T14:30",
    "location": "Hall B",
    "ongoing": False,
    "description": "What happened",
    "circumstances": "After the keynote",
    "category": "harassment",
    "reported": [{"name": "Sam", "badge": "12", "affiliation": "ACME", "appearance": "red hat"}],
    "witnesses": [{"name": "Lee", "contact": "lee@x.org"}],
    "reporter_suggestions": "",
    "urgent": True,
}


def test_a_full_report_round_trips_to_the_same_json() -> None:
    assert parse_report(FULL, CATEGORIES).to_json() == FULL


def test_only_description_is_required_and_the_rest_defaults() -> None:
    report = parse_report({"description": "x"}, CATEGORIES)
    assert report.to_json()["reporter"] == {
        "name": "",
        "contact": "",
        "anonymous": False,
        "identification_concerns": "",
    }
    assert list(report.to_json()) == list(REPORT_KEYS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "description is missing (it is the one required key)"),
        ({"description": "  "}, "description is empty"),
        ({"description": 5}, "description must be a string, not a number"),
        ([], "the report must be an object, not a list"),
        ({"description": "x", "urgent": "yes"}, "urgent must be true or false, not a string"),
        ({"description": "x", "colour": "red"}, "the report has an unknown key 'colour'"),
        (
            {"description": "x", "category": "rudeness"},
            "category 'rudeness' is not a category of this playbook",
        ),
        ({"description": "x", "reporter": {"nick": "a"}}, "reporter has an unknown key 'nick'"),
        (
            {"description": "x", "reporter": {"anonymous": 1}},
            "reporter.anonymous must be true or false, not a number",
        ),
        ({"description": "x", "reported": {}}, "reported must be a list, not an object"),
        ({"description": "x", "reported": [{"name": None}]}, "reported[0].name must be a string, not null"),
        ({"description": "x", "witnesses": ["Lee"]}, "witnesses[0] must be an object, not a string"),
        ({"description": "\ud800"}, "description holds an invalid character (a lone surrogate)"),
        ({"description": "x", "category": "\x1b[2J"}, "category '?[2J' is not a category of this playbook"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_the_problem(data: object, message: str) -> None:
    with pytest.raises(BadReport) as caught:
        parse_report(data, CATEGORIES)
    assert str(caught.value) == message


def test_hostile_text_is_kept_byte_for_byte() -> None:
    hostile = "Sam [@click=app.quit]Smith[/] [/bold] \x1b]52;c;aGk=\x07 \u202e \x00 end"
    report = parse_report({"description": hostile, "reported": [{"name": hostile}]}, CATEGORIES)
    assert report.description == hostile and report.reported[0].name == hostile


def test_a_one_megabyte_account_is_kept_whole() -> None:
    big = "x" * (1024 * 1024)
    assert parse_report({"description": big}, CATEGORIES).description == big


texts = st.text(max_size=40)
people = st.fixed_dictionaries(
    {},
    optional={"name": texts, "badge": texts, "affiliation": texts, "appearance": texts},
)
reports = st.fixed_dictionaries(
    {"description": st.text(min_size=1).filter(lambda s: s.strip() != "")},
    optional={
        "taken_by": texts,
        "transcribed": st.booleans(),
        "reporter": st.fixed_dictionaries(
            {},
            optional={
                "name": texts,
                "contact": texts,
                "anonymous": st.booleans(),
                "identification_concerns": texts,
            },
        ),
        "incident_at": texts,
        "location": texts,
        "ongoing": st.booleans(),
        "circumstances": texts,
        "category": st.sampled_from(("", *CATEGORIES)),
        "reported": st.lists(people, max_size=3),
        "witnesses": st.lists(
            st.fixed_dictionaries({}, optional={"name": texts, "contact": texts}), max_size=3
        ),
        "reporter_suggestions": texts,
        "urgent": st.booleans(),
    },
)


def _no_surrogates(value: object) -> bool:
    return all(not (0xD800 <= ord(c) <= 0xDFFF) for c in json.dumps(value, ensure_ascii=False))


@settings(max_examples=200)
@given(reports.filter(_no_surrogates))
def test_any_valid_report_survives_parse_seal_values_and_rebuild(data: dict[str, object]) -> None:
    report = parse_report(data, CATEGORIES)
    for key, value in data.items():
        if key in ("reporter",):
            assert all(report.to_json()["reporter"][k] == v for k, v in value.items())  # type: ignore[union-attr]
        elif key in ("reported", "witnesses"):
            assert len(report.to_json()[key]) == len(value)  # type: ignore[arg-type]
        else:
            assert report.to_json()[key] == value
    rebuilt = from_parts(json.loads(json.dumps(sealed_values(report))), report.category, report.urgent)
    assert rebuilt == report


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )
)
def test_arbitrary_json_is_parsed_or_refused_with_bad_report_only(data: object) -> None:
    try:
        parse_report(data, CATEGORIES)
    except BadReport as exc:
        assert str(exc) and "\n" not in str(exc)
