"""Recusal enforced by keys (SECURITY.md battery 8), lifting it, and who opened what.

A real vault in tmp_path, real SQLite and real PyNaCl: nothing is mocked. "Decrypts 0
fields" is checked with every key the member could get — their private key against every
sealed copy left on the case, and the case key they held before — not only through the
service's refusals.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from cocdesk.domain.report import ReportedPerson, Witness
from cocdesk.domain.roles import Role
from cocdesk.domain.steps import Attendee, Meeting, Objective
from cocdesk.errors import CocdeskError, IntegrityFailure, NotAMember, NotFound, RuleRefused
from cocdesk.exchange.case_export import to_json
from cocdesk.service import CaseService, Desk, Session, TeamService
from cocdesk.service.access import AccessService, actor_of
from cocdesk.service.integrity import verify
from cocdesk.service.steps import StepService
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.store.connection import write
from cocdesk.vault import sealed_keys
from cocdesk.vault.actor import open_actor, seal_actor
from cocdesk.vault.fields import open_field
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report

STAMP = "2026-05-02T15:00:00Z"  # the desk's frozen clock
OTHERS = {"Kim": Role.RESPONDER, "Avery": Role.CHAIR, "Jo": Role.RESPONDER}
# Named only in the case Kim steps out of, so any trace of it reaching Kim is visible.
QUINN = ReportedPerson(name="Quinn Zebulon", badge="Q-77", affiliation="Wombat Labs")
KEEP_SAYING = "each member declares their own conflict of interest; only a lead or the chair records one for someone else"
KEEPER = "a lead or the chair without a conflict of interest must keep the case, to be able to lift a recusal"


def passphrase(name: str) -> str:
    return LEAD_PASSPHRASE if name == LEAD else f"{name} passphrase"


@dataclass
class Team:
    """Robin (lead, the desk's first member), Kim (responder), Avery (chair), Jo (responder)."""

    desk: Desk
    ids: dict[str, int]
    sessions: dict[str, Session]

    def unlock(self, name: str) -> Session:
        return self.desk.unlock(name, passphrase(name))

    def cases(self, name: str) -> CaseService:
        return CaseService(self.sessions[name])

    def access(self, name: str) -> AccessService:
        return AccessService(self.sessions[name])

    def meeting(self, *present: str, conflict: tuple[str, ...] = ()) -> Meeting:
        names = [*present, *(n for n in conflict if n not in present)]
        attendees = tuple(
            Attendee(self.ids[n], n, present=n in present, conflict=n in conflict) for n in names
        )
        objectives = tuple(Objective(t, done=True) for t in self.sessions[LEAD].playbook.meeting_objectives)
        return Meeting(attendees, objectives, talk_lead=LEAD)


@pytest.fixture
def team(desk: Desk, session: Session) -> Team:
    ids = {LEAD: session.member_id}
    for name, role in OTHERS.items():
        ids[name] = TeamService(session).add_member(name, role, passphrase(name), FAST_FOR_TESTS)
    sessions = {LEAD: session, **{n: desk.unlock(n, passphrase(n)) for n in OTHERS}}
    return Team(desk, ids, sessions)


def dump(db: object) -> dict[str, list[tuple[object, ...]]]:
    tables = ("cases", "case_fields", "case_keys", "blind_index", "audit", "meta", "members", "recusals")
    return {
        t: sorted((tuple(r) for r in db.execute(f"SELECT * FROM {t}")), key=repr)  # type: ignore[attr-defined]
        for t in tables
    }


def copies(team: Team, name: str, case_id: str | None = None) -> int:
    """Sealed copies of case keys the member holds (of one case, or of any)."""
    db = team.sessions[LEAD].db
    if case_id is None:
        row = db.execute("SELECT count(*) FROM case_keys WHERE member_id = ?", [team.ids[name]]).fetchone()
    else:
        row = db.execute(
            "SELECT count(*) FROM case_keys WHERE case_id = ? AND member_id = ?", [case_id, team.ids[name]]
        ).fetchone()
    return int(row[0])


def fields_opened_by(key: bytes, db: object, case_id: str) -> int:
    """How many of the case's stored fields `key` opens (each failure must be a clean IntegrityFailure)."""
    opened = 0
    for name, blob in case_store.fields(db, case_id).items():  # type: ignore[arg-type]
        try:
            open_field(key, case_id, name, blob)
        except IntegrityFailure:
            continue
        opened += 1
    return opened


def keys_opened_by(private: object, db: object, case_id: str) -> int:
    """How many of the case's sealed copies this private key opens."""
    opened = 0
    for (sealed,) in db.execute("SELECT sealed FROM case_keys WHERE case_id = ?", [case_id]):  # type: ignore[attr-defined]
        try:
            sealed_keys.open_sealed(private, case_id, bytes(sealed))  # type: ignore[arg-type]
        except IntegrityFailure:
            continue
        opened += 1
    return opened


def vault_bytes(desk: Desk) -> dict[str, bytes]:
    """The database file and its -wal, as they are on disk now."""
    out = {}
    for suffix in ("", "-wal"):
        path = Path(str(desk.path) + suffix)
        out[suffix or "db"] = path.read_bytes() if path.exists() else b""
    return out


@pytest.fixture
def quinn_case(team: Team) -> str:
    """A case naming Quinn, with a note; Kim has opened it (her session keeps its key)."""
    case_id = team.cases(LEAD).add_report(
        sample_report("qz", reported=(QUINN,), witnesses=(Witness(name="Odalys Witness"),))
    )
    team.cases(LEAD).add_note(case_id, "Quinn Zebulon was seen again at the bar.")
    team.cases("Kim").open_case(case_id)
    return case_id


# -- battery 8: a recused member holds 0 copies, decrypts 0 fields -------------------------------
def test_a_recused_member_holds_no_copy_and_opens_no_field_by_any_path(team: Team, quinn_case: str) -> None:
    other = team.cases(LEAD).add_report(sample_report("other"))  # names Sam Smith: Kim keeps it
    db = team.sessions[LEAD].db
    kim_before = team.sessions["Kim"]
    old_key = kim_before.case_key(quinn_case)
    assert fields_opened_by(old_key, db, quinn_case) == len(case_store.fields(db, quinn_case)) > 0
    assert (
        copies(team, "Kim", quinn_case) == 1 and keys_opened_by(kim_before.private_key, db, quinn_case) == 1
    )

    team.access("Kim").declare_conflict(quinn_case)

    assert copies(team, "Kim", quinn_case) == 0
    assert copies(team, "Kim") == 1, "only the other case"
    stepped_out = f"Kim stepped out of {quinn_case} (a conflict of interest)"
    for kim in (kim_before, team.unlock("Kim")):
        assert keys_opened_by(kim.private_key, db, quinn_case) == 0
        assert fields_opened_by(old_key, db, quinn_case) == 0
        cases, steps = CaseService(kim), StepService(kim)
        with pytest.raises(NotAMember) as refused:
            cases.open_case(quinn_case)
        assert str(refused.value) == stepped_out
        with pytest.raises(NotAMember):
            to_json(cases.open_case(quinn_case))  # the CLI's export
        for call, args in (
            (cases.steps, (quinn_case,)),
            (cases.moves, (quinn_case,)),
            (cases.add_note, (quinn_case, "a note")),
            (steps.patterns, (quinn_case,)),
            (steps.message, (quinn_case, "reporter")),
        ):
            with pytest.raises(NotAMember):
                call(*args)
        assert [c.id for c in cases.list_cases()] == [other]
        texts = cases.search_texts()
        assert set(texts) == {other} and "quinn" not in " ".join(texts.values())
        quinn = [("name", "quinn zebulon"), ("badge", "q77")]
        assert cases.earlier_cases_naming(quinn) == {}
        assert cases.earlier_reports_naming(quinn) == 0
        assert steps.privacy_flags("Quinn Zebulon of Wombat Labs; Odalys saw it") == []
        assert "Smith" in steps.privacy_flags("Sam Smith was warned"), "the check still works"
        assert AccessService(kim).recused_from() == {quinn_case}
        with pytest.raises(NotAMember) as again:
            AccessService(kim).declare_conflict(quinn_case)
        assert str(again.value) == stepped_out
    # The others still have all of it, under the new key.
    robin = team.sessions[LEAD]
    assert team.cases(LEAD).open_case(quinn_case).report.reported == (QUINN,)
    assert fields_opened_by(robin.case_key(quinn_case), db, quinn_case) == len(
        case_store.fields(db, quinn_case)
    )
    assert {p for p in StepService(robin).privacy_flags("Quinn Zebulon")} >= {"Quinn", "Zebulon"}
    assert team.cases(LEAD).earlier_cases_naming([("name", "quinn zebulon")]) == {quinn_case: ""}
    assert verify(robin) == [] and verify(team.unlock("Kim")) == []


def test_after_the_rekey_the_old_key_opens_none_of_the_current_fields(team: Team, quinn_case: str) -> None:
    robin = team.sessions[LEAD]
    db = robin.db
    old = robin.case_key(quinn_case)
    names_before = set(case_store.fields(db, quinn_case))
    StepService(robin).record_meeting(quinn_case, team.meeting(LEAD, "Avery", conflict=("Kim",)))
    blobs = case_store.fields(db, quinn_case)
    assert set(blobs) == names_before | {"meeting"}
    for name, blob in blobs.items():
        with pytest.raises(IntegrityFailure):
            open_field(old, quinn_case, name, blob)
    new = robin.case_key(quinn_case)
    assert new != old
    assert fields_opened_by(new, db, quinn_case) == len(blobs)
    # Every keeper's copy holds the new key; none holds the old one.
    for name in (LEAD, "Avery", "Jo"):
        sealed = case_store.sealed_key(db, quinn_case, team.ids[name])
        assert sealed is not None
        assert sealed_keys.open_sealed(team.sessions[name].private_key, quinn_case, sealed) == new


def test_a_session_that_kept_the_old_key_reads_and_writes_with_the_new_one(
    team: Team, quinn_case: str
) -> None:
    """Avery opened the case before someone else re-keyed it: her kept key is stale.

    It must neither read as tampering nor seal new text under the old key (which Kim,
    who stepped out, may still have).
    """
    avery = team.sessions["Avery"]
    team.cases("Avery").open_case(quinn_case)
    old = avery.case_key(quinn_case)
    team.access("Kim").declare_conflict(quinn_case)  # another session re-keys

    assert team.cases("Avery").open_case(quinn_case).report.reported == (QUINN,)
    team.cases("Avery").add_note(quinn_case, "written after the re-key")
    db = avery.db
    note = case_store.fields(db, quinn_case)["note:0002"]
    with pytest.raises(IntegrityFailure):
        open_field(old, quinn_case, "note:0002", note)
    fresh = team.unlock(LEAD)
    notes = [n.text for n in CaseService(fresh).open_case(quinn_case).notes]
    assert notes[-1] == "written after the re-key"
    assert fields_opened_by(old, db, quinn_case) == 0
    assert verify(fresh) == []


def test_after_the_checkpoint_no_file_holds_the_deleted_copy_or_an_old_ciphertext(
    team: Team, quinn_case: str
) -> None:
    db = team.sessions[LEAD].db
    kim_copy = case_store.sealed_key(db, quinn_case, team.ids["Kim"])
    assert kim_copy is not None
    old_blobs = list(case_store.fields(db, quinn_case).values())
    before = vault_bytes(team.desk)
    # The scan can find them: before the recusal they are on disk (file or WAL).
    assert kim_copy in before["db"] + before["-wal"]
    assert all(blob in before["db"] + before["-wal"] for blob in old_blobs)

    team.access("Kim").declare_conflict(quinn_case)

    after = vault_bytes(team.desk)
    assert kim_copy not in after["-wal"], "the WAL still holds Kim's sealed copy"
    assert kim_copy not in after["db"], "the database file still holds Kim's sealed copy"
    for blob in old_blobs:
        assert blob not in after["-wal"] and blob not in after["db"], "an old ciphertext survived"
    assert len(after["-wal"]) == 0, "the WAL was not truncated"


# -- lifting ------------------------------------------------------------------------------------
def test_a_lead_lifting_the_recusal_gives_the_case_back(team: Team, quinn_case: str) -> None:
    team.access("Kim").declare_conflict(quinn_case)
    team.access(LEAD).lift(quinn_case, "Kim")
    assert copies(team, "Kim", quinn_case) == 1
    assert team.access(LEAD).recused(quinn_case) == set()
    for kim in (team.sessions["Kim"], team.unlock("Kim")):
        view = CaseService(kim).open_case(quinn_case)
        assert view.report == team.cases(LEAD).open_case(quinn_case).report
        assert quinn_case in {c.id for c in CaseService(kim).list_cases()}
        assert AccessService(kim).recused_from() == set()
    kinds = [(e.kind, e.member_id, e.detail) for e in audit.entries(team.sessions[LEAD].db, quinn_case)]
    assert ("case.recusal_lifted", team.ids[LEAD], str(team.ids["Kim"]).encode()) in kinds
    timeline = [t.what for t in team.cases(LEAD).open_case(quinn_case).timeline]
    assert "lifted the recusal of Kim" in timeline
    assert verify(team.sessions[LEAD]) == []


def test_the_chair_may_lift_a_recusal_too(team: Team, quinn_case: str) -> None:
    team.access("Kim").declare_conflict(quinn_case)
    team.access("Avery").lift(quinn_case, "Kim")
    assert team.cases("Kim").open_case(quinn_case).summary.id == quinn_case


def test_only_a_lead_or_the_chair_lifts_and_a_refusal_changes_nothing(team: Team, quinn_case: str) -> None:
    team.access("Kim").declare_conflict(quinn_case)
    db = team.sessions[LEAD].db
    for who, name, error, reason in (
        ("Jo", "Kim", RuleRefused, "only a lead or the chair lifts a recusal"),
        ("Kim", "Kim", RuleRefused, "only a lead or the chair lifts a recusal"),
        (LEAD, "Jo", RuleRefused, f"Jo is not recused from {quinn_case}"),
        (LEAD, "Nobody", NotFound, "there is no active member called 'Nobody'"),
    ):
        before = dump(db)
        with pytest.raises(error) as refused:
            team.access(who).lift(quinn_case, name)
        assert str(refused.value) == reason
        assert dump(db) == before
    with pytest.raises(NotAMember):
        team.cases("Kim").open_case(quinn_case)


def test_a_lead_cannot_lift_their_own_recusal(team: Team, quinn_case: str) -> None:
    team.access(LEAD).declare_conflict(quinn_case)  # Avery (chair) keeps it
    before = dump(team.sessions[LEAD].db)
    with pytest.raises(RuleRefused, match="a recusal is lifted by another lead or the chair"):
        team.access(LEAD).lift(quinn_case, LEAD)
    assert dump(team.sessions[LEAD].db) == before
    team.access("Avery").lift(quinn_case, LEAD)
    assert team.cases(LEAD).open_case(quinn_case).summary.id == quinn_case


# -- who may record a conflict ------------------------------------------------------------------
def test_a_responder_cannot_record_someone_elses_conflict(team: Team, quinn_case: str) -> None:
    db = team.sessions[LEAD].db
    before = dump(db)
    with pytest.raises(RuleRefused) as refused:
        StepService(team.sessions["Kim"]).record_meeting(
            quinn_case, team.meeting("Kim", LEAD, conflict=("Jo",))
        )
    assert str(refused.value) == KEEP_SAYING
    assert dump(db) == before, "the meeting went in without the recusal"
    assert copies(team, "Jo", quinn_case) == 1
    # Their own conflict, at the meeting, is theirs to declare.
    StepService(team.sessions["Kim"]).record_meeting(
        quinn_case, team.meeting(LEAD, "Avery", conflict=("Kim",))
    )
    assert copies(team, "Kim", quinn_case) == 0


def test_a_lead_or_the_chair_must_keep_the_case(team: Team, quinn_case: str) -> None:
    db = team.sessions[LEAD].db
    before = dump(db)
    with pytest.raises(RuleRefused) as refused:
        StepService(team.sessions[LEAD]).record_meeting(
            quinn_case, team.meeting("Kim", "Jo", conflict=(LEAD, "Avery"))
        )
    assert str(refused.value) == KEEPER
    assert dump(db) == before
    team.access("Avery").declare_conflict(quinn_case)  # Robin (lead) keeps it
    before = dump(db)
    with pytest.raises(RuleRefused) as refused:
        team.access(LEAD).declare_conflict(quinn_case)  # only Kim and Jo (responders) would be left
    assert str(refused.value) == KEEPER
    assert dump(db) == before
    assert copies(team, LEAD, quinn_case) == 1


def test_declaring_on_a_missing_case_or_one_never_held_is_refused(team: Team, desk: Desk) -> None:
    with pytest.raises(NotFound, match="there is no case C-0404"):
        team.access("Kim").declare_conflict("C-0404")
    case_id = team.cases(LEAD).add_report(sample_report())
    team.access(LEAD).declare_conflict(case_id)  # Robin steps out before Late joins ...
    TeamService(team.sessions[LEAD]).add_member("Late", Role.RESPONDER, "late passphrase", FAST_FOR_TESTS)
    late = desk.unlock("Late", "late passphrase")
    assert copies(team, LEAD, case_id) == 0
    # ... so Late was never given the case (Robin added them); nothing to step out of.
    with pytest.raises(NotAMember):
        AccessService(late).declare_conflict(case_id)


# -- the record of a recusal ---------------------------------------------------------------------
def _edit(desk: Desk, sql: str, args: list[object]) -> None:
    conn = sqlite3.connect(desk.path)
    conn.execute(sql, args)
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    ("sql", "args"),
    [
        ("UPDATE recusals SET at = '2020-01-01T00:00:00Z'", []),
        ("UPDATE recusals SET mac = zeroblob(32)", []),
        ("UPDATE recusals SET member_id = ?", ["jo"]),
        (
            "INSERT INTO recusals (case_id, member_id, at, mac) VALUES (?, ?, ?, zeroblob(32))",
            ["case", "jo", STAMP],
        ),
    ],
    ids=["time", "mac", "member", "forged-row"],
)
def test_a_recusal_row_edited_in_the_file_is_refused_and_verify_reports_it(
    team: Team, quinn_case: str, sql: str, args: list[object]
) -> None:
    team.access("Kim").declare_conflict(quinn_case)
    real = [{"jo": team.ids["Jo"], "case": quinn_case}.get(a, a) if isinstance(a, str) else a for a in args]
    _edit(team.desk, sql, real)
    robin = team.unlock(LEAD)
    with pytest.raises(IntegrityFailure, match=f"a recusal on {quinn_case} was altered outside cocdesk"):
        AccessService(robin).recused(quinn_case)
    with pytest.raises(IntegrityFailure):
        AccessService(robin).access(quinn_case)
    assert f"a recusal on {quinn_case} was altered outside cocdesk" in verify(robin)


