"""The team through the service, on a real vault: remove, change a passphrase, re-enrol, names.

Every refusal is checked twice: the reason reaches the caller, and the file is exactly as
it was. Every removal is checked with the keys themselves: the removed member's old case
keys open 0 of the fields stored afterwards, and nothing of theirs is left to open.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cocdesk.domain.roles import Role
from cocdesk.errors import (
    CocdeskError,
    IntegrityFailure,
    NotAMember,
    NotFound,
    RuleRefused,
    UsageProblem,
    WrongPassphrase,
)
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.drafts import DraftService
from cocdesk.service.integrity import verify
from cocdesk.service.team import MemberInfo
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.vault.fields import open_field
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report

PASSPHRASES = {
    LEAD: LEAD_PASSPHRASE,
    "Kim": "kim passphrase",
    "Avery": "avery passphrase",
    "Jo": "jo passphrase",
}
ROLES = {"Kim": Role.RESPONDER, "Avery": Role.CHAIR, "Jo": Role.RESPONDER}
TABLES = (
    *("cases", "case_fields", "case_keys", "blind_index", "audit", "meta", "members", "event_keys"),
    *("drafts", "step_drafts", "recusals"),
)


def dump(session: Session) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted((tuple(r) for r in session.db.execute(f"SELECT * FROM {t}")), key=repr) for t in TABLES}


def refused(session: Session, error: type[CocdeskError], reason: str, call: object, *args: object) -> None:
    """`call(*args)` raises `error` saying exactly `reason`, and the vault is unchanged."""
    before = dump(session)
    with pytest.raises(error) as caught:
        call(*args)  # type: ignore[operator]
    assert str(caught.value) == reason
    assert dump(session) == before, "a refused change changed the vault"


@pytest.fixture
def team(desk: Desk, session: Session) -> dict[str, Session]:
    """Robin (lead) and Kim, Avery (chair), Jo, each unlocked; two cases every one of them holds."""
    for name, role in ROLES.items():
        TeamService(session).add_member(name, role, PASSPHRASES[name], FAST_FOR_TESTS)
    cases = CaseService(session)
    cases.add_report(sample_report("one"))
    cases.add_report(sample_report("two"))
    return {LEAD: session, **{n: desk.unlock(n, PASSPHRASES[n]) for n in ROLES}}


def rows(session: Session, table: str, member_id: int) -> int:
    return int(
        session.db.execute(f"SELECT count(*) FROM {table} WHERE member_id = ?", [member_id]).fetchone()[0]
    )


def opens(key: bytes, session: Session, case_id: str) -> int:
    """How many of the case's stored fields `key` opens."""
    n = 0
    for name, blob in case_store.fields(session.db, case_id).items():
        try:
            open_field(key, case_id, name, blob)
        except IntegrityFailure:
            continue
        n += 1
    return n


def info(session: Session, name: str) -> MemberInfo:
    return next(m for m in TeamService(session).members() if m.name == name)


# -- the list ---------------------------------------------------------------------------------
def test_members_lists_names_roles_state_and_cases_held(team: dict[str, Session]) -> None:
    members = TeamService(team["Kim"]).members()
    assert [(m.name, m.role, m.active, m.cases, m.delegate) for m in members] == [
        (LEAD, Role.LEAD, True, 2, False),
        ("Kim", Role.RESPONDER, True, 2, False),
        ("Avery", Role.CHAIR, True, 2, False),
        ("Jo", Role.RESPONDER, True, 2, False),
    ]


# -- removing a member -----------------------------------------------------------------------
def test_removing_a_member_rekeys_every_case_they_held(team: dict[str, Session], desk: Desk) -> None:
    kim = team["Kim"]
    held = sorted(case_store.sealed_keys_for(kim.db, kim.member_id))
    assert held == ["C-0001", "C-0002"]
    old_keys = {c: kim.case_key(c) for c in held}  # what Kim could have kept
    DraftService(kim).save({"description": "half typed"})
    DraftService(kim, "step").save({"case_id": "C-0001", "what": "meeting", "state": {}})
    avery_open = CaseService(team["Avery"]).open_case("C-0001")  # Avery keeps the old key in memory

    assert TeamService(team[LEAD]).remove_member("Kim") == 2

    for case_id, old in old_keys.items():
        assert case_store.fields(kim.db, case_id)
        assert opens(old, team[LEAD], case_id) == 0, f"Kim's old key still opens {case_id}"
        assert opens(team[LEAD].case_key(case_id), team[LEAD], case_id) == len(
            case_store.fields(kim.db, case_id)
        )
    for table in ("case_keys", "event_keys", "drafts", "step_drafts"):
        assert rows(team[LEAD], table, kim.member_id) == 0, table
    refused(team[LEAD], NotAMember, "no team member is called 'Kim'", desk.unlock, "Kim", PASSPHRASES["Kim"])
    # A session Kim unlocked before the removal opens nothing either.
    assert CaseService(kim).list_cases() == []
    with pytest.raises(NotAMember):
        CaseService(kim).open_case("C-0001")
    # Everyone else carries on, with the new keys, a stale session included.
    assert CaseService(team["Avery"]).open_case("C-0001").report == avery_open.report
    CaseService(team["Jo"]).add_note("C-0002", "after the removal")
    assert CaseService(team[LEAD]).open_case("C-0002").notes[-1].text == "after the removal"
    assert info(team[LEAD], "Kim") == MemberInfo(kim.member_id, "Kim", Role.RESPONDER, False, False, 0)
    assert "Kim" not in desk.member_names()
    removed = [e for e in audit.entries(kim.db) if e.kind == "member.removed"]
    assert [(e.member_id, e.detail) for e in removed] == [(team[LEAD].member_id, str(kim.member_id).encode())]
    assert verify(team[LEAD]) == []


