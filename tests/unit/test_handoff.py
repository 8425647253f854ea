"""Handoff bundles between two real vaults: round trip, merge, idempotence, conflicts, refusals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from nacl.public import PrivateKey

from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure, NotAMember, VaultExists
from cocdesk.exchange.bundle import parse_public_key
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService, recused_now
from cocdesk.service.handoff import HandoffService
from cocdesk.service.integrity import verify
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import write
from cocdesk.vault import envelope
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, sample_report
from tests.security.test_plaintext_scan import new_marker, scan
from tests.unit.test_service_steps import ACTIONS, Team, dump

ALEX, ALEX_PW = "Alex", "committee passphrase"


@pytest.fixture
def committee(tmp_path: Path) -> Iterator[Session]:
    """A second vault: the post-event committee, one chair."""
    desk = Desk.create(
        tmp_path / "committee",
        "CoC Committee",
        ALEX,
        ALEX_PW,
        role=Role.CHAIR,
        params=FAST_FOR_TESTS,
        clock=lambda: FROZEN,
    )
    yield desk.unlock(ALEX, ALEX_PW)
    desk.close()


def key_of(session: Session) -> bytes:
    return parse_public_key(HandoffService(session).public_key_text(), "test")


def send(sender: Session, recipient: Session, path: Path, case_ids: list[str] | None = None) -> bytes:
    HandoffService(sender).export(key_of(recipient), path, case_ids)
    return path.read_bytes()


def test_a_case_arrives_whole_and_the_other_vault_verifies(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    cases = CaseService(session)
    marker = new_marker()
    case_id = cases.add_report(sample_report(marker))
    cases.add_note(case_id, f"note {marker}")
    blob = send(session, committee, tmp_path / "b.sealed")
    assert not scan([tmp_path / "b.sealed"], {marker: "bundle"}), "plaintext in the bundle file"

    done = HandoffService(committee).import_(blob)
    assert [pair[1] for pair in done.added] == [case_id]
    here = CaseService(committee).open_case(done.added[0][0])
    there = cases.open_case(case_id)
    assert here.report == there.report
    assert [n.text for n in here.notes] == [f"note {marker}"]
    assert here.summary.status == there.summary.status
    via = f"(PyColorado 2026, via bundle from {HandoffService(session).fingerprint()})"
    assert any("report taken" in t.what and via in t.who for t in here.timeline)
    assert verify(committee) == []
    assert verify(session) == []


def test_the_blind_index_finds_an_imported_case(session: Session, committee: Session, tmp_path: Path) -> None:
    report = sample_report()
    CaseService(session).add_report(report)
    HandoffService(committee).import_(send(session, committee, tmp_path / "b.sealed"))
    assert CaseService(committee).earlier_reports_naming(report.identifiers()) == 1


def test_importing_twice_changes_nothing(session: Session, committee: Session, tmp_path: Path) -> None:
    CaseService(session).add_report(sample_report())
    blob = send(session, committee, tmp_path / "b.sealed")
    HandoffService(committee).import_(blob)
    before = dump(committee)
    again = HandoffService(committee).import_(blob)
    assert again.added == [] and again.updated == [] and len(again.unchanged) == 1
    assert dump(committee) == before


def test_an_edit_made_there_comes_back_here(session: Session, committee: Session, tmp_path: Path) -> None:
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    done = HandoffService(committee).import_(send(session, committee, tmp_path / "out.sealed"))
    theirs = done.added[0][0]
    c = CaseService(committee)
    c.update_report(theirs, replace(c.open_case(theirs).report, location="Room 4, corrected"))
    c.add_note(theirs, "the committee's note")
    back = HandoffService(session).import_(send(committee, session, tmp_path / "back.sealed"))
    assert back.updated == [(case_id, theirs)] and back.conflicts == []
    view = cases.open_case(case_id)
    assert view.report.location == "Room 4, corrected"
    assert [n.text for n in view.notes] == ["the committee's note"]
    assert view.conflicts == ()


def test_edits_on_both_sides_keep_both_versions(session: Session, committee: Session, tmp_path: Path) -> None:
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    theirs = HandoffService(committee).import_(send(session, committee, tmp_path / "1.sealed")).added[0][0]
    c = CaseService(committee)
    c.update_report(theirs, replace(c.open_case(theirs).report, description="the committee's version"))
    cases.update_report(case_id, replace(cases.open_case(case_id).report, description="our version"))
    blob = send(committee, session, tmp_path / "2.sealed")

    done = HandoffService(session).import_(blob)
    assert done.conflicts == [(case_id, "description")]
    view = cases.open_case(case_id)
    assert view.report.description == "our version"
    assert [(k.field, k.value) for k in view.conflicts] == [("description", "the committee's version")]
    assert any(
        t.what == "a bundle's edit of description disagreed with ours: both versions kept"
        for t in view.timeline
    )
    before = dump(session)
    assert HandoffService(session).import_(blob).conflicts == []
    assert dump(session) == before, "a conflict was recorded twice"


def test_an_old_bundle_does_not_undo_a_newer_edit(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    old = send(session, committee, tmp_path / "old.sealed")
    HandoffService(committee).import_(old)
    c = CaseService(committee)
    theirs = case_store.by_uid(committee.db, committee.event_keys, cases.row(case_id).uid)
    assert theirs is not None
    c.update_report(theirs.id, replace(c.open_case(theirs.id).report, location="newer"))
    HandoffService(committee).import_(old)
    assert c.open_case(theirs.id).report.location == "newer"


def test_a_late_bundle_leaves_newer_copies_alone_and_still_brings_its_new_cases(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    """Per key and per case: the older bundle's copy of C-0001 is refused, its C-0002 is taken."""
    cases = CaseService(session)
    first_id = cases.add_report(sample_report())
    second_id = cases.add_report(sample_report(location="elsewhere"))
    late = send(session, committee, tmp_path / "late.sealed")
    cases.update_report(first_id, replace(cases.open_case(first_id).report, location="corrected"))
    HandoffService(committee).import_(send(session, committee, tmp_path / "new.sealed", [first_id]))

    done = HandoffService(committee).import_(late)

    assert done.refused == [(first_id, "older than the copy already taken in from this key: nothing changed")]
    assert [theirs for _, theirs in done.added] == [second_id]
    uid = cases.row(first_id).uid
    theirs = case_store.by_uid(committee.db, committee.event_keys, uid)
    assert theirs is not None
    assert CaseService(committee).open_case(theirs.id).report.location == "corrected"
    assert verify(committee) == []