def test_deleting_the_recusal_row_gives_nothing_back(team: Team, quinn_case: str) -> None:
    """The record only says so; the key is what keeps the case closed."""
    team.access("Kim").declare_conflict(quinn_case)
    _edit(team.desk, "DELETE FROM recusals", [])
    kim = team.unlock("Kim")
    with pytest.raises(NotAMember):
        CaseService(kim).open_case(quinn_case)
    assert quinn_case not in {c.id for c in CaseService(kim).list_cases()}
    assert keys_opened_by(kim.private_key, kim.db, quinn_case) == 0


# -- the audit log --------------------------------------------------------------------------------
def test_the_audit_names_who_recorded_a_recusal_and_whose_it_is(team: Team, quinn_case: str) -> None:
    StepService(team.sessions[LEAD]).record_meeting(
        quinn_case, team.meeting(LEAD, "Avery", conflict=("Kim",))
    )
    team.access("Jo").declare_conflict(quinn_case)
    entries = audit.entries(team.sessions[LEAD].db, quinn_case)
    recused = [(e.member_id, e.detail) for e in entries if e.kind == "case.recused"]
    assert recused == [
        (team.ids[LEAD], str(team.ids["Kim"]).encode()),
        (team.ids["Jo"], str(team.ids["Jo"]).encode()),
    ]
    assert [e.kind for e in entries].count("case.rekeyed") == 2
    timeline = [(t.who, t.what) for t in team.cases(LEAD).open_case(quinn_case).timeline]
    assert (LEAD, "recorded a conflict of interest of Kim, who stepped out") in timeline
    assert ("Jo", "recorded a conflict of interest of Jo, who stepped out") in timeline
    access = team.access(LEAD).access(quinn_case)
    assert access.recused == ("Jo", "Kim")
    assert access.holders == ("Avery", LEAD)
    assert verify(team.sessions[LEAD]) == []


