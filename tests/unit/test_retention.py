"""Retention through the service, on a real vault: which cases are past the playbook's days,
and purging them together (one transaction, one VACUUM, the counts kept)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cocdesk.domain.roles import Role
from cocdesk.domain.status import Status
from cocdesk.domain.steps import Attendee, ChosenAction, Decision, Meeting, Objective, Outcome, Talk
from cocdesk.domain.tally import Tally
from cocdesk.errors import NotAMember, NotFound, RuleRefused
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.drafts import DraftService
from cocdesk.service.integrity import verify
from cocdesk.service.retention import RetentionService
from cocdesk.service.steps import StepService
from cocdesk.store import audit
from cocdesk.store import tally as tally_store
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report

START = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)
DAYS = 90  # the default playbook's retention_days


class Clock:
    """The vault's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Vault:
    desk: Desk
    clock: Clock
    lead: Session
    jo: Session  # a second lead
    kim: Session  # a responder

    def cases(self) -> CaseService:
        return CaseService(self.lead)

    def retention(self, session: Session | None = None) -> RetentionService:
        return RetentionService(session or self.lead)

    def meeting(self) -> Meeting:
        present = tuple(Attendee(s.member_id, s.member_name, present=True) for s in (self.lead, self.jo))
        objectives = tuple(Objective(t, done=True) for t in self.lead.playbook.meeting_objectives)
        return Meeting(present, objectives, talk_lead=LEAD, reporter_followup=LEAD)

    def closed(self, category: str = "harassment") -> str:
        """A case closed with a warning, told to the reported person."""
        case_id = self.cases().add_report(sample_report(category=category))
        steps = StepService(self.lead)
        steps.record_meeting(case_id, self.meeting())
        steps.decide(case_id, Decision(Outcome.ACTIONS, (ChosenAction("warning", "written"),), "repeated"))
        steps.record_talk(case_id, Talk(told_what_reported=True, their_side="", actions_told=True))
        self.cases().move(case_id, Status.CLOSED)
        return case_id

    def referred(self) -> str:
        case_id = self.cases().add_report(sample_report(category="outside-scope"))
        StepService(self.lead).decide(case_id, Decision(Outcome.REFERRED, referred_to="venue security"))
        return case_id


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    clock = Clock()
    desk = Desk.create(
        tmp_path / "vault", "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=clock
    )
    lead = desk.unlock(LEAD, LEAD_PASSPHRASE)
    TeamService(lead).add_member("Jo", Role.LEAD, "jo passphrase", FAST_FOR_TESTS)
    TeamService(lead).add_member("Kim", Role.RESPONDER, "kim passphrase", FAST_FOR_TESTS)
    v = Vault(desk, clock, lead, desk.unlock("Jo", "jo passphrase"), desk.unlock("Kim", "kim passphrase"))
    yield v
    desk.close()


def ids(found: list[object]) -> list[str]:
    return [c.id for c in found]  # type: ignore[attr-defined]


def table_rows(session: Session, case_id: str) -> dict[str, int]:
    db = session.db
    return {
        t: int(db.execute(f"SELECT count(*) FROM {t} WHERE {col} = ?", [case_id]).fetchone()[0])
        for t, col in (
            ("cases", "id"),
            ("case_fields", "case_id"),
            ("case_keys", "case_id"),
            ("blind_index", "case_id"),
            ("recusals", "case_id"),
        )
    }


# -- the listing -------------------------------------------------------------------------------
def test_a_closed_case_is_kept_exactly_the_retention_days_and_listed_one_second_later(vault: Vault) -> None:
    case_id = vault.closed()
    last = vault.cases().row(case_id).updated_at
    assert last == "2026-05-02T15:00:00Z"
    vault.clock.now = START + timedelta(days=DAYS)
    assert vault.retention().expired() == []
    vault.clock.now = START + timedelta(days=DAYS, seconds=1)
    (found,) = vault.retention().expired()
    assert (found.id, found.status, found.updated_at, found.past, found.blocked) == (
        case_id,
        Status.CLOSED,
        last,
        True,
        None,
    )


def test_only_closed_and_referred_cases_expire_and_the_clock_starts_at_the_last_update(vault: Vault) -> None:
    closed, referred = vault.closed(), vault.referred()
    reported = vault.cases().add_report(sample_report())
    vault.clock.now = START + timedelta(days=DAYS + 1)
    assert ids(vault.retention().expired()) == [closed, referred]
    # A note is an update: the referred case is kept a full period again.
    vault.cases().add_note(referred, "the venue confirmed")
    assert ids(vault.retention().expired()) == [closed]
    assert reported not in ids(vault.retention().expired())


def test_the_playbooks_retention_days_are_used(vault: Vault) -> None:
    vault.closed()
    vault.clock.now = START + timedelta(days=31)
    assert vault.retention().expired() == []
    assert vault.retention().days == DAYS


