"""The privacy check's two halves: what a case indexes, and what a draft is checked for."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cocdesk.domain.privacy import COMMON, LONGEST_RUN, MENTION, candidates, mention_values
from cocdesk.domain.report import Report, ReportedPerson, Reporter, Witness


def flagged(draft: str, *people: list[str]) -> list[str]:
    """The draft's words that match anyone indexed: the check, without the blind index."""
    held = {v for values in people for v in values}
    return list(dict.fromkeys(phrase for phrase, form in candidates(draft) if form in held))


# -- what a case indexes --------------------------------------------------------------
def test_a_name_is_indexed_whole_and_word_by_word() -> None:
    assert mention_values("Sam Smith") == ["sam smith", "sam", "smith"]


def test_names_are_folded_like_the_blind_index() -> None:
    # Accents are dropped too, so a draft that leaves them out still matches.
    assert mention_values("  ÉLODIE   d'Arc ") == ["elodie d arc", "elodie", "arc"]
    assert mention_values("ＳＡＭ") == ["sam"]  # full-width letters fold (NFKC)


def test_common_words_and_single_letters_are_not_indexed_alone() -> None:
    assert mention_values("Dr A. Who") == ["dr a who", "who"]
    assert mention_values("the security guy") == ["the security guy"]
    # A "name" that is itself a common word names no one: no draft's word is checked against it.
    assert flagged("The person is unknown to us", mention_values("Unknown")) == []


def test_a_badge_is_indexed_as_written_and_as_its_digits() -> None:
    assert mention_values("", "S-104") == ["s 104", "s104"]


def test_contact_details_index_e_mail_addresses_and_phone_numbers() -> None:
    assert mention_values("", "", "ana@example.org") == ["ana example org", "ana@example.org"]
    assert mention_values("", "", "+1 555 0100") == ["1 555 0100", "15550100"]


def test_an_affiliation_that_is_a_common_word_names_no_one() -> None:
    assert mention_values("Pat", "", "Speaker") == ["pat"]
    assert mention_values("Pat", "", "ACME Corp") == ["pat", "acme corp"]


def test_nothing_at_all_indexes_nothing() -> None:
    assert mention_values() == []
    assert mention_values("   ", "", "") == []


def test_a_report_describes_everyone_it_names_and_how_they_looked() -> None:
    report = Report(
        description="x",
        reporter=Reporter(name="Ana Example", contact="ana@example.org"),
        reported=(ReportedPerson(name="Sam Smith", badge="B-12", affiliation="ACME", appearance="red hat"),),
        witnesses=(Witness(name="Lee Park", contact="+1 555 0100"),),
    )
    mentions = report.mentions()
    assert {kind for kind, _ in mentions} == {MENTION}
    values = {v for _, v in mentions}
    assert {"ana example", "ana", "example", "ana@example.org"} <= values
    assert {"sam smith", "sam", "smith", "b12", "acme"} <= values
    assert {"lee park", "lee", "park", "15550100"} <= values
    assert "red hat" in values  # an appearance as written, never its single words
    assert not values & {"red", "hat"}
    assert len(mentions) == len(set(mentions)), "each value once"


def test_an_anonymous_report_indexes_only_the_reported_person() -> None:
    report = Report(
        description="x", reporter=Reporter(anonymous=True), reported=(ReportedPerson(name="Casey"),)
    )
    assert report.mentions() == [(MENTION, "casey")]


# -- what a draft is checked for ---------------------------------------------------------
def test_every_run_of_up_to_four_words_is_a_candidate() -> None:
    found = [phrase for phrase, _ in candidates("one two three four five")]
    assert "one two three four" in found and "two three four five" in found
    assert "one two three four five" not in found
    assert len([p for p in found if len(p.split()) == LONGEST_RUN]) == 2


def test_candidates_keep_the_words_as_written() -> None:
    assert ("Sam,", "sam") in candidates("Thanks Sam, for everything")


def test_common_words_are_never_candidates_alone() -> None:
    forms = {form for _, form in candidates("The security team and the staff")}
    assert not forms & COMMON
    assert "security team" in forms  # but a run holding one is still checked


@pytest.mark.parametrize("word", sorted(COMMON))
def test_a_common_word_does_not_flag_a_draft_alone(word: str) -> None:
    people = mention_values(f"{word} Fictional")
    assert flagged(f"Thanks to every {word} who helped", people) == []
    assert set(flagged(f"{word} Fictional was asked to leave", people)) == {f"{word} Fictional", "Fictional"}


def test_a_name_is_found_whole_word_by_word_and_across_punctuation() -> None:
    sam = mention_values("Sam Smith")
    assert flagged("We spoke with Sam Smith today.", sam) == ["Sam", "Smith", "Sam Smith"]
    assert flagged("SMITH, S. was asked to leave", sam) == ["SMITH,"]
    assert flagged("Samantha and Smithson were not involved", sam) == []


def test_a_multi_word_name_made_of_common_words_is_found_only_whole() -> None:
    guy = mention_values("the security guy")
    assert flagged("Thanks to the security team", guy) == []
    assert flagged("Thanks to the security guy", guy) == ["the security guy"]


def test_e_mail_addresses_are_found_in_any_case_and_with_trailing_punctuation() -> None:
    ana = mention_values("", "", "ana@example.org")
    assert "ANA@Example.org." in flagged("Write to ANA@Example.org.", ana)
    assert flagged("Write to bob@example.org", ana) == []


@pytest.mark.parametrize("written", ["S-104", "s104", "S 104", "(S-104)"])
def test_badge_numbers_are_found_however_they_are_written(written: str) -> None:
    assert flagged(f"badge {written} was withdrawn", mention_values("", "S-104")) == [written]


@pytest.mark.parametrize("written", ["+1 555 0100", "+1-555-0100", "1 555 0100"])
def test_phone_numbers_are_found_across_spaces_and_dashes(written: str) -> None:
    assert flagged(f"call {written} now", mention_values("", "", "+1 555 0100")) != []


def test_a_clean_announcement_has_nothing_flagged() -> None:
    people = [
        mention_values("Sam Smith", "B-12", "ACME"),
        mention_values("Ana Example", "", "ana@example.org"),
        mention_values("the security guy"),
    ]
    draft = (
        "An incident at PyColorado 2026 was reported to the response team. It was against our "
        "Code of Conduct, and official action has been taken. We are sorry this happened."
    )
    assert flagged(draft, *people) == []


@given(st.text(max_size=60))
@example("0@0.A")  # an e-mail address is quoted as written, not lower-cased
def test_any_text_gives_candidates_of_its_own_words(text: str) -> None:
    for phrase, form in candidates(text):
        assert all(word in text for word in phrase.split())
        assert form and form not in COMMON


def test_a_possessive_and_a_name_without_its_accents_are_still_the_name() -> None:
    mentioned = set(mention_values("José Álvarez")) | set(mention_values("Sam Smith"))
    assert flagged("Smith's talk was ended early.", mentioned) == ["Smith's"]
    assert "Jose Alvarez" in flagged("Jose Alvarez was warned.", mentioned)
    assert flagged("Smith\u2019s badge was taken.", mentioned) == ["Smith\u2019s"]


def test_the_place_as_a_whole_is_a_mention_but_not_each_word_of_it() -> None:
    mentioned = set(mention_values("", "", "Hallway B"))
    assert flagged("It happened in Hallway B.", mentioned) == ["Hallway B."]
    assert flagged("A hallway talk was moved.", mentioned) == []