def test_opening_is_audited_counted_in_access_and_kept_off_the_timeline(team: Team, quinn_case: str) -> None:
    db = team.sessions[LEAD].db
    before = len(audit.entries(db))
    team.access(LEAD).record_opened(quinn_case)
    team.access(LEAD).record_opened(quinn_case)
    team.access("Avery").record_opened(quinn_case)
    opened = [e for e in audit.entries(db) if e.kind == "case.opened"]
    assert len(audit.entries(db)) == before + 3
    # Who opened is sealed under the event key, never in the plain member column.
    assert [e.member_id for e in opened] == [None, None, None]
    keys = team.sessions[LEAD].event_keys
    assert [(actor_of(keys, e), e.case_id) for e in opened] == [
        (team.ids[LEAD], quinn_case),
        (team.ids[LEAD], quinn_case),
        (team.ids["Avery"], quinn_case),
    ]
    access = team.access("Kim").access(quinn_case)
    assert access.opened == (("Avery", 1, STAMP), (LEAD, 2, STAMP))
    assert access.holders == ("Avery", "Jo", "Kim", LEAD) and access.recused == ()
    timeline = [t.what for t in team.cases(LEAD).open_case(quinn_case).timeline]
    assert "case opened" not in timeline and timeline[0] == "report taken"
    assert verify(team.sessions[LEAD]) == []


