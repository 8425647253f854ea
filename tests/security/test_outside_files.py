"""Outside files (SECURITY.md battery 15): a bundle or a ban list is hostile, whoever sealed it.

A bundle is authenticated by its sender's key, but that key only says which
vault sent it: the sender's name is a claim, and an old bundle is still a
genuine one. So a bundle cannot move a case backwards (replayed, or an older
copy inside a newer one), cannot recuse, remove or speak for the receiving
vault's members, and a ban list is never sealed to a member who stepped out of
a banned case.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey

from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.errors import NotAMember
from cocdesk.exchange.bundle import parse_public_key
from cocdesk.service import CaseService, Desk, Session
from cocdesk.service.access import AccessService, recused_now
from cocdesk.service.banlist import BanlistService
from cocdesk.service.handoff import HandoffService
from cocdesk.service.integrity import verify
from cocdesk.service.transparency import transparency_report
from cocdesk.store import cases as case_store
from cocdesk.vault import envelope
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.cli.test_cli import Run
from tests.cli.test_cli_team import one_line
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report
from tests.unit.test_banlist import BAN, decided
from tests.unit.test_service_steps import Team, dump
from tests.unit.test_service_steps import team as team  # noqa: PLC0414 - the fixture, shared

OLDER = "older than the copy already taken in from this key: nothing changed"


def committee_desk(folder: Path, name: str = "Alex") -> Desk:
    return Desk.create(
        folder, "CoC Committee", name, "committee passphrase", role=Role.CHAIR,
        params=FAST_FOR_TESTS, clock=lambda: FROZEN,
    )  # fmt: skip


@pytest.fixture
def committee(tmp_path: Path) -> Iterator[Session]:
    desk = committee_desk(tmp_path / "committee")
    yield desk.unlock("Alex", "committee passphrase")
    desk.close()


def key_of(session: Session) -> bytes:
    return parse_public_key(HandoffService(session).public_key_text(), "test")


def send(sender: Session, recipient: Session, path: Path, case_ids: list[str] | None = None) -> bytes:
    HandoffService(sender).export(key_of(recipient), path, case_ids)
    return path.read_bytes()


def reseal(
    blob: bytes, recipient: Session, sender: PrivateKey, change: Callable[[dict[str, Any]], None]
) -> bytes:
    """The bundle's payload changed by `change`, sealed again by `sender` to `recipient`."""
    data = json.loads(envelope.open_("bundle", recipient.private_key, blob).payload)
    change(data)
    payload = json.dumps(data).encode("ascii")
    return envelope.seal("bundle", sender, bytes(recipient.private_key.public_key), payload)


def theirs_of(session: Session, there: Session, case_id: str) -> str:
    row = case_store.by_uid(there.db, there.event_keys, CaseService(session).row(case_id).uid)
    assert row is not None
    return row.id


# -- 3. an older bundle never moves a case backwards ----------------------------------------------
def test_reimporting_an_older_bundle_does_not_revert_the_decision(
    team: Team, committee: Session, tmp_path: Path
) -> None:
    """Issue 14.3: c1 (reported), then c2 (a ban), then c1 again."""
    lead = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    c1 = send(lead, committee, tmp_path / "c1.sealed")
    HandoffService(committee).import_(c1)
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, BAN)
    HandoffService(committee).import_(send(lead, committee, tmp_path / "c2.sealed"))
    theirs = theirs_of(lead, committee, case_id)
    assert CaseService(committee).row(theirs).actions == ("ban",)
    tally = transparency_report(committee).tally
    before = dump(committee)

    again = HandoffService(committee).import_(c1)

    assert again.refused == [(case_id, OLDER)]
    assert again.added == again.updated == again.conflicts == []
    row = CaseService(committee).row(theirs)
    assert (row.status, row.actions) == (Status.DECIDED, ("ban",))
    assert dump(committee) == before, "an older bundle wrote something"
    assert transparency_report(committee).tally == tally
    assert verify(committee) == []


def test_an_older_copy_inside_a_newer_bundle_does_not_move_the_status_back(
    team: Team, committee: Session, tmp_path: Path
) -> None:
    """The sender's own key seals c1's copy as if it were the newest: status and actions stand."""
    lead = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    c1 = send(lead, committee, tmp_path / "c1.sealed")
    HandoffService(committee).import_(c1)
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, BAN)
    HandoffService(committee).import_(send(lead, committee, tmp_path / "c2.sealed"))
    newer = reseal(c1, committee, lead.private_key, lambda d: d.update(seq=10**9))

    HandoffService(committee).import_(newer)

    row = CaseService(committee).row(theirs_of(lead, committee, case_id))
    assert (row.status, row.actions) == (Status.DECIDED, ("ban",))
    view = CaseService(committee).open_case(row.id)
    assert view.steps.decision is not None and view.steps.decision.codes == ("ban",)
    assert verify(committee) == []


