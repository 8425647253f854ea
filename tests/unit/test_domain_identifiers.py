"""Normalising identifiers, so the blind index matches the same person written differently."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cocdesk.domain.identifiers import normalise_badge, normalise_name, person_identifiers
from cocdesk.domain.roles import Role, may_manage_team, parse_role
from cocdesk.domain.text import visible


def test_names_fold_case_spacing_and_punctuation() -> None:
    assert normalise_name("  Sam   SMITH ") == normalise_name("sam smith") == "sam smith"
    assert normalise_name("O'Brien, Pat") == "o brien pat"
    assert normalise_name("Ｓａｍ") == "sam"  # full-width letters fold under NFKC


def test_badges_keep_only_letters_and_digits() -> None:
    assert normalise_badge("b-12") == normalise_badge("B 12") == "b12"


def test_emails_anywhere_in_a_persons_fields_are_indexed() -> None:
    found = person_identifiers("Sam Smith", "B-12", "works at ACME, sam@ACME.example.")
    assert found == [("name", "sam smith"), ("badge", "b12"), ("email", "sam@acme.example")]


def test_empty_fields_give_no_identifiers() -> None:
    assert person_identifiers("", "", "") == []


@given(st.text())
def test_normalising_is_idempotent(text: str) -> None:
    assert normalise_name(normalise_name(text)) == normalise_name(text)


def test_visible_maps_escape_and_bidi_controls_but_keeps_newlines() -> None:
    shown = visible("a\x1b[2Jb\u202ec\x9bd\ne")
    assert "\x1b" not in shown and "\u202e" not in shown and "\x9b" not in shown
    assert "⟨U+001B⟩" in shown and "⟨U+202E⟩" in shown and "\n" in shown


@given(st.text())
def test_visible_output_holds_no_control_or_format_characters(text: str) -> None:
    import unicodedata

    shown = visible(text, keep="")
    assert all(unicodedata.category(ch) not in ("Cc", "Cf", "Cs") for ch in shown)


def test_roles_parse_and_only_leads_and_chairs_manage_the_team() -> None:
    assert parse_role(" Lead ") is Role.LEAD
    assert may_manage_team(Role.RESPONDER) == "only a lead or the chair may add team members"
    assert may_manage_team(Role.CHAIR) is None
    try:
        parse_role("boss")
    except ValueError as exc:
        assert "unknown role 'boss'" in str(exc)
    else:
        raise AssertionError("an unknown role was accepted")
