"""A member who can write the file, against the keys (the second security review's findings).

Each test makes one edit an insider could make in the database file, or one race the
app can create, and checks that no case key reaches someone who should not have it.
"""

from __future__ import annotations

import pytest

from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure, NotAMember
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.integrity import verify
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, sample_report

KIM, SAM, AVERY = "Kim", "Sam", "Avery"
PASSPHRASES = {KIM: "kim passphrase", SAM: "sam passphrase", AVERY: "avery passphrase"}


@pytest.fixture
def team(desk: Desk, session: Session) -> dict[str, Session]:
    team = TeamService(session)
    team.add_member(KIM, Role.RESPONDER, PASSPHRASES[KIM], FAST_FOR_TESTS)
    team.add_member(SAM, Role.RESPONDER, PASSPHRASES[SAM], FAST_FOR_TESTS)
    team.add_member(AVERY, Role.CHAIR, PASSPHRASES[AVERY], FAST_FOR_TESTS)
    CaseService(session).add_report(sample_report("one"))
    return {LEAD: session, **{n: desk.unlock(n, p) for n, p in PASSPHRASES.items()}}


def case_id(team: dict[str, Session]) -> str:
    return CaseService(team[LEAD]).list_cases()[0].id


def member_id(team: dict[str, Session], name: str) -> int:
    return team[name].member_id


def test_a_junk_key_row_for_a_removed_member_gets_no_new_key(team: dict[str, Session]) -> None:
    c = case_id(team)
    TeamService(team[LEAD]).remove_member(SAM)
    db = team[LEAD].db
    db.execute(
        "INSERT INTO case_keys (case_id, member_id, sealed) VALUES (?, ?, ?)", [c, member_id(team, SAM), b"x"]
    )
    # A routine re-key now stops at the edit: the case no longer matches the vault's seal.
    with pytest.raises(IntegrityFailure, match=f"{c} does not match its sealed state"):
        AccessService(team[KIM]).declare_conflict(c)
    assert case_store.sealed_key(db, c, member_id(team, SAM)) == b"x"  # nothing sealed to them
    assert f"{c}: Sam is off the team but holds a key copy of it" in verify(team[LEAD])
    removed = member_store.by_id(db, member_id(team, SAM))
    assert removed is not None and not removed.active and removed.key.wrapped == b""


def test_a_deleted_recusal_row_ends_no_recusal(team: dict[str, Session]) -> None:
    c = case_id(team)
    AccessService(team[KIM]).declare_conflict(c)
    db = team[LEAD].db
    db.execute("DELETE FROM recusals WHERE member_id = ?", [member_id(team, KIM)])
    db.execute(
        "INSERT INTO case_keys (case_id, member_id, sealed) VALUES (?, ?, ?)", [c, member_id(team, KIM), b"x"]
    )
    found = verify(team[LEAD])
    assert f"{c}: its recusal records differ from the audit log" in found
    assert f"{c}: Kim stepped out of it but holds a key copy of it" in found
    with pytest.raises(NotAMember, match="stepped out"):
        team[KIM].case_key(c)  # refused on the recusal (the audit log's), not on the missing copy
    with pytest.raises(IntegrityFailure, match=f"{c} does not match its sealed state"):
        AccessService(team[SAM]).declare_conflict(c)  # a re-key by someone else stops at the edit
    assert case_store.sealed_key(db, c, member_id(team, KIM)) == b"x"


def test_reenrolment_reseals_exactly_the_cases_the_member_held(team: dict[str, Session]) -> None:
    c = case_id(team)
    AccessService(team[KIM]).declare_conflict(c)
    team[LEAD].db.execute("DELETE FROM recusals WHERE member_id = ?", [member_id(team, KIM)])
    given = TeamService(team[LEAD]).reenrol(KIM, "kim's new one", FAST_FOR_TESTS)
    assert given == 0
    assert case_store.sealed_key(team[LEAD].db, c, member_id(team, KIM)) is None


def test_a_removed_member_turned_active_in_the_file_is_reported(team: dict[str, Session]) -> None:
    TeamService(team[LEAD]).remove_member(SAM)
    s = team[LEAD]
    member = member_store.by_id(s.db, member_id(team, SAM))
    assert member is not None
    from dataclasses import replace

    member_store.update(s.db, s.event_keys, replace(member, active=True))  # an insider with the event key
    assert f"member #{member.id} was removed but is active again" in verify(s)


def test_a_passphrase_change_does_not_undo_a_removal(team: dict[str, Session]) -> None:
    sam = team[SAM]
    TeamService(team[LEAD]).remove_member(SAM)
    with pytest.raises(NotAMember):
        TeamService(sam).change_passphrase(PASSPHRASES[SAM], "sam's new one", FAST_FOR_TESTS)
    member = member_store.by_id(sam.db, sam.member_id)
    assert member is not None and not member.active


def test_a_member_who_stepped_out_cannot_purge_the_case(team: dict[str, Session]) -> None:
    c = case_id(team)
    AccessService(team[AVERY]).declare_conflict(c)
    with pytest.raises(NotAMember):
        CaseService(team[AVERY]).purge(c)
    assert case_store.get(team[LEAD].db, team[LEAD].event_keys, c) is not None


def test_a_locked_session_answers_no_case_key(team: dict[str, Session]) -> None:
    c = case_id(team)
    s = team[KIM]
    s.case_key(c)  # remembered
    s.lock()
    with pytest.raises(NotAMember):
        s.case_key(c)