# -- 7. a bundle cannot recuse, remove or speak for members here ----------------------------------
def stepping_out(names: list[str]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for case in data["cases"]:
            case["stepped_out"] = names

    return change


@pytest.mark.parametrize("known", [False, True], ids=["a-new-case", "a-case-already-here"])
def test_a_bundle_cannot_recuse_the_members_here(
    team: Team, committee: Session, tmp_path: Path, known: bool
) -> None:
    """Issue 14.7: a bundle naming every lead and the chair as stepped out, taken in by a responder."""
    lead, kim = team.sessions[LEAD], team.sessions["Kim"]
    if known:
        case_id = team.cases(LEAD).add_report(sample_report())
        HandoffService(committee).import_(send(lead, committee, tmp_path / "out.sealed"))
    else:
        CaseService(committee).add_report(sample_report())
    blob = send(committee, kim, tmp_path / "back.sealed")
    forged = reseal(blob, kim, committee.private_key, stepping_out([LEAD, "Jo", "Avery"]))

    done = HandoffService(kim).import_(forged)

    here = done.updated[0][0] if known else done.added[0][0]
    if known:
        assert here == case_id
    assert recused_now(lead, here) == set()
    for name in (LEAD, "Jo", "Avery", "Kim"):
        assert case_store.sealed_key(lead.db, here, team.ids[name]) is not None, name
    view = CaseService(lead).open_case(here)  # a lead still opens it
    fingerprint = envelope.fingerprint(bytes(committee.private_key.public_key))
    assert view.stepped_out_elsewhere == tuple(
        f"{name} (stepped out at the sender of a bundle, key {fingerprint})" for name in ("Avery", "Jo", LEAD)
    )
    assert AccessService(lead).access(here).recused == ()
    assert sorted(name for _, name in done.stepped_out_there) == ["Avery", "Jo", LEAD]
    AccessService(kim).declare_conflict(here)  # the team records a conflict here, and lifts it
    AccessService(lead).lift(here, "Kim")
    assert verify(lead) == []


def test_notes_steps_and_timeline_from_a_bundle_say_where_they_came_from(team: Team, tmp_path: Path) -> None:
    """The committee's chair is also called Robin: the event's Robin's words never show as hers."""
    desk = committee_desk(tmp_path / "other-robin", name=LEAD)
    robin_there = desk.unlock(LEAD, "committee passphrase")
    lead = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    team.cases(LEAD).add_note(case_id, "spoke with the reporter")
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, BAN)

    done = HandoffService(robin_there).import_(send(lead, robin_there, tmp_path / "b.sealed"))

    via = f"{LEAD} (via bundle from {HandoffService(lead).fingerprint()})"
    view = CaseService(robin_there).open_case(done.added[0][0])
    assert [n.who for n in view.notes] == [via]
    assert view.steps.decision is not None and view.steps.decision.by == via
    assert view.steps.meeting is not None and view.steps.meeting.by == via
    imported = [t for t in view.timeline if t.what == "report taken"]
    assert [t.who for t in imported] == [
        f"{LEAD} (PyColorado 2026, via bundle from {HandoffService(lead).fingerprint()})"
    ]
    assert not any(t.who == LEAD and t.what != "taken in from a handoff bundle" for t in view.timeline)
    CaseService(robin_there).add_note(done.added[0][0], "the committee's own note")
    assert [n.who for n in CaseService(robin_there).open_case(done.added[0][0]).notes] == [via, LEAD]
    assert verify(robin_there) == []
    desk.close()


