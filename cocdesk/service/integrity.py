"""`cocdesk verify`: the audit chain, the case records, the sealed data, and SQLite itself."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from cocdesk.domain.text import visible
from cocdesk.errors import CocdeskError, IntegrityFailure
from cocdesk.service import seen
from cocdesk.service.cases import CaseService
from cocdesk.service.drafts import DraftService
from cocdesk.service.session import Session
from cocdesk.store import audit, meta, recusals, seal
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store import purged as purged_store
from cocdesk.store import tally as tally_store
from cocdesk.store.connection import read
from cocdesk.store.schema import schema_problems

CREATED = ("case.reported", "case.imported")  # taken here, or from a handoff bundle
PURGED = "case.purged"


def record_problems(session: Session, log: list[audit.AuditEntry], present: list[str]) -> list[str]:
    """Cases and counts that disagree with the keyed audit log (which cannot be edited unseen).

    A case deleted in the file, one added there, and older settings copied back
    over a purge's kept counts (their MAC is valid, but stale) all show up here.
    """
    created = {e.case_id for e in log if e.kind in CREATED and e.case_id}
    purged = {e.case_id for e in log if e.kind == PURGED and e.case_id}
    created -= purged
    # Against every row present, checked or not: an altered case is one problem, not two.
    on_file = set(present)
    problems = [f"{c}: recorded in the audit log but missing" for c in sorted(created - on_file)]
    problems += [f"{c}: present but never recorded in the audit log" for c in sorted(on_file - created)]
    try:
        counted = tally_store.purged(session.db).total
        tags = len(purged_store.tags(session.db))
    except CocdeskError as exc:
        return [*problems, str(exc)]
    if counted != len(purged) or tags > len(purged):
        problems.append(
            f"the kept counts of purged cases ({counted}) disagree with the audit log's "
            f"{len(purged)} purge(s): the vault's settings were replaced with older ones"
        )
    return problems


def check_records(session: Session) -> None:
    """Raise IntegrityFailure if any case or count disagrees with the audit log (for reports)."""
    db = session.db
    present = [str(r[0]) for r in db.execute("SELECT id FROM cases ORDER BY seq")]
    problems = record_problems(session, audit.entries(db), present)
    if problems:
        raise IntegrityFailure(problems[0])


def verify(session: Session, this_laptop: bool = True) -> list[str]:
    """Every problem found, one line each; an empty list means the vault is intact.

    `this_laptop=False` leaves out this laptop's record of the vault (a backup being
    restored is older than the vault by nature).
    """
    db = session.db
    problems: list[str] = []
    try:
        result = [str(r[0]) for r in db.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            # One line per problem, and only SQLite's words, never page contents.
            problems.extend(
                "sqlite: " + visible(" ".join(line.split()), keep="")[:200] for line in result[:5]
            )
        if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
            problems.append("sqlite: a row refers to a member or case that does not exist")
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        return [f"sqlite: the file is damaged ({type(exc).__name__})"]

    problems.extend(schema_problems(db))
    problems.extend(audit.verify_chain(db, session.event_keys))
    try:
        meta.check(db, session.event_keys)
    except CocdeskError as exc:
        problems.append(str(exc))
    try:
        recusals.check_all(db, session.event_keys)
    except CocdeskError as exc:
        problems.append(str(exc))
    names: dict[int, str] | None = None  # read once for every case's timeline, once all are checked
    try:
        team = member_store.all_members(db)
        for member in team:
            member_store.check_mac(db, session.event_keys, member)
        names = {m.id: m.name for m in team}
    except CocdeskError as exc:
        problems.append(str(exc))

    # The cases in one read transaction: each record is read once and handed to
    # open_case, and another cocdesk saving meanwhile (WAL) cannot make the record and
    # its fields disagree.
    with read(db):
        rows: dict[str, case_store.CaseRow] = {}
        present = [str(r[0]) for r in db.execute("SELECT id FROM cases ORDER BY seq")]
        for case_id in present:
            try:
                row = case_store.get(db, session.event_keys, str(case_id))
            except CocdeskError as exc:
                problems.append(str(exc))
                continue
            if row is not None:
                rows[row.id] = row

        log = audit.entries(db)
        problems.extend(_membership_problems(session, log))
        copies = _key_copies(session)
        problems.extend(_stray_key_copies(copies, present, names or {}))
        problems.extend(record_problems(session, log, present))

        # Open everything this member may open: a damaged sealed value, a missing
        # field, or a field, key copy or blind-index tag changed or put back from an older
        # copy (the case's sealed state) shows up here.
        cases = CaseService(session)
        keys = session.event_keys
        held = case_store.sealed_keys_for(db, session.member_id)
        opened: set[str] = set()
        for case_id in rows:
            if case_id not in held:
                continue  # not this member's to open (a recused member's verify skips it)
            try:
                cases.open_case(case_id, names, rows[case_id])
            except CocdeskError as exc:
                problems.append(str(exc))
                continue
            # (Its blind-index tags are part of its sealed state, checked as it opened.)
            opened.add(case_id)

        # Last: the lines above name what they found; these say what was put back. Cases
        # opened above had their state checked; those already reported are not named twice.
        reported = frozenset(c for c in present if c not in rows or any(p.startswith(c) for p in problems))
        problems.extend(seal.problems(db, keys, each_case=True, skip=reported | opened))
        mismatched = {c for c in present if any(p.startswith(f"{c} does not match") for p in problems)}
        problems.extend(_missing_key_copies(copies, mismatched, names or {}))
        if this_laptop:
            try:
                seen.check(db, keys)
            except CocdeskError as exc:
                problems.append(str(exc))
    for kind in ("intake", "step"):
        try:
            DraftService(session, kind).load()
        except CocdeskError as exc:
            problems.append(str(exc))
    return problems


@dataclass(frozen=True)
class _Copies:
    """Who holds a key copy of each case, who may, and who stepped out of what."""

    holders: dict[str, set[int]]
    members: dict[int, member_store.MemberRow]
    out_of: dict[int, set[str]]
    problem: str | None = None


def _key_copies(session: Session) -> _Copies:
    db = session.db
    try:
        members = {m.id: m for m in member_store.all_members(db)}
        holders = case_store.all_key_copies(db)
    except CocdeskError as exc:
        return _Copies({}, {}, {}, str(exc))
    return _Copies(holders, members, {m: case_store.stepped_out(db, m) for m in members})


def _stray_key_copies(copies: _Copies, present: list[str], names: dict[int, str]) -> list[str]:
    """A key copy held by a member who stepped out, or who was removed: wrong whatever else agrees."""
    if copies.problem:
        return [copies.problem]
    problems: list[str] = []
    for case_id in present:
        for member_id in sorted(copies.holders.get(case_id, set())):
            member = copies.members.get(member_id)
            who = names.get(member_id, f"member #{member_id}")
            if member is None or not member.active:
                problems.append(f"{case_id}: {who} is off the team but holds a key copy of it")
            elif case_id in copies.out_of[member_id]:
                problems.append(f"{case_id}: {who} stepped out of it but holds a key copy of it")
    return problems


def _missing_key_copies(copies: _Copies, mismatched: set[str], names: dict[int, str]) -> list[str]:
    """Active members who never stepped out but hold no copy of a case whose sealed state disagrees.

    Only there: a member added later may legitimately lack a case their adder had
    stepped out of, but then the case's state (which covers its key copies) agrees.
    """
    problems: list[str] = []
    for case_id in sorted(mismatched):
        holders = copies.holders.get(case_id, set())
        lacking = [
            names.get(m, f"member #{m}")
            for m, member in sorted(copies.members.items())
            if member.active and m not in holders and case_id not in copies.out_of[m]
        ]
        if lacking:
            problems.append(f"{case_id}: no key copy for {', '.join(lacking)} (deleted outside cocdesk?)")
    return problems


def _membership_problems(session: Session, log: list[audit.AuditEntry]) -> list[str]:
    """The keyed audit log against the plain records: removals and recusals must agree."""
    problems: list[str] = []
    try:
        members = {m.id: m for m in member_store.all_members(session.db)}
        removed = {i for e in log if e.kind == "member.removed" and (i := audit.subject_id(e)) is not None}
        problems += [
            f"member #{i} was removed but is active again"
            for i in sorted(removed)
            if i in members and members[i].active
        ]
        declared: dict[str, set[int]] = {}
        for e in log:
            subject = audit.subject_id(e)
            if e.case_id and subject is not None:
                if e.kind == "case.recused":
                    declared.setdefault(e.case_id, set()).add(subject)
                elif e.kind == "case.recusal_lifted":
                    declared.setdefault(e.case_id, set()).discard(subject)
        present = {str(r[0]) for r in session.db.execute("SELECT id FROM cases")}
        recorded_all = recusals.by_case(session.db, session.event_keys)
        for case_id in sorted(present):
            recorded = recorded_all.get(case_id, set())
            if recorded != declared.get(case_id, set()):
                problems.append(f"{case_id}: its recusal records differ from the audit log")
    except CocdeskError as exc:
        problems.append(str(exc))
    return problems
