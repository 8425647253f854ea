"""Retention purge leaves nothing of the case on disk (issue 6; SECURITY.md "Retention").

A case carries a distinct marker in every sealed field of its report, in a
note, the first-contact checklist and every step record after intake (meeting,
decision, talk, reporter follow-up, announcement drafts, messages). It is closed, its
retention runs out, and the retention service purges it. Then the vault folder
(db, -wal, -shm, any -journal) is scanned, open and after closing, for

- every marker in UTF-8, UTF-16LE and base64 (test_plaintext_scan's scanner), and
- the raw bytes of every ciphertext, sealed key copy and blind-index tag the
  case ever had (captured after each write, before the purge).

A control case stays: its current ciphertexts must still be found (the byte
scan itself works), and the kept tally still counts the purged case.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.domain.steps import (
    Attendee,
    ChosenAction,
    Decision,
    Meeting,
    Objective,
    Outcome,
    ReporterFollowUp,
    Talk,
)
from cocdesk.domain.tally import Tally
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.cases import Tick
from cocdesk.service.integrity import verify
from cocdesk.service.retention import RetentionService
from cocdesk.service.steps import StepService
from cocdesk.store import tally as tally_store
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE
from tests.security.test_plaintext_scan import files_under, marked_report, new_marker, scan

START = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def blobs_of(session: Session, case_id: str) -> set[bytes]:
    """Every stored ciphertext, sealed key copy and blind-index tag of the case, as it is now."""
    found: set[bytes] = set()
    for table, column in (("case_fields", "ciphertext"), ("case_keys", "sealed"), ("blind_index", "tag")):
        rows = session.db.execute(f"SELECT {column} FROM {table} WHERE case_id = ?", [case_id])
        found.update(bytes(r[0]) for r in rows)
    return found


def test_a_purged_case_leaves_no_marker_and_no_byte_of_its_ciphertexts_or_keys(tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    clock = Clock()
    desk = Desk.create(folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=clock)
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    cases, steps = CaseService(session), StepService(session)
    markers: dict[str, str] = {}
    blobs: set[bytes] = set()

    def mark(where: str) -> str:
        m = new_marker()
        markers[m] = where
        return m

    ticks = (Tick(f"DO: listen {mark('first contact')}", "2026-05-02T14:00:00Z"),)
    gone = cases.add_report(marked_report("gone", markers), first_contact=ticks)
    control_markers: dict[str, str] = {}
    control = cases.add_report(marked_report("control", control_markers))

    def remember() -> None:
        blobs.update(blobs_of(session, gone))

    remember()
    cases.update_report(gone, marked_report("gone.v1", markers))
    remember()
    cases.add_note(gone, f"note {mark('note')}")
    remember()
    objectives = tuple(
        Objective(text, done=True, note=mark(f"objective {i}"))
        for i, text in enumerate(session.playbook.meeting_objectives)
    )
    jo = TeamService(session).add_member("Jo", Role.LEAD, "jo passphrase", FAST_FOR_TESTS)
    present = (Attendee(session.member_id, LEAD, present=True), Attendee(jo, "Jo", present=True))
    steps.record_meeting(
        gone,
        Meeting(
            present,
            objectives,
            talk_lead=LEAD,
            reporter_followup=f"Robin {mark('meeting.reporter_followup')}",
            others_followup=mark("meeting.others_followup"),
            followup_by=mark("meeting.followup_by"),
        ),
    )
    remember()
    chosen = (ChosenAction("warning", mark("action details")),)
    steps.decide(gone, Decision(Outcome.ACTIONS, chosen, rationale=mark("decision.rationale")))
    remember()
    talk = Talk(
        told_what_reported=True, their_side=mark("talk.their_side"), actions_told=True, note=mark("talk")
    )
    steps.record_talk(gone, talk)
    remember()
    steps.record_reporter_followup(gone, ReporterFollowUp(told_outcome=True, note=mark("reporter follow-up")))
    remember()
    steps.save_message(gone, "reporter", f"Dear reporter {mark('message')}")
    remember()
    steps.save_announcement(gone, f"draft {mark('announcement')}", f"upset {mark('upset note')}")
    remember()
    cases.move(gone, Status.CLOSED)
    remember()
    assert len(markers) > 40

    # The scan can find what it looks for: the control case's bytes are on disk.
    control_blobs = blobs_of(session, control)
    blobs -= control_blobs  # a blind-index tag of a word both reports share stays, rightly
    on_disk = b"".join(p.read_bytes() for p in files_under(folder))
    assert all(b in on_disk for b in blobs_of(session, gone)), "the case's current bytes were on disk"

    clock.now = START + timedelta(days=session.playbook.retention_days, seconds=1)
    retention = RetentionService(session)
    assert [c.id for c in retention.expired()] == [gone]
    outcome = retention.purge([gone], only_expired=True)
    assert (outcome.purged, outcome.refused) == ((gone,), ())

    def leftovers() -> tuple[list[str], list[tuple[str, int]], set[str]]:
        files = files_under(folder)
        hits = [f"{h.file}@{h.offset}: {h.label} as {h.encoding}" for h in scan(files, markers)]
        raw = [(p.name, len(b)) for p in files for b in blobs if b in p.read_bytes()]
        return hits, raw, {p.name for p in files}

    hits, raw, seen = leftovers()
    assert {"cocdesk.db", "cocdesk.db-wal", "cocdesk.db-shm"} <= seen, f"scanned only {sorted(seen)}"
    assert hits == [], f"markers of the purged case while open: {hits[:10]}"
    assert raw == [], f"bytes of the purged case while open: {raw[:10]}"
    assert verify(session) == []
    assert tally_store.purged(session.db) == Tally(
        total=1, by_category={"harassment": 1}, by_status={"closed": 1}, by_action={"warning": 1}
    )
    assert [c.id for c in cases.list_cases()] == [control]
    kept = blobs_of(session, control)
    desk.close()

    hits, raw, seen = leftovers()
    assert hits == [], f"markers of the purged case after closing: {hits[:10]}"
    assert raw == [], f"bytes of the purged case after closing: {raw[:10]}"
    data = (folder / "cocdesk.db").read_bytes()
    assert all(b in data for b in kept), "the control case is intact: the byte scan works"