def test_a_timeline_entry_without_a_place_still_says_which_bundle_brought_it(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    """A bundle's timeline entry with no "where" and a local member's name is still shown as outside."""
    CaseService(committee).add_report(sample_report())

    def forge(data: dict[str, Any]) -> None:
        for entry in data["cases"][0]["timeline"]:
            entry.update(who=LEAD, where="")

    blob = reseal(send(committee, session, tmp_path / "b.sealed"), session, committee.private_key, forge)
    done = HandoffService(session).import_(blob)
    view = CaseService(session).open_case(done.added[0][0])
    fingerprint = HandoffService(committee).fingerprint()
    assert [t.who for t in view.timeline if t.what == "report taken"] == [
        f"{LEAD} (via bundle from {fingerprint})"
    ]


# -- 8. a ban list is never sealed to a member who stepped out of a banned case -------------------
def test_a_ban_list_is_not_sealed_to_a_member_who_stepped_out_of_a_banned_case(
    team: Team, tmp_path: Path
) -> None:
    case_id = decided(team, "Sam Banned", "", BAN)
    AccessService(team.sessions["Kim"]).declare_conflict(case_id)
    before = dump(team.sessions[LEAD])
    with pytest.raises(NotAMember, match=f"that key belongs to a member who stepped out of {case_id}"):
        BanlistService(team.sessions[LEAD]).export(key_of(team.sessions["Kim"]), tmp_path / "ban.sealed")
    assert not (tmp_path / "ban.sealed").exists()
    assert dump(team.sessions[LEAD]) == before


# -- the command line: exit codes and one line -----------------------------------------------------
COMMITTEE = {"COCDESK_MEMBER": "Alex", "COCDESK_PASSPHRASE": "committee passphrase"}
ROBIN = {"COCDESK_MEMBER": LEAD, "COCDESK_PASSPHRASE": LEAD_PASSPHRASE}


def test_cli_an_older_bundle_is_a_no_op_with_one_line_each(
    team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    desk = committee_desk(tmp_path / "cli-committee")
    alex = desk.unlock("Alex", "committee passphrase")
    c1 = tmp_path / "c1.sealed"
    send(lead, alex, c1)
    alex_key = key_of(alex)
    desk.close()
    committee = Run(tmp_path / "cli-committee", monkeypatch)
    sender = HandoffService(lead).fingerprint()
    assert committee("bundle", "import", str(c1), "--from", sender, **COMMITTEE)[0] == 0
    team.steps(LEAD).record_meeting(case_id, team.meeting(LEAD, "Kim"))
    team.steps(LEAD).decide(case_id, BAN)
    HandoffService(lead).export(alex_key, tmp_path / "c2")
    assert committee("bundle", "import", str(tmp_path / "c2"), "--from", sender, **COMMITTEE)[0] == 0
    before = (tmp_path / "cli-committee" / "cocdesk.db").read_bytes()

    code, out, err = committee("bundle", "import", str(c1), "--from", sender, **COMMITTEE)

    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [f"not taken in: their {case_id}: {OLDER}"]
    assert (tmp_path / "cli-committee" / "cocdesk.db").read_bytes() == before
    code, out, _ = committee("list", "--json", **COMMITTEE)
    assert [c["status"] for c in json.loads(out)] == ["decided"]


def test_cli_a_ban_list_for_a_member_who_stepped_out_exits_3(
    team: Team, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = decided(team, "Sam Banned", "", BAN)
    AccessService(team.sessions["Kim"]).declare_conflict(case_id)
    (tmp_path / "kim.pub").write_text(HandoffService(team.sessions["Kim"]).public_key_text())
    event = Run(team.desk.path.parent, monkeypatch)
    before = team.desk.path.read_bytes()
    code, out, err = event(
        "banlist", "export", "--to", str(tmp_path / "kim.pub"), "--out", str(tmp_path / "b"), **ROBIN
    )
    assert (code, out) == (3, "") and one_line(err)
    assert f"that key belongs to a member who stepped out of {case_id}" in err
    assert not (tmp_path / "b").exists()
    assert team.desk.path.read_bytes() == before


def test_cli_a_bundle_naming_members_here_as_stepped_out_recuses_nobody(
    team: Team, committee: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CaseService(committee).add_report(sample_report())
    kim = team.sessions["Kim"]
    blob = send(committee, kim, tmp_path / "b.sealed")
    (tmp_path / "forged.sealed").write_bytes(
        reseal(blob, kim, committee.private_key, stepping_out([LEAD, "Jo", "Avery"]))
    )
    event = Run(team.desk.path.parent, monkeypatch)
    sender = HandoffService(committee).fingerprint()
    code, out, err = event(
        "bundle", "import", str(tmp_path / "forged.sealed"), "--from", sender,
        COCDESK_MEMBER="Kim", COCDESK_PASSPHRASE="Kim passphrase",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        "added    C-0001  (their C-0001)",
        *(
            f"noted    C-0001  {n} stepped out there (their record, not applied here)"
            for n in ("Avery", "Jo", LEAD)
        ),
    ]
    code, out, err = event("export", "C-0001", "--format", "json", **ROBIN)
    assert (code, err) == (0, "")
    assert json.loads(out)["stepped_out_elsewhere"] == [
        f"{n} (stepped out at the sender of a bundle, key {sender})" for n in ("Avery", "Jo", LEAD)
    ]