def test_after_a_removal_no_file_holds_their_copies(team: dict[str, Session], desk: Desk) -> None:
    kim = team["Kim"]
    copies = list(case_store.sealed_keys_for(kim.db, kim.member_id).values())
    event_copy = member_store.event_key(kim.db, kim.member_id)
    assert event_copy is not None and copies
    TeamService(team[LEAD]).remove_member("Kim")
    wal = Path(str(desk.path) + "-wal")
    for blob in (*copies, event_copy):
        assert blob not in desk.path.read_bytes()
        assert not wal.exists() or blob not in wal.read_bytes()


def test_the_last_lead_cannot_be_removed(team: dict[str, Session]) -> None:
    reason = "the team needs at least one lead: add another lead first"
    refused(team[LEAD], RuleRefused, reason, TeamService(team["Avery"]).remove_member, LEAD)
    TeamService(team[LEAD]).add_member("Sky", Role.LEAD, "sky passphrase", FAST_FOR_TESTS)
    TeamService(team["Avery"]).remove_member(LEAD)  # with a second lead it may go
    assert not info(team["Avery"], LEAD).active


def test_nobody_removes_themselves(team: dict[str, Session]) -> None:
    reason = "another lead or the chair removes you from the team"
    refused(team["Avery"], RuleRefused, reason, TeamService(team["Avery"]).remove_member, "Avery")


def test_a_responder_removes_nobody(team: dict[str, Session]) -> None:
    reason = "only a lead or the chair may remove team members"
    refused(team[LEAD], RuleRefused, reason, TeamService(team["Kim"]).remove_member, "Jo")


def test_removing_someone_unknown_or_already_removed_says_so(team: dict[str, Session]) -> None:
    team_service = TeamService(team[LEAD])
    refused(team[LEAD], NotFound, "there is no active member called 'Zed'", team_service.remove_member, "Zed")
    team_service.remove_member("Jo")
    refused(team[LEAD], NotFound, "there is no active member called 'Jo'", team_service.remove_member, "Jo")


def test_a_member_who_stepped_out_cannot_remove_someone_holding_that_case(team: dict[str, Session]) -> None:
    AccessService(team[LEAD]).declare_conflict("C-0001")  # Avery (chair) keeps it
    reason = (
        "Kim holds cases you cannot open (you stepped out of them): a lead who holds them removes this member"
    )
    refused(team[LEAD], RuleRefused, reason, TeamService(team[LEAD]).remove_member, "Kim")
    assert TeamService(team["Avery"]).remove_member("Kim") == 2


# -- changing one's own passphrase --------------------------------------------------------------
def test_changing_ones_passphrase_rewraps_one_key_and_nothing_else(
    team: dict[str, Session], desk: Desk
) -> None:
    kim = team["Kim"]
    before = dump(kim)
    record = member_store.by_name(kim.db, "Kim")
    assert record is not None

    TeamService(kim).change_passphrase(PASSPHRASES["Kim"], "a brand new passphrase")

    after = dump(kim)
    for table in ("cases", "case_fields", "case_keys", "blind_index", "event_keys", "drafts", "recusals"):
        assert after[table] == before[table], f"{table} changed"
    changed = member_store.by_name(kim.db, "Kim")
    assert changed is not None
    assert changed.key.public_key == record.key.public_key
    assert changed.key.salt != record.key.salt and changed.key.wrapped != record.key.wrapped
    others = [r for r in after["members"] if r[0] != kim.member_id]
    assert others == [r for r in before["members"] if r[0] != kim.member_id]
    with pytest.raises(WrongPassphrase):
        desk.unlock("Kim", PASSPHRASES["Kim"])
    again = desk.unlock("Kim", "a brand new passphrase")
    assert [c.id for c in CaseService(again).list_cases()] == ["C-0001", "C-0002"]
    assert CaseService(again).open_case("C-0002").report == sample_report("two")
    assert [e.kind for e in audit.entries(kim.db)][-1] == "member.passphrase"
    assert verify(again) == []


