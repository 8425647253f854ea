"""Cases through the service layer: take, list, open, edit, purge; the blind index; the team."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cocdesk.domain.report import Report, ReportedPerson
from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.errors import NotAMember, NotFound, RuleRefused, UsageProblem, VaultExists, WrongPassphrase
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.integrity import verify
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report


def test_a_report_is_stored_and_comes_back_exactly(cases: CaseService) -> None:
    hostile = sample_report("[@click=app.quit]x[/] \x1b[2J \u202e")
    case_id = cases.add_report(hostile)
    assert case_id == "C-0001"
    view = cases.open_case(case_id)
    assert view.report == hostile
    assert view.summary.status is Status.REPORTED
    assert view.summary.holder == LEAD
    assert [(t.who, t.what) for t in view.timeline] == [(LEAD, "report taken")]
    assert view.timeline[0].at == "2026-05-02T15:00:00Z"


def test_case_ids_count_up(cases: CaseService) -> None:
    ids = [cases.add_report(sample_report(str(i))) for i in range(3)]
    assert ids == ["C-0001", "C-0002", "C-0003"]
    assert [c.id for c in cases.list_cases()] == ids


def test_the_queue_shows_only_plain_columns(cases: CaseService) -> None:
    cases.add_report(sample_report(urgent=True, category="threat"))
    (row,) = cases.list_cases()
    assert (row.status, row.category, row.urgent, row.holder) == (Status.REPORTED, "threat", True, LEAD)


def test_editing_a_report_replaces_it_and_is_on_the_timeline(cases: CaseService) -> None:
    case_id = cases.add_report(sample_report("one"))
    cases.update_report(case_id, sample_report("two", category="other"))
    view = cases.open_case(case_id)
    assert view.report == sample_report("two", category="other")
    assert view.summary.category == "other"
    assert [t.what for t in view.timeline] == ["report taken", "report edited"]


def test_opening_a_missing_case_says_so(cases: CaseService) -> None:
    with pytest.raises(NotFound, match="there is no case C-0404"):
        cases.open_case("C-0404")


def test_purging_removes_every_sealed_copy_and_keeps_the_log(cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    cases.purge(case_id)
    db = session.db
    for table in ("case_fields", "case_keys", "blind_index"):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE case_id = ?", [case_id]).fetchone()[0] == 0
    assert cases.list_cases() == []
    assert verify(session) == []


def test_only_leads_and_chairs_purge(desk: Desk, cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    TeamService(session).add_member("Jo", Role.RESPONDER, "jo pw", FAST_FOR_TESTS)
    jo = CaseService(desk.unlock("Jo", "jo pw"))
    with pytest.raises(RuleRefused, match="only a lead or the chair may purge"):
        jo.purge(case_id)


def test_the_blind_index_counts_earlier_reports_naming_a_person(cases: CaseService) -> None:
    sam = ReportedPerson(name="Sam Smith", badge="B-12")
    cases.add_report(sample_report(reported=(sam,)))
    cases.add_report(sample_report(reported=(ReportedPerson(name="  sam   SMITH"),)))
    cases.add_report(sample_report(reported=(ReportedPerson(name="Kim", badge="b 12"),)))
    cases.add_report(sample_report(reported=(ReportedPerson(name="Lee"),)))
    assert cases.earlier_reports_naming([("name", "sam smith")]) == 2
    assert cases.earlier_reports_naming([("badge", "b12")]) == 2
    assert cases.earlier_reports_naming([("name", "sam smith"), ("badge", "b12")]) == 3
    assert cases.earlier_reports_naming([("name", "nobody")]) == 0


def test_the_index_holds_no_names(cases: CaseService, session: Session) -> None:
    cases.add_report(sample_report(reported=(ReportedPerson(name="Sam Smith"),)))
    tags = [bytes(r[0]) for r in session.db.execute("SELECT tag FROM blind_index")]
    assert tags and all(b"sam" not in t.lower() for t in tags)


def test_a_new_member_can_open_existing_cases(desk: Desk, cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report("x"))
    TeamService(session).add_member("Kim", Role.CHAIR, "kim pw", FAST_FOR_TESTS)
    kim = CaseService(desk.unlock("Kim", "kim pw"))
    assert kim.open_case(case_id).report == sample_report("x")
    later = kim.add_report(sample_report("y"))
    assert cases.open_case(later).report == sample_report("y")


def test_a_responder_may_not_add_members(desk: Desk, session: Session) -> None:
    TeamService(session).add_member("Jo", Role.RESPONDER, "jo pw", FAST_FOR_TESTS)
    jo = desk.unlock("Jo", "jo pw")
    with pytest.raises(RuleRefused, match="only a lead or the chair may add team members"):
        TeamService(jo).add_member("Max", Role.LEAD, "pw", FAST_FOR_TESTS)


def test_member_names_are_unique_and_printable(session: Session) -> None:
    team = TeamService(session)
    with pytest.raises(UsageProblem, match="already a member called 'Robin'"):
        team.add_member(LEAD, Role.LEAD, "pw", FAST_FOR_TESTS)
    with pytest.raises(UsageProblem, match="printable"):
        team.add_member("Bad\x1bName", Role.LEAD, "pw", FAST_FOR_TESTS)


def test_unlock_tells_wrong_passphrase_from_unknown_member(desk: Desk) -> None:
    with pytest.raises(WrongPassphrase):
        desk.unlock(LEAD, "nope")
    with pytest.raises(NotAMember, match="no team member is called 'Nobody'"):
        desk.unlock("Nobody", LEAD_PASSPHRASE)


def test_a_locked_session_opens_nothing(cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    session.lock()
    assert session.locked
    with pytest.raises(NotAMember, match="locked"):
        cases.open_case(case_id)


def test_a_vault_is_never_created_twice(desk: Desk, vault_dir: Path) -> None:
    with pytest.raises(VaultExists):
        Desk.create(vault_dir, "Again", "Max", "pw", params=FAST_FOR_TESTS)


def test_a_vault_reopens_with_its_event_and_cases(desk: Desk, cases: CaseService, vault_dir: Path) -> None:
    case_id = cases.add_report(sample_report("kept"))
    desk.close()
    again = Desk.open(vault_dir, clock=lambda: FROZEN)
    try:
        assert again.event_name == "PyColorado 2026"
        assert again.member_names() == [LEAD]
        assert CaseService(again.unlock(LEAD, LEAD_PASSPHRASE)).open_case(case_id).report == sample_report(
            "kept"
        )
    finally:
        again.close()


def test_opening_a_folder_without_a_vault_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="cocdesk init"):
        Desk.open(tmp_path / "empty")


def test_verify_passes_on_a_fresh_vault_with_cases(cases: CaseService, session: Session) -> None:
    for i in range(3):
        cases.add_report(sample_report(str(i)))
    assert verify(session) == []


def test_verify_finds_a_case_deleted_in_the_file(cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    for table in ("case_fields", "case_keys", "blind_index"):
        session.db.execute(f"DELETE FROM {table} WHERE case_id = ?", [case_id])
    session.db.execute("DELETE FROM cases WHERE id = ?", [case_id])
    assert verify(session) == [
        f"{case_id}: recorded in the audit log but missing",
        "the cases are not the ones this vault last sealed: a case's rows were put back "
        "from an older copy of the file, or a case was removed",
    ]


def test_an_empty_description_cannot_reach_the_store() -> None:
    report = Report(description="x")
    assert replace(report, description="y").description == "y"


def test_notes_are_sealed_signed_and_on_the_timeline(cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    cases.add_note(case_id, "Called the reporter back [b]ok[/b]")
    view = cases.open_case(case_id)
    assert [(n.who, n.text) for n in view.notes] == [(LEAD, "Called the reporter back [b]ok[/b]")]
    assert view.timeline[-1].what == "note added"
    blobs = b"".join(bytes(r[0]) for r in session.db.execute("SELECT ciphertext FROM case_fields"))
    assert b"Called the reporter" not in blobs
    with pytest.raises(UsageProblem, match="the note is empty"):
        cases.add_note(case_id, "   ")


def test_first_contact_ticks_travel_with_the_case(cases: CaseService) -> None:
    from cocdesk.service.cases import Tick

    ticks = (Tick("Stay calm and listen", "2026-05-02T14:31:00Z"),)
    case_id = cases.add_report(sample_report(), first_contact=ticks)
    assert cases.open_case(case_id).first_contact == ticks


def test_moves_list_every_target_with_the_domain_reason(cases: CaseService, session: Session) -> None:
    from cocdesk.domain.steps import Decision, Outcome
    from cocdesk.service.steps import StepService

    case_id = cases.add_report(sample_report())
    moves = dict(cases.moves(case_id))
    assert moves[Status.REFERRED] == "say where the report was referred (decision screen)"
    assert moves[Status.IN_REVIEW] == (
        "a review needs a meeting record with at least two members present "
        "who declared no conflict of interest"
    )
    with pytest.raises(
        RuleRefused, match="a decision needs a meeting record with at least two members present"
    ):
        cases.move(case_id, Status.CLOSED)
    with pytest.raises(RuleRefused, match="say where the report was referred"):
        cases.move(case_id, Status.REFERRED)
    StepService(session).decide(case_id, Decision(Outcome.REFERRED, referred_to="Venue security"))
    assert dict(cases.moves(case_id))[Status.CLOSED] == "a case that is referred cannot become closed"
    view = cases.open_case(case_id)
    assert view.summary.status is Status.REFERRED and view.timeline[-1].what == "status → referred"


def test_search_texts_cover_every_decrypted_field_and_note(cases: CaseService) -> None:
    case_id = cases.add_report(sample_report("Zebra"))
    cases.add_note(case_id, "Quokka sighting")
    text = cases.search_texts()[case_id]
    assert "zebra" in text and "quokka" in text and "hallway b" in text


def test_a_draft_is_sealed_to_its_member_and_survives_reopening(desk: Desk, session: Session) -> None:
    from cocdesk.service.drafts import DraftService

    DraftService(session).save({"description": "half-typed secret"})
    assert b"half-typed" not in b"".join(bytes(r[0]) for r in session.db.execute("SELECT sealed FROM drafts"))
    TeamService(session).add_member("Kim", Role.LEAD, "kim pw", FAST_FOR_TESTS)
    assert DraftService(desk.unlock("Kim", "kim pw")).load() is None
    again = DraftService(desk.unlock(LEAD, LEAD_PASSPHRASE))
    assert again.load() == {"description": "half-typed secret"}
    again.discard()
    assert again.load() is None


def test_a_draft_sealed_before_padding_still_loads(session: Session) -> None:
    """Drafts in today's vaults are unpadded: they open as they are (no migration)."""
    import json

    from cocdesk.service.drafts import DraftService
    from cocdesk.store import drafts as draft_store
    from cocdesk.store.connection import write
    from cocdesk.vault import aead

    drafts = DraftService(session)
    drafts.save({"description": "new"})
    assert len(bytes(session.db.execute("SELECT sealed FROM drafts").fetchone()[0])) == 64 + 40
    at = session.now()
    legacy = aead.seal(drafts._key(), json.dumps({"description": "old"}).encode(), drafts._ad(at, None))
    with write(session.db):
        draft_store.put(session.db, session.member_id, at, legacy, "drafts", None)
    assert drafts.load() == {"description": "old"}


