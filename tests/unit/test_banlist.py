"""The ban list for next year: only keyed tags of banned people, sealed to its holder."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from cocdesk.domain.report import ReportedPerson
from cocdesk.domain.steps import ChosenAction, Decision, Outcome
from cocdesk.errors import IntegrityFailure, RuleRefused
from cocdesk.exchange.bundle import parse_public_key
from cocdesk.service import Desk, Session
from cocdesk.service.banlist import BanlistService
from cocdesk.service.handoff import HandoffService
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, sample_report
from tests.security.test_plaintext_scan import new_marker, scan
from tests.unit.test_service_steps import Team, dump

BAN = Decision(Outcome.ACTIONS, (ChosenAction("ban", "three years"),), "threats at the venue")
WARN = Decision(Outcome.ACTIONS, (ChosenAction("warning", "spoken"),), "a first time")


@pytest.fixture
def next_year(tmp_path: Path) -> Iterator[Session]:
    desk = Desk.create(
        tmp_path / "2027",
        "PyColorado 2027",
        "Morgan",
        "next year's lead",
        params=FAST_FOR_TESTS,
        clock=lambda: FROZEN,
    )
    yield desk.unlock("Morgan", "next year's lead")
    desk.close()


def key_of(session: Session) -> bytes:
    return parse_public_key(HandoffService(session).public_key_text(), "test")


def decided(team: Team, name: str, badge: str, decision: Decision, marker: str = "") -> str:
    person = ReportedPerson(name=name, badge=badge, affiliation=f"Acme {marker}")
    case_id = team.cases(LEAD).add_report(replace(sample_report(marker), reported=(person,)))
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, decision)
    return case_id


def test_next_years_lead_can_check_a_name_and_nothing_else_leaves(
    team: Team,
    next_year: Session,
    tmp_path: Path,
) -> None:
    marker = new_marker()
    decided(team, "Sam Q. Banned", "B-77", BAN, marker)
    decided(team, "Pat Warned", "B-12", WARN)
    target = tmp_path / "ban.sealed"
    written = BanlistService(team.sessions[LEAD]).export(key_of(next_year), target)
    assert (written.cases, written.left_out) == (1, 0)
    assert not scan([target], {marker: "case", "Banned": "name", "Warned": "name"})

    check = BanlistService(next_year).check
    blob = target.read_bytes()
    assert check(blob, "sam q banned").listed  # case and punctuation folded
    assert not check(blob, "b77").listed  # a badge number is this year's only: not carried on
    assert not check(blob, "Pat Warned").listed  # a warning is not a ban
    assert not check(blob, "Sam").listed  # one word of a name is not the name
    answer = check(blob, "Sam Q. Banned")
    assert answer.event == "PyColorado 2026"
    assert answer.sealed_by == HandoffService(team.sessions[LEAD]).fingerprint()


def test_only_a_lead_or_the_chair_hands_on_the_list(team: Team, next_year: Session, tmp_path: Path) -> None:
    before = dump(team.sessions[LEAD])
    with pytest.raises(RuleRefused, match="only a lead or the chair"):
        BanlistService(team.sessions["Kim"]).export(key_of(next_year), tmp_path / "x.sealed")
    assert not (tmp_path / "x.sealed").exists()
    assert dump(team.sessions[LEAD]) == before


def test_the_list_opens_only_for_its_holder(team: Team, next_year: Session, tmp_path: Path) -> None:
    decided(team, "Sam Banned", "", BAN)
    target = tmp_path / "ban.sealed"
    BanlistService(team.sessions[LEAD]).export(key_of(next_year), target)
    with pytest.raises(IntegrityFailure, match="sealed to another key"):
        BanlistService(team.sessions["Kim"]).check(target.read_bytes(), "Sam Banned")
    blob = bytearray(target.read_bytes())
    blob[-4] ^= 2
    with pytest.raises(IntegrityFailure):
        BanlistService(next_year).check(bytes(blob), "Sam Banned")


def test_a_bundle_is_not_taken_for_a_ban_list(team: Team, next_year: Session, tmp_path: Path) -> None:
    team.cases(LEAD).add_report(sample_report())
    HandoffService(team.sessions[LEAD]).export(key_of(next_year), tmp_path / "b.sealed")
    with pytest.raises(IntegrityFailure, match="not a ban list"):
        BanlistService(next_year).check((tmp_path / "b.sealed").read_bytes(), "anyone")


def test_a_ban_in_a_case_the_exporter_stepped_out_of_is_counted_not_read(
    team: Team,
    next_year: Session,
    tmp_path: Path,
) -> None:
    from cocdesk.service.access import AccessService

    case_id = decided(team, "Sam Banned", "", BAN)
    AccessService(team.sessions["Jo"]).declare_conflict(case_id)
    written = BanlistService(team.sessions["Jo"]).export(key_of(next_year), tmp_path / "ban.sealed")
    assert (written.cases, written.left_out) == (0, 1)
    assert written.people == 0


def test_a_list_is_never_sealed_to_a_member_who_stepped_out_of_a_banned_case(
    team: Team, tmp_path: Path
) -> None:
    """Issue 14.8: the rule bundles keep, by key: Kim stepped out of the banned case."""
    from cocdesk.errors import NotAMember
    from cocdesk.service.access import AccessService

    banned = decided(team, "Sam Banned", "", BAN)
    warned = decided(team, "Pat Warned", "", WARN)
    AccessService(team.sessions["Jo"]).declare_conflict(warned)  # a case the list does not name
    AccessService(team.sessions["Kim"]).declare_conflict(banned)
    before = dump(team.sessions[LEAD])
    with pytest.raises(NotAMember, match=f"^that key belongs to a member who stepped out of {banned}$"):
        BanlistService(team.sessions[LEAD]).export(key_of(team.sessions["Kim"]), tmp_path / "kim.sealed")
    assert not (tmp_path / "kim.sealed").exists()
    assert dump(team.sessions[LEAD]) == before
    written = BanlistService(team.sessions[LEAD]).export(key_of(team.sessions["Jo"]), tmp_path / "jo.sealed")
    assert written.cases == 1