# -- purging many ---------------------------------------------------------------------------------
def test_purging_many_is_one_transaction_and_one_vacuum_and_keeps_their_counts(vault: Vault) -> None:
    a, b = vault.closed("harassment"), vault.closed("threat")
    c = vault.referred()
    keep = vault.cases().add_report(sample_report())
    vault.clock.now = START + timedelta(days=DAYS + 1)
    retention = vault.retention()
    expired = ids(retention.expired())
    assert expired == [a, b, c]

    statements: list[str] = []
    vault.lead.db.conn.set_trace_callback(statements.append)
    try:
        outcome = retention.purge(expired, only_expired=True)
    finally:
        vault.lead.db.conn.set_trace_callback(None)

    assert (outcome.purged, outcome.refused) == ((a, b, c), ())
    said = [" ".join(s.split()).upper() for s in statements]
    assert said.count("BEGIN IMMEDIATE") == 1, "one write transaction for every case"
    assert said.count("VACUUM") == 1, "one VACUUM for them all, not one per case"
    assert sum(s.startswith("PRAGMA WAL_CHECKPOINT(TRUNCATE)") for s in said) == 2
    begin, commit = said.index("BEGIN IMMEDIATE"), said.index("COMMIT")
    inside = said[begin:commit]
    # (SQLite's trace may say a statement twice when a trigger runs inside it: count cases.)
    assert len({s for s in inside if s.startswith("DELETE FROM CASES WHERE")}) == 3
    assert any("META" in s and s.startswith(("INSERT", "UPDATE")) for s in inside), (
        "the tally, in the same write"
    )
    assert said.index("VACUUM") > commit

    for gone in (a, b, c):
        assert set(table_rows(vault.lead, gone).values()) == {0}
    assert table_rows(vault.lead, keep)["cases"] == 1
    assert ids(vault.cases().list_cases()) == [keep]
    assert tally_store.purged(vault.lead.db) == Tally(
        total=3,
        by_category={"harassment": 1, "threat": 1, "outside-scope": 1},
        by_status={"closed": 2, "referred": 1},
        by_action={"warning": 2},
    )
    purged = [e.case_id for e in audit.entries(vault.lead.db) if e.kind == "case.purged"]
    assert purged == [a, b, c]
    assert verify(vault.lead) == []
    assert vault.retention().expired() == []


def test_a_second_purge_adds_to_the_kept_counts(vault: Vault) -> None:
    first, second = vault.closed(), vault.referred()
    vault.clock.now = START + timedelta(days=DAYS + 1)
    vault.retention().purge([first])
    vault.cases().purge(second)  # one case at a time folds its counts in as well
    assert tally_store.purged(vault.lead.db).by_status == {"closed": 1, "referred": 1}
    assert tally_store.purged(vault.lead.db).total == 2
    # The tally sits under the settings' MAC: unlocking again checks it.
    assert vault.desk.unlock(LEAD, LEAD_PASSPHRASE).member_name == LEAD


def test_a_case_updated_after_the_listing_is_not_purged(vault: Vault) -> None:
    old, touched = vault.closed(), vault.referred()
    vault.clock.now = START + timedelta(days=DAYS + 1)
    listed = ids(vault.retention().expired())
    vault.cases().add_note(touched, "still in touch with the venue")
    outcome = vault.retention().purge(listed, only_expired=True)
    assert outcome.purged == (old,)
    ((case_id, error),) = outcome.refused
    assert (case_id, str(error)) == (touched, f"{touched} is no longer past retention (it changed meanwhile)")
    assert table_rows(vault.lead, touched)["case_fields"] > 0


def test_the_purging_members_draft_of_a_purged_case_goes_with_it(vault: Vault) -> None:
    case_id = vault.closed()
    drafts = DraftService(vault.lead, "step")
    drafts.save({"case_id": case_id, "what": "followup", "state": {"note": "half typed"}})
    vault.clock.now = START + timedelta(days=DAYS + 1)
    vault.retention().purge([case_id], only_expired=True)
    assert drafts.load() is None


def test_every_members_draft_of_a_purged_case_goes_with_it(vault: Vault) -> None:
    """Jo's and Kim's drafts are sealed to them alone: the purge finds them by case id, not by key."""
    case_id, other = vault.closed(), vault.closed()
    DraftService(vault.jo, "step").save({"case_id": case_id, "what": "meeting", "state": {"n": "x"}})
    DraftService(vault.kim, "intake").save({"case_id": case_id, "fields": {}})
    DraftService(vault.kim, "step").save({"case_id": other, "what": "followup", "state": {}})
    vault.clock.now = START + timedelta(days=DAYS + 1)
    vault.retention().purge([case_id], only_expired=True)
    db = vault.lead.db
    left = [
        tuple(r) for t in ("drafts", "step_drafts") for r in db.execute(f"SELECT member_id, case_id FROM {t}")
    ]
    assert left == [(vault.kim.member_id, other)]
    assert DraftService(vault.kim, "step").load() == {"case_id": other, "what": "followup", "state": {}}