def test_a_purged_case_id_is_never_handed_out_again(cases: CaseService, session: Session) -> None:
    """After purging the newest case, the next one gets a new id and a timeline of its own."""
    cases.add_report(sample_report("a"))
    newest = cases.add_report(sample_report("b"))
    cases.purge(newest)
    fresh = cases.add_report(sample_report("c"))
    assert (newest, fresh) == ("C-0002", "C-0003")
    assert [t.what for t in cases.open_case(fresh).timeline] == ["report taken"]
    assert verify(session) == []


def test_verify_names_an_altered_case_once(cases: CaseService, session: Session) -> None:
    case_id = cases.add_report(sample_report())
    session.db.execute("UPDATE cases SET status = 'closed' WHERE id = ?", [case_id])
    assert verify(session) == [f"case {case_id} was altered outside cocdesk"]


def test_a_vault_that_fails_half_way_through_creation_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cocdesk.service import desk as desk_module

    def broken(*args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(desk_module.audit, "append", broken)
    with pytest.raises(RuntimeError):
        Desk.create(tmp_path / "v", "E", "M", "pw-12345", params=FAST_FOR_TESTS)
    assert not Desk.exists(tmp_path / "v")
    monkeypatch.undo()
    Desk.create(tmp_path / "v", "E", "M", "pw-12345", params=FAST_FOR_TESTS).close()