def test_a_wrong_current_passphrase_changes_nothing(team: dict[str, Session], desk: Desk) -> None:
    kim = team["Kim"]
    refused(
        kim, WrongPassphrase, "wrong passphrase", TeamService(kim).change_passphrase, "not it", "new one here"
    )
    refused(
        kim,
        UsageProblem,
        "the new passphrase is empty",
        TeamService(kim).change_passphrase,
        PASSPHRASES["Kim"],
        "",
    )
    assert desk.unlock("Kim", PASSPHRASES["Kim"]).member_id == kim.member_id


# -- re-enrolment after a forgotten passphrase ----------------------------------------------------
def test_a_lead_reenrols_a_member_with_a_new_key(team: dict[str, Session], desk: Desk) -> None:
    kim = team["Kim"]
    AccessService(kim).declare_conflict("C-0002")  # Kim stepped out of this one
    third = CaseService(team[LEAD]).add_report(sample_report("three"))
    DraftService(kim).save({"description": "sealed to the old key"})
    old_public = member_store.by_name(kim.db, "Kim").key.public_key  # type: ignore[union-attr]

    assert TeamService(team[LEAD]).reenrol("Kim", "the new kim passphrase") == 2  # C-0001 and the third

    new_public = member_store.by_name(kim.db, "Kim").key.public_key  # type: ignore[union-attr]
    assert new_public != old_public
    with pytest.raises(WrongPassphrase):
        desk.unlock("Kim", PASSPHRASES["Kim"])
    fresh = desk.unlock("Kim", "the new kim passphrase")
    cases = CaseService(fresh)
    assert [c.id for c in cases.list_cases()] == ["C-0001", third]
    assert cases.open_case(third).report == sample_report("three")
    with pytest.raises(NotAMember, match="Kim stepped out of C-0002"):
        cases.open_case("C-0002")
    assert case_store.sealed_key(kim.db, "C-0002", kim.member_id) is None
    assert AccessService(fresh).recused_from() == {"C-0002"}
    assert rows(team[LEAD], "drafts", kim.member_id) == 0
    assert DraftService(fresh).load() is None
    # A session unlocked with the old key opens none of the new copies, and says why.
    with pytest.raises(NotAMember, match="Kim's key was replaced \\(re-enrolled\\): unlock again"):
        CaseService(kim).open_case("C-0001")
    reenrolled = [e for e in audit.entries(kim.db) if e.kind == "member.reenrolled"]
    assert [(e.member_id, e.detail) for e in reenrolled] == [
        (team[LEAD].member_id, str(kim.member_id).encode())
    ]
    assert verify(fresh) == [] and verify(team[LEAD]) == []


def test_a_responder_reenrols_nobody(team: dict[str, Session]) -> None:
    # Every role against every other: tests/security/test_roles.py.
    refused(
        team[LEAD],
        RuleRefused,
        "only a lead or the chair may re-enrol a member",
        TeamService(team["Kim"]).reenrol,
        "Jo",
        "jo's new one",
    )


def test_a_lead_cannot_reenrol_the_chair(team: dict[str, Session]) -> None:
    reason = "only the chair may re-enrol a chair (re-enrolling someone means choosing their passphrase)"
    refused(team[LEAD], RuleRefused, reason, TeamService(team[LEAD]).reenrol, "Avery", "robin chose it")


def test_reenrolment_refusals_say_why(team: dict[str, Session]) -> None:
    lead = TeamService(team[LEAD])
    refused(
        team[LEAD],
        RuleRefused,
        "change your own passphrase instead (you know the current one)",
        lead.reenrol,
        LEAD,
        "robin's new one",
    )
    refused(team[LEAD], UsageProblem, "the new passphrase is empty", lead.reenrol, "Kim", "")
    refused(
        team[LEAD], NotFound, "there is no active member called 'Zed'", lead.reenrol, "Zed", "a passphrase"
    )


# -- adding: names ------------------------------------------------------------------------------
def test_a_duplicate_member_name_is_refused_and_nothing_changes(team: dict[str, Session]) -> None:
    lead = TeamService(team[LEAD])
    refused(
        team[LEAD],
        UsageProblem,
        "there is already a member called 'Kim'",
        lead.add_member,
        "Kim",
        Role.LEAD,
        "pw",
        FAST_FOR_TESTS,
    )
    lead.remove_member("Jo")  # a removed member's name stays taken: the record of who did what keeps it
    refused(
        team[LEAD],
        UsageProblem,
        "there is already a member called 'Jo'",
        lead.add_member,
        "Jo",
        Role.LEAD,
        "pw",
        FAST_FOR_TESTS,
    )


def test_a_responder_adds_nobody(team: dict[str, Session]) -> None:
    reason = "only a lead or the chair may add team members"
    refused(
        team[LEAD],
        RuleRefused,
        reason,
        TeamService(team["Kim"]).add_member,
        "Max",
        Role.LEAD,
        "pw",
        FAST_FOR_TESTS,
    )