def test_a_drafts_case_id_changed_in_the_file_does_not_open(vault: Vault) -> None:
    from cocdesk.errors import IntegrityFailure

    case_id = vault.closed()
    drafts = DraftService(vault.jo, "step")
    drafts.save({"case_id": case_id, "what": "meeting", "state": {}})
    with vault.lead.db.conn:
        vault.lead.db.execute("UPDATE step_drafts SET case_id = 'C-9999'")
    with pytest.raises(IntegrityFailure):
        drafts.load()


# -- refusals ----------------------------------------------------------------------------------------
def dump(session: Session) -> dict[str, list[tuple[object, ...]]]:
    tables = ("cases", "case_fields", "case_keys", "blind_index", "audit", "meta", "recusals")
    return {t: sorted(map(tuple, session.db.execute(f"SELECT * FROM {t}")), key=repr) for t in tables}


def test_a_responder_may_list_but_not_purge(vault: Vault) -> None:
    case_id = vault.closed()
    vault.clock.now = START + timedelta(days=DAYS + 1)
    assert ids(vault.retention(vault.kim).expired()) == [case_id]
    before = dump(vault.lead)
    reason = "only a lead or the chair may purge a case"
    with pytest.raises(RuleRefused, match=f"^{reason}$"):
        vault.retention(vault.kim).purge([case_id])
    with pytest.raises(RuleRefused, match=f"^{reason}$"):
        vault.retention(vault.kim).check(case_id)
    with pytest.raises(RuleRefused, match=f"^{reason}$"):
        CaseService(vault.kim).purge(case_id)
    assert dump(vault.lead) == before


def test_a_lead_who_stepped_out_of_a_case_is_told_and_cannot_purge_it(vault: Vault) -> None:
    out_of, other = vault.closed(), vault.closed()
    AccessService(vault.jo).declare_conflict(out_of)
    vault.clock.now = START + timedelta(days=DAYS + 1)
    listed = {c.id: c.blocked for c in vault.retention(vault.jo).expired()}
    reason = f"Jo stepped out of {out_of} (a conflict of interest); another lead or the chair purges it"
    assert listed == {out_of: reason, other: None}
    with pytest.raises(NotAMember, match=r"^Jo stepped out of C-0001 \(a conflict"):
        vault.retention(vault.jo).check(out_of)

    outcome = vault.retention(vault.jo).purge([out_of, other], only_expired=True)
    assert outcome.purged == (other,)
    ((case_id, error),) = outcome.refused
    assert (case_id, str(error), type(error)) == (out_of, reason, NotAMember)
    assert table_rows(vault.lead, out_of)["case_fields"] > 0
    # Another lead, who holds the case, purges it.
    assert vault.retention(vault.lead).purge([out_of]).purged == (out_of,)
    assert verify(vault.lead) == []


def test_an_unknown_case_is_refused_by_name(vault: Vault) -> None:
    outcome = vault.retention().purge(["C-0099"])
    assert outcome.purged == ()
    ((case_id, error),) = outcome.refused
    assert (case_id, str(error), type(error)) == ("C-0099", "there is no case C-0099", NotFound)
    with pytest.raises(NotFound, match="^there is no case C-0099$"):
        vault.retention().check("C-0099")


def test_a_purge_with_the_file_held_open_says_so_and_the_next_lone_open_finishes_it(vault: Vault) -> None:
    """Another program reading pins the old pages: the purge stands, says the file is not yet
    clean, and the next open with nobody else on the vault rebuilds it."""
    import sqlite3

    from cocdesk.service.retention import NOT_YET_CLEAN  # noqa: F401 (the words the CLI prints)
    from cocdesk.store import meta

    case_id = vault.closed()
    db = vault.lead.db
    blobs = [
        bytes(r[0]) for r in db.execute("SELECT ciphertext FROM case_fields WHERE case_id = ?", [case_id])
    ]
    path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2])
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases").fetchone()
    vault.clock.now = START + timedelta(days=DAYS + 1)
    outcome = vault.retention().purge([case_id], only_expired=True)
    assert outcome.purged == (case_id,) and not outcome.compacted
    assert meta.get(db, meta.COMPACT_PENDING) == "1"
    reader.rollback()
    reader.close()
    vault.desk.close()
    again = Desk.open(path.parent)
    try:
        assert meta.get(again.db, meta.COMPACT_PENDING) is None
        on_disk = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.is_file())
        assert not any(b in on_disk for b in blobs)
        assert verify(again.unlock(LEAD, LEAD_PASSPHRASE)) == []
    finally:
        again.close()
