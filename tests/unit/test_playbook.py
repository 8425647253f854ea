"""The default playbook carries PROCEDURE.md; a bad playbook is named by file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cocdesk.errors import BadPlaybook
from cocdesk.playbook import load_default, load_file, parse_playbook
from cocdesk.playbook.loader import default_text

CATEGORIES = [
    "sexual-attention",
    "physical-contact",
    "harassment",
    "exclusionary-language",
    "sexual-imagery",
    "disruption",
    "threat",
    "unprofessional-conduct",
    "outside-scope",
    "other",
]
ACTIONS = [
    "no-action",
    "warning",
    "avoid-contact",
    "no-social-events",
    "no-alcohol",
    "talk-ended",
    "recording-withheld",
    "no-further-talks",
    "volunteer-ended",
    "no-future-volunteering",
    "grant-repayment",
    "leave-event",
    "ban",
    "membership-removed",
    "public-account",
    "other",
]


def test_default_playbook_has_the_contract_codes_in_order() -> None:
    p = load_default()
    assert list(p.category_codes) == CATEGORIES
    assert list(p.action_codes) == ACTIONS


def test_default_playbook_carries_the_procedure() -> None:
    p = load_default()
    assert len(p.do) == 8 and len(p.dont) == 8 and len(p.meeting_objectives) == 7
    assert p.safety_steps[0].startswith(
        "If anyone's safety is in danger right now, call emergency services (911)"
    )
    assert "Don't promise any particular outcome: the team decides." in p.dont
    assert {r.code for r in p.roles} == {"responder", "lead", "chair"}
    assert p.members == ()  # people are configuration, never shipped
    assert p.idle_lock_minutes == 5 and p.acknowledge_within_hours == 24 and p.decide_within_days == 7


def test_event_facts_are_filled_into_the_procedure() -> None:
    text = default_text().replace('emergency_number = "911"', 'emergency_number = "112"')
    text = text.replace(
        'quiet_room = "Ask the registration desk for the quiet room"', 'quiet_room = "Room 2.14"'
    )
    p = parse_playbook(text, "event.toml")
    assert "(112)" in p.safety_steps[0]
    assert "Room 2.14" in p.do[1]


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "idle_lock_minutes = 5",
            "idle_lock_minutes = 0",
            "event.toml, line 22: timing.idle_lock_minutes: must be",
        ),
        (
            'code = "harassment"',
            'code = "Harassment!"',
            "categories[2].code: 'Harassment!' must be lowercase",
        ),
        ('code = "ban"', 'code = "warning"', "actions[12].code: 'warning' is listed twice"),
        (
            'emergency_number = "911"',
            "emergency_number = 911",
            "event.emergency_number: must be a non-empty string",
        ),
        ("format = 1", "format = 2", "event.toml, line 6: format: must be 1"),
    ],
)
def test_a_bad_value_is_named_by_file_line_and_key(old: str, new: str, message: str) -> None:
    text = default_text()
    assert old in text
    with pytest.raises(BadPlaybook) as caught:
        parse_playbook(text.replace(old, new, 1), "event.toml")
    assert message in str(caught.value)


def test_the_line_named_is_the_line_of_the_bad_key() -> None:
    text = default_text().replace('code = "ban"', 'code = "warning"')
    with pytest.raises(BadPlaybook) as caught:
        parse_playbook(text, "event.toml")
    line = int(str(caught.value).split("line ")[1].split(":")[0])
    assert text.splitlines()[line - 1].strip() == 'code = "warning"'


def test_broken_toml_is_reported_with_its_position() -> None:
    with pytest.raises(BadPlaybook, match=r"event.toml: not valid TOML: .*line 1"):
        parse_playbook("format = = 1", "event.toml")


def test_a_missing_role_is_refused() -> None:
    text = default_text().replace('code = "chair"', 'code = "host"')
    with pytest.raises(BadPlaybook, match="must include the role 'chair'"):
        parse_playbook(text, "x.toml")


def test_an_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(BadPlaybook, match="cannot read the playbook"):
        load_file(tmp_path / "missing.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"\xff\xfe")
    with pytest.raises(BadPlaybook, match="not UTF-8"):
        load_file(bad)