def test_every_refusal_is_a_cocdesk_error_with_a_message(team: Team, quinn_case: str) -> None:
    """No path of a recused member ends in anything but one of cocdesk's own errors."""
    team.access("Kim").declare_conflict(quinn_case)
    kim = team.unlock("Kim")
    for call in (
        lambda: CaseService(kim).open_case(quinn_case),
        lambda: CaseService(kim).update_report(quinn_case, sample_report()),
        lambda: StepService(kim).record_meeting(quinn_case, team.meeting("Kim", LEAD)),
        lambda: AccessService(kim).lift(quinn_case, "Kim"),
    ):
        with pytest.raises(CocdeskError) as refused:
            call()
        assert str(refused.value)


def test_who_opened_or_exported_is_sealed_and_older_plain_entries_still_count(
    team: Team, quinn_case: str
) -> None:
    """The file alone does not say who read which case; the case view still does, old entries too."""
    db, keys = team.sessions[LEAD].db, team.sessions[LEAD].event_keys
    team.access("Kim").record_opened(quinn_case)
    team.access("Jo").record_exported(quinn_case)
    # An entry as a vault written before sealing holds it: the reader in the member column.
    with write(db):
        audit.append(db, keys, STAMP, team.ids["Avery"], "case.opened", quinn_case)
    reads = [e for e in audit.entries(db, quinn_case) if e.kind in ("case.opened", "case.exported")]
    assert [e.member_id for e in reads] == [None, None, team.ids["Avery"]]
    # One size whoever read (member 2 or 12): a padded seal.
    assert [len(e.detail or b"") for e in reads[:2]] == [64 + 40, 64 + 40]
    assert team.access(LEAD).access(quinn_case).opened == (
        ("Avery", 1, STAMP),
        ("Jo", 1, STAMP),
        ("Kim", 1, STAMP),
    )
    timeline = [(t.who, t.what) for t in team.cases(LEAD).open_case(quinn_case).timeline]
    assert ("Jo", "case exported in plaintext (a copy outside the vault)") in timeline
    assert verify(team.sessions[LEAD]) == []


def test_a_sealed_reader_moved_to_another_entry_does_not_open(team: Team, quinn_case: str) -> None:
    keys = team.sessions[LEAD].event_keys
    sealed = seal_actor(keys, "case.opened", quinn_case, STAMP, team.ids["Kim"])
    assert open_actor(keys, "case.opened", quinn_case, STAMP, sealed) == team.ids["Kim"]
    with pytest.raises(IntegrityFailure):
        open_actor(keys, "case.exported", quinn_case, STAMP, sealed)
    with pytest.raises(IntegrityFailure):
        open_actor(keys, "case.opened", "C-9999", STAMP, sealed)