def test_a_newer_bundle_that_changes_nothing_is_up_to_date_and_keeps_the_retention_clock(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    CaseService(session).add_report(sample_report())
    HandoffService(committee).import_(send(session, committee, tmp_path / "1.sealed"))
    theirs = CaseService(committee).list_cases()[0]
    done = HandoffService(committee).import_(send(session, committee, tmp_path / "2.sealed"))
    assert done.updated == [] and len(done.unchanged) == 1
    assert CaseService(committee).list_cases()[0].updated_at == theirs.updated_at
    assert HandoffService(committee).import_((tmp_path / "1.sealed").read_bytes()).refused != []


def test_a_bundle_in_the_format_without_numbers_is_refused(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    CaseService(session).add_report(sample_report())
    blob = send(session, committee, tmp_path / "b.sealed")

    def older(data: dict[str, Any]) -> None:
        data["format"] = "cocdesk-bundle/2"
        del data["seq"]

    forged = reseal(blob, committee, session.private_key, older)
    with pytest.raises(IntegrityFailure, match="made by an older cocdesk, without a bundle number"):
        HandoffService(committee).import_(forged)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-1],
        lambda b: b[: len(b) // 2],
        lambda b: b[:100] + bytes([b[100] ^ 4]) + b[101:],
        lambda b: b[:-3] + bytes([b[-3] ^ 1]) + b[-2:],
        lambda b: b"not a bundle at all",
    ],
    ids=["one-byte-short", "half", "header-bit", "payload-bit", "other-file"],
)
def test_a_damaged_bundle_is_refused_and_nothing_is_written(
    session: Session, committee: Session, tmp_path: Path, damage: object
) -> None:
    CaseService(session).add_report(sample_report())
    blob = send(session, committee, tmp_path / "b.sealed")
    before = dump(committee)
    with pytest.raises(IntegrityFailure):
        HandoffService(committee).import_(damage(blob))  # type: ignore[operator]
    assert dump(committee) == before


def test_a_bundle_sealed_to_someone_else_is_refused(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    CaseService(session).add_report(sample_report())
    blob = send(session, committee, tmp_path / "b.sealed")
    with pytest.raises(IntegrityFailure, match="sealed to another key"):
        HandoffService(session).import_(blob)


def test_an_export_never_overwrites_and_records_nothing_when_it_cannot_write(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    CaseService(session).add_report(sample_report())
    target = tmp_path / "there.sealed"
    target.write_bytes(b"keep me")
    before = dump(session)
    with pytest.raises(VaultExists):
        HandoffService(session).export(key_of(committee), target)
    assert target.read_bytes() == b"keep me"
    assert dump(session) == before


def test_a_bundle_file_is_for_this_user_only(session: Session, committee: Session, tmp_path: Path) -> None:
    CaseService(session).add_report(sample_report())
    send(session, committee, tmp_path / "b.sealed")
    assert (tmp_path / "b.sealed").stat().st_mode & 0o777 == 0o600


def test_a_member_who_stepped_out_cannot_bundle_that_case(
    team: Team,
    committee: Session,
    tmp_path: Path,
) -> None:
    lead = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    team.cases(LEAD).add_report(sample_report())
    kim = team.sessions["Kim"]
    AccessService(kim).declare_conflict(case_id)
    with pytest.raises(NotAMember, match="stepped out"):
        HandoffService(kim).export(key_of(committee), tmp_path / "x.sealed", [case_id])
    done = HandoffService(kim).export(key_of(committee), tmp_path / "y.sealed")
    assert done.left_out == 1 and case_id not in done.case_ids
    assert verify(lead) == []


def test_a_decided_case_carries_its_decision_and_status(
    team: Team,
    committee: Session,
    tmp_path: Path,
) -> None:
    from tests.unit.test_service_steps import decided_case

    case_id = decided_case(team)
    lead = team.sessions[LEAD]
    done = HandoffService(committee).import_(send(lead, committee, tmp_path / "d.sealed"))
    here = CaseService(committee).open_case(done.added[0][0])
    assert here.summary.status.value == "decided"
    decision = team.cases(LEAD).open_case(case_id).steps.decision
    assert decision is not None
    # Who decided is the sender's word: shown with the key that brought it.
    assert here.steps.decision == replace(
        decision, by=f"{LEAD} (via bundle from {HandoffService(lead).fingerprint()})"
    )
    assert here.steps.decision is not None and here.steps.decision.codes == ACTIONS.codes
    row = CaseService(committee).row(done.added[0][0])
    assert row.actions == ("warning", "avoid-contact")
    assert verify(committee) == []


def test_members_added_later_here_are_given_imported_cases(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    CaseService(session).add_report(sample_report())
    HandoffService(committee).import_(send(session, committee, tmp_path / "b.sealed"))
    TeamService(committee).add_member("Sky", Role.RESPONDER, "sky passphrase", FAST_FOR_TESTS)
    sky = Desk.open(Path(committee.db.conn.execute("PRAGMA database_list").fetchone()[2]).parent)
    try:
        listed = CaseService(sky.unlock("Sky", "sky passphrase")).list_cases()
    finally:
        sky.close()
    assert [c.id for c in listed] == ["C-0001"]


def test_a_kept_conflict_is_in_both_exports(session: Session, committee: Session, tmp_path: Path) -> None:
    import json

    from cocdesk.exchange import case_export

    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    theirs = HandoffService(committee).import_(send(session, committee, tmp_path / "1.sealed")).added[0][0]
    c = CaseService(committee)
    c.update_report(theirs, replace(c.open_case(theirs).report, location="[bold]their room[/]"))
    cases.update_report(case_id, replace(cases.open_case(case_id).report, location="our room"))
    HandoffService(session).import_(send(committee, session, tmp_path / "2.sealed"))
    view = cases.open_case(case_id)
    data = json.loads(case_export.to_json(view))
    assert [(k["field"], k["value"], k["from"]) for k in data["conflicts"]] == [
        ("location", "[bold]their room[/]", "Alex, CoC Committee")
    ]
    md = case_export.to_markdown(view, session.playbook)
    assert "## Conflicting versions from bundles (the record above is ours)" in md
    assert "- location, from Alex, CoC Committee at" in md and "[bold]their room[/]" in md


def test_a_third_vaults_stale_edit_does_not_overwrite_the_seconds(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    """Bases are kept per peer: an edit made on an older copy elsewhere is a conflict, not a win."""
    third_desk = Desk.create(
        tmp_path / "third",
        "Venue office",
        "Lee",
        "lee passphrase",
        params=FAST_FOR_TESTS,
        clock=lambda: FROZEN,
    )
    third = third_desk.unlock("Lee", "lee passphrase")
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    b = HandoffService(committee).import_(send(session, committee, tmp_path / "b.sealed")).added[0][0]
    c = HandoffService(third).import_(send(session, third, tmp_path / "c.sealed")).added[0][0]
    for svc, cid, where in (
        (CaseService(committee), b, "by the committee"),
        (CaseService(third), c, "by the venue"),
    ):
        svc.update_report(cid, replace(svc.open_case(cid).report, location=where))
    HandoffService(session).import_(send(committee, session, tmp_path / "from-b.sealed"))
    assert cases.open_case(case_id).report.location == "by the committee"
    done = HandoffService(session).import_(send(third, session, tmp_path / "from-c.sealed"))
    assert done.conflicts == [(case_id, "location")]
    view = cases.open_case(case_id)
    assert view.report.location == "by the committee"
    assert [k.value for k in view.conflicts] == ["by the venue"]
    third_desk.close()


def test_a_uid_edited_in_the_file_is_refused(session: Session) -> None:
    """The uid decides which case a bundle merges into: it is under the case's MAC."""
    case_id = CaseService(session).add_report(sample_report())
    with session.db.conn:
        session.db.execute("UPDATE cases SET uid = ? WHERE id = ?", ["0" * 32, case_id])
    with pytest.raises(IntegrityFailure, match="altered outside cocdesk"):
        CaseService(session).row(case_id)


def test_a_case_from_before_uids_gets_one_when_first_bundled(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    row = cases.row(case_id)
    with write(session.db):  # as an older cocdesk wrote it: no uid, MAC without one (sealed since)
        case_store.update(session.db, session.event_keys, replace(row, uid=""))
    assert cases.row(case_id).uid == ""
    HandoffService(committee).import_(send(session, committee, tmp_path / "b.sealed"))
    uid = cases.row(case_id).uid
    assert len(uid) == 32
    assert case_store.by_uid(committee.db, committee.event_keys, uid) is not None
    assert verify(session) == []


# -- hostile bundles (someone who has your public key can seal one) -----------------------------
def reseal(
    blob: bytes, recipient: Session, sender: PrivateKey, change: Callable[[dict[str, Any]], None]
) -> bytes:
    """The bundle's payload changed by `change`, sealed again by `sender` to `recipient`."""
    data = json.loads(envelope.open_("bundle", recipient.private_key, blob).payload)
    change(data)
    payload = json.dumps(data).encode("ascii")
    return envelope.seal("bundle", sender, bytes(recipient.private_key.public_key), payload)


def first(data: dict[str, Any]) -> dict[str, Any]:
    return data["cases"][0]  # type: ignore[no-any-return]


def deep(levels: int) -> object:
    value: object = "x"
    for _ in range(levels):
        value = [value]
    return value


HOSTILE: dict[str, Callable[[dict[str, Any]], None]] = {
    "a name that is a number": lambda d: first(d)["fields"]["reported"][0].update(name=7),
    "a time no screen can read": lambda d: first(d).update(created_at="last tuesday"),
    "a ban without a decision": lambda d: first(d)["facts"].update(actions=["ban"], outcome="actions"),
    "a lone surrogate": lambda d: first(d)["facts"].update(category="\ud800"),
    "an unknown category": lambda d: first(d)["facts"].update(category="made-up"),
    "an unknown status": lambda d: first(d)["facts"].update(status="vanished"),
    "a case never reported": lambda d: first(d)["facts"].update(status="new"),
    "nesting 500 deep": lambda d: first(d)["fields"].update(description=deep(500)),
    "a field cocdesk does not know": lambda d: first(d)["fields"].update(secret_channel="x"),
    "an older format": lambda d: d.update(format="cocdesk-bundle/1"),
}


@pytest.mark.parametrize("change", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_bundle_is_refused_whole_and_no_value_is_echoed(
    session: Session, committee: Session, tmp_path: Path, change: Callable[[dict[str, Any]], None]
) -> None:
    CaseService(session).add_report(sample_report())
    blob = reseal(send(session, committee, tmp_path / "b.sealed"), committee, PrivateKey.generate(), change)
    before = dump(committee)
    with pytest.raises(IntegrityFailure) as caught:
        HandoffService(committee).import_(blob)
    assert "last tuesday" not in str(caught.value) and "vanished" not in str(caught.value)
    assert dump(committee) == before


def test_a_stranger_fills_in_nothing_of_an_existing_case(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    """With a case's uid (it is plain in a stolen file), a stranger adds a note and a decision:
    both are kept only as conflicting versions, never written into the record."""
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    blob = send(session, session, tmp_path / "mine.sealed")  # to Robin's own key: a well-formed bundle

    def forge(data: dict[str, Any]) -> None:
        first(data)["fields"]["notes"] = [{"at": "2026-05-02T15:00:00Z", "by": "Robin", "text": "forged"}]

    forged = reseal(blob, session, PrivateKey.generate(), forge)
    done = HandoffService(session).import_(forged)
    assert done.conflicts == [(case_id, "notes")]
    view = cases.open_case(case_id)
    assert view.notes == ()
    assert [k.field for k in view.conflicts] == ["notes"]
    before = dump(session)
    HandoffService(session).import_(forged)
    assert dump(session) == before


def test_a_conflict_of_interest_travels_as_the_senders_record(
    team: Team, committee: Session, tmp_path: Path
) -> None:
    """Kim stepped out of the case at the event: the committee sees that record, and its own
    Kim (a name is not a member) is not stepped out by the bundle; she declares it here."""
    lead = team.sessions[LEAD]
    case_id = team.cases(LEAD).add_report(sample_report())
    AccessService(team.sessions["Kim"]).declare_conflict(case_id)
    TeamService(committee).add_member("Kim", Role.RESPONDER, "kim at the committee", FAST_FOR_TESTS)
    done = HandoffService(committee).import_(send(lead, committee, tmp_path / "b.sealed"))
    theirs = done.added[0][0]
    assert done.stepped_out_there == [(theirs, "Kim")]
    kim = member_store.by_name(committee.db, "Kim")
    assert kim is not None
    assert recused_now(committee, theirs) == set()
    fingerprint = HandoffService(lead).fingerprint()
    assert CaseService(committee).open_case(theirs).stepped_out_elsewhere == (
        f"Kim (stepped out at the sender of a bundle, key {fingerprint})",
    )
    assert verify(committee) == []
    again = HandoffService(committee).import_(send(lead, committee, tmp_path / "c.sealed"))
    assert again.stepped_out_there == [] and again.updated == []


def test_a_bundle_naming_the_member_who_takes_it_in_does_not_stop_them(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    """A name in a bundle is not a member here: Robin takes in a case "Robin stepped out of"."""
    CaseService(committee).add_report(sample_report())
    TeamService(committee).add_member(LEAD, Role.LEAD, "their robin's passphrase", FAST_FOR_TESTS)
    there = Desk.open(tmp_path / "committee")
    AccessService(there.unlock(LEAD, "their robin's passphrase")).declare_conflict("C-0001")
    there.close()
    done = HandoffService(session).import_(send(committee, session, tmp_path / "b.sealed"))
    here = done.added[0][0]
    assert done.stepped_out_there == [(here, LEAD)]
    assert case_store.sealed_key(session.db, here, session.member_id) is not None
    assert CaseService(session).open_case(here).report == CaseService(committee).open_case("C-0001").report
    assert verify(session) == []


def test_a_case_is_never_handed_to_the_key_of_someone_who_stepped_out(team: Team, tmp_path: Path) -> None:
    case_id = team.cases(LEAD).add_report(sample_report())
    kim = team.sessions["Kim"]
    AccessService(kim).declare_conflict(case_id)
    before = dump(team.sessions[LEAD])
    with pytest.raises(NotAMember, match="stepped out of"):
        HandoffService(team.sessions[LEAD]).export(key_of(kim), tmp_path / "k.sealed", [case_id])
    assert not (tmp_path / "k.sealed").exists()
    assert dump(team.sessions[LEAD]) == before


def test_a_purged_case_does_not_come_back_from_an_old_bundle(
    session: Session, committee: Session, tmp_path: Path
) -> None:
    cases = CaseService(session)
    case_id = cases.add_report(sample_report())
    HandoffService(committee).import_(send(session, committee, tmp_path / "out.sealed"))
    back = send(committee, session, tmp_path / "back.sealed")
    cases.purge(case_id)
    done = HandoffService(session).import_(back)
    assert done.added == [] and [theirs for theirs, _ in done.refused] == ["C-0001"]
    assert cases.list_cases() == []


def test_two_laptops_of_the_same_event_keep_each_others_timeline(tmp_path: Path) -> None:
    """Vaults are told apart by a random id, not by the event's name."""
    made = [
        Desk.create(tmp_path / n, "PyColorado 2026", n, f"{n} passphrase", params=FAST_FOR_TESTS)
        for n in ("Ana", "Bo")
    ]
    ana, bo = (d.unlock(n, f"{n} passphrase") for d, n in zip(made, ("Ana", "Bo"), strict=True))
    CaseService(ana).add_report(sample_report())
    theirs = HandoffService(bo).import_(send(ana, bo, tmp_path / "x.sealed")).added[0][0]
    whats = [(t.who, t.what) for t in CaseService(bo).open_case(theirs).timeline]
    via = HandoffService(ana).fingerprint()
    assert (f"Ana (PyColorado 2026, via bundle from {via})", "report taken") in whats
    for d in made:
        d.close()
