"""Cases: taking a report, editing it, the queue, opening one case, purging it."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace

import sqlite_utils

from cocdesk.domain.history import label
from cocdesk.domain.merge import Conflict, digest
from cocdesk.domain.privacy import mention_values
from cocdesk.domain.report import SEALED_KEYS, Report, from_parts, sealed_values
from cocdesk.domain.roles import may_purge
from cocdesk.domain.status import Status, facts_from, refusal
from cocdesk.domain.steps import FIELDS as STEP_FIELDS
from cocdesk.domain.steps import Steps, steps_from
from cocdesk.errors import IntegrityFailure, NotAMember, NotFound, RuleRefused, UsageProblem
from cocdesk.service.access import actor_of, recused_now
from cocdesk.service.session import Session
from cocdesk.service.shred import after_shred, shred_in
from cocdesk.store import audit, seal
from cocdesk.store import cases as case_store
from cocdesk.store import drafts as draft_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import own_connection, read, write
from cocdesk.vault import sealed_keys
from cocdesk.vault.fields import open_field, seal_field


@dataclass(frozen=True)
class CaseSummary:
    """One queue row: only plain columns, so the queue needs no decryption."""

    id: str
    created_at: str
    updated_at: str
    status: Status
    category: str
    urgent: bool
    holder: str


@dataclass(frozen=True)
class TimelineEntry:
    at: str
    who: str
    what: str


@dataclass(frozen=True)
class Note:
    at: str
    who: str
    text: str


@dataclass(frozen=True)
class Tick:
    """One ticked item of the first-contact checklist, and when it was ticked."""

    item: str
    at: str


@dataclass(frozen=True)
class CaseView:
    summary: CaseSummary
    report: Report
    timeline: tuple[TimelineEntry, ...]
    notes: tuple[Note, ...] = ()
    first_contact: tuple[Tick, ...] = ()
    steps: Steps = Steps()
    conflicts: tuple[Conflict, ...] = ()  # versions from bundles that disagreed with ours
    # The record of a bundle's sender: who stepped out of the case there. Not a recusal here.
    stepped_out_elsewhere: tuple[str, ...] = ()


NOTE_PREFIX = "note:"
FIRST_CONTACT = "first_contact"
# Kept by handoff (service/handoff.py): the merge base, entries of other vaults'
# timelines, and conflicting versions from bundles.
MERGE_BASE = "merge_base"
IMPORTED = "imported"
CONFLICTS = "conflicts"
# Which key's bundle brought a note or step ({field: [digest of the value, fingerprint]}),
# and the sender's record of who stepped out there ([{name, via}]).
ORIGINS = "origins"
ELSEWHERE = "stepped_out_elsewhere"
# The parts of a step record that name who wrote it.
WRITERS = ("by", "answered_by", "made_by")


def new_uid() -> str:
    """A random id for a new case, the same in every vault it is handed to."""
    return secrets.token_hex(16)


def encode_value(value: object) -> bytes:
    # ensure_ascii keeps the bytes plain ASCII JSON, so any string round-trips exactly.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def decode_value(raw: bytes) -> object:
    try:
        return json.loads(raw.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IntegrityFailure("a sealed field opened but holds no valid value") from None


class CaseService:
    """Everything about cases the CLI and the TUI may ask for, for one unlocked member."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _db(self) -> sqlite_utils.Database:
        return self.session.db

    # -- writing ---------------------------------------------------------------------
    def add_report(
        self, report: Report, first_contact: tuple[Tick, ...] = (), clear_draft: bool = False
    ) -> str:
        """Seal and store a new report in one transaction; return its case id.

        `first_contact` is the timestamped DO / DON'T checklist, carried with the case.
        `clear_draft` drops the member's intake draft in the same transaction, so a
        crash can never leave both the case and the draft it came from.
        """
        s = self.session
        keys = s.event_keys
        case_key = sealed_keys.new_secret()
        at = s.now()
        with write(self._db):
            members = self.recipients()
            seq = case_store.next_seq(self._db, keys)
            case_id = case_store.case_id_for(seq)
            row = case_store.CaseRow(
                id=case_id,
                seq=seq,
                created_at=at,
                updated_at=at,
                status=Status.REPORTED,
                category=report.category,
                urgent=report.urgent,
                holder=s.member_id,
                uid=new_uid(),
            ).with_fields((*SEALED_KEYS, FIRST_CONTACT))
            case_store.insert(self._db, keys, row)
            for m in members:
                sealed = sealed_keys.seal_to(m.key.public_key, case_id, case_key)
                case_store.put_sealed_key(self._db, case_id, m.id, sealed)
            self._write_report(case_id, case_key, report)
            ticks = [{"item": t.item, "at": t.at} for t in first_contact]
            self.seal_values(case_id, case_key, {FIRST_CONTACT: ticks})
            audit.append(self._db, keys, at, s.member_id, "case.reported", case_id)
            if clear_draft:
                draft_store.delete(self._db, s.member_id)
        s.remember_case_key(case_id, case_key)
        return case_id

    def update_report(self, case_id: str, report: Report, clear_draft: bool = False) -> None:
        """Replace a case's report (intake corrections) in one transaction."""
        s = self.session
        at = s.now()
        with write(self._db):
            # Under the write lock: a re-key committed just before must not leave
            # new text sealed under the old key, which a recused member may hold.
            key = self._case_key(case_id)
            row = self.row(case_id)
            changed = replace(row, updated_at=at, category=report.category, urgent=report.urgent)
            case_store.update(self._db, s.event_keys, changed)
            self._write_report(case_id, key, report)
            audit.append(self._db, s.event_keys, at, s.member_id, "case.edited", case_id)
            if clear_draft:
                draft_store.delete(self._db, s.member_id)

    def add_note(self, case_id: str, text: str) -> None:
        """A sealed note on the case, signed with who and when."""
        if not text.strip():
            raise UsageProblem("the note is empty")
        s = self.session
        at = s.now()
        with write(self._db):
            key = self._case_key(case_id)  # under the write lock (see update_report)
            row = self.row(case_id)
            number = 1 + sum(1 for f in case_store.fields(self._db, case_id) if f.startswith(NOTE_PREFIX))
            name = f"{NOTE_PREFIX}{number:04d}"
            self.seal_values(case_id, key, {name: {"at": at, "by": s.member_name, "text": text}})
            noted = replace(row, updated_at=at)
            if row.fields:  # cases from before the manifest keep none
                noted = noted.with_fields((*row.fields, name))
            case_store.update(self._db, s.event_keys, noted)
            audit.append(self._db, s.event_keys, at, s.member_id, "case.note", case_id)

    def moves(self, case_id: str) -> list[tuple[Status, str | None]]:
        """Every status the case could move to next, each with the reason it may not (or None)."""
        row = self.row(case_id)
        facts = facts_from(row.status, self.steps(case_id), self.session.member_id, self._recused(case_id))
        return [
            (target, refusal(facts, target, self.session.role))
            for target in Status
            if target not in (row.status, Status.NEW)
        ]

    def move(self, case_id: str, target: Status) -> None:
        """Move the case to `target`, or raise RuleRefused with the domain's reason."""
        with write(self._db):
            self.record(case_id, {}, (), target)

    def record(
        self,
        case_id: str,
        values: dict[str, object],
        kinds: tuple[str, ...],
        target: Status | None = None,
        steps: Steps | None = None,
        **plain: object,
    ) -> None:
        """Seal `values` on the case, set plain columns, maybe move it, and audit each kind.

        Runs inside the caller's write transaction. A move is judged by the
        domain on the steps as they will stand (`steps`, or as stored), so a
        record and the move it allows land together or not at all.
        """
        s = self.session
        row = self.row(case_id)
        at = s.now()
        if target is not None and target != row.status:
            known = steps if steps is not None else self.steps(case_id)
            facts = facts_from(row.status, known, s.member_id, self._recused(case_id))
            reason = refusal(facts, target, s.role)
            if reason:
                raise RuleRefused(reason)
        changed = replace(row, updated_at=at, **plain)  # type: ignore[arg-type]
        if values:
            self.seal_values(case_id, self._case_key(case_id), values)
            if row.fields:  # cases from before the manifest keep none
                changed = changed.with_fields((*row.fields, *values))
        if target is not None and target != row.status:
            changed = replace(changed, status=target)
        case_store.update(self._db, s.event_keys, changed)
        for kind in kinds:
            audit.append(self._db, s.event_keys, at, s.member_id, kind, case_id)
        if target is not None and target != row.status:
            audit.append(self._db, s.event_keys, at, s.member_id, f"case.status.{target.value}", case_id)

    def steps(self, case_id: str) -> Steps:
        """The case's recorded steps after intake (meeting, decision, talk…), decrypted."""
        key = self._case_key(case_id)
        seal.check_case(self._db, self.session.event_keys, case_id)  # (see values)
        blobs = case_store.fields(self._db, case_id, STEP_FIELDS)
        values = {name: decode_value(open_field(key, case_id, name, blob)) for name, blob in blobs.items()}
        return _steps(case_id, values)

    def search_texts(self) -> dict[str, str]:
        """Every case's decrypted text, folded for searching (kept in memory only)."""
        s = self.session
        found: dict[str, str] = {}
        # Runs in a worker thread: its own connection, and keys it does not keep.
        with own_connection(self._db) as db, read(db):
            sealed = case_store.sealed_keys_for(db, s.member_id)
            for row in case_store.for_member(db, s.event_keys, s.member_id):
                key = s.open_case_key(row.id, sealed[row.id])
                parts = [row.id, row.category, row.status.value]
                for name, blob in case_store.fields(db, row.id).items():
                    if name in SEALED_KEYS or name.startswith(NOTE_PREFIX):
                        parts.extend(_strings(decode_value(open_field(key, row.id, name, blob))))
                found[row.id] = " ".join(parts).casefold()
        return found

    def people_mentioned(self) -> set[str]:
        """The mention values (privacy.py) of every person in every case this member holds.

        Decrypted in memory for one check and dropped: never stored, never indexed.
        """
        s = self.session
        found: set[str] = set()
        with read(self._db):
            for case_id, sealed in case_store.sealed_keys_for(self._db, s.member_id).items():
                key = s.open_case_key(case_id, sealed)
                blobs = case_store.fields(self._db, case_id, PEOPLE_FIELDS)
                people = {n: decode_value(open_field(key, case_id, n, b)) for n, b in blobs.items()}
                found.update(_mentioned(people))
        return found

    def purge(self, case_id: str) -> None:
        """Crypto-shred a case: every sealed copy of its key and every ciphertext goes.

        The audit log keeps that the case existed and was purged, and the kept
        tally its plain counts (category, status, actions), nothing more.
        """
        s = self.session
        reason = may_purge(s.role)
        if reason:
            raise RuleRefused(reason)
        with write(self._db):
            row = self.row(case_id)
            # Only a member who still holds the case shreds it: not one who stepped out.
            self._case_key(case_id)
            self._active()
            shred_in(s, [row])
        after_shred(s, [case_id])

    def seal_values(self, case_id: str, case_key: bytes, values: dict[str, object]) -> None:
        """Seal each value under the case key, bound to its case and field name, and store it."""
        sealed = {name: seal_field(case_key, case_id, name, encode_value(v)) for name, v in values.items()}
        case_store.put_fields(self._db, case_id, sealed)

    def _write_report(self, case_id: str, case_key: bytes, report: Report) -> None:
        self.seal_values(case_id, case_key, sealed_values(report))
        keys = self.session.event_keys
        case_store.put_tags(self._db, case_id, [keys.blind_tag(k, v) for k, v in report.identifiers()])

    def recipients(self) -> list[member_store.MemberRow]:
        """Active members to seal a new case key to, each record checked first."""
        found = [m for m in member_store.all_members(self._db) if m.active]
        for m in found:
            # A public key swapped in the file would receive the case key: refuse.
            member_store.check_mac(self._db, self.session.event_keys, m)
        return found

    # -- reading ---------------------------------------------------------------------
    def list_cases(self) -> list[CaseSummary]:
        """The queue: every case this member may open, oldest first."""
        with read(self._db):
            names = self._names()
            rows = case_store.for_member(self._db, self.session.event_keys, self.session.member_id)
        return [_summary(r, names) for r in rows]

    def open_case(
        self, case_id: str, names: dict[int, str] | None = None, row: case_store.CaseRow | None = None
    ) -> CaseView:
        """Decrypt one case in full, with its timeline (one consistent read).

        `names` (member id -> name, each record MAC-checked by the caller) and `row`
        (the case's record, MAC-checked, read in the caller's same read transaction)
        spare one who opens every case, as verify does, reading them again per case.
        """
        with read(self._db):
            return self._open_case(case_id, names, row)

    def values(self, case_id: str, row: case_store.CaseRow | None = None) -> dict[str, object]:
        """Every sealed field of the case, decrypted, by field name (inside a read or write)."""
        row = self.row(case_id) if row is None else row
        key = self._case_key(case_id)
        blobs = case_store.fields(self._db, case_id)
        case_store.check_manifest(row, blobs)
        # An older ciphertext put back in place of a field opens under the same key: the
        # vault's seal says it is not the one last written.
        seal.check_case(self._db, self.session.event_keys, case_id, blobs)
        return {name: decode_value(open_field(key, case_id, name, blob)) for name, blob in blobs.items()}

    def _open_case(
        self, case_id: str, names: dict[int, str] | None = None, row: case_store.CaseRow | None = None
    ) -> CaseView:
        row = self.row(case_id) if row is None else row
        values = self.values(case_id, row)
        values.pop(MERGE_BASE, None)
        imported = [_imported(v) for v in _as_list(values.pop(IMPORTED, []))]
        conflicts = tuple(_conflict(v) for v in _as_list(values.pop(CONFLICTS, [])))
        origins = _origins(values.pop(ORIGINS, {}))
        elsewhere = tuple(_elsewhere(v) for v in _as_list(values.pop(ELSEWHERE, [])))
        # A note or step that came in a bundle is shown with the key that brought it:
        # its writer's name is the sender's word, never a member of this vault.
        for name, via in origins.items():
            if name in values and digest(values[name]) == via[0]:
                values[name] = _from_elsewhere(values[name], via[1])
        notes = tuple(_note(values.pop(name)) for name in sorted(values) if name.startswith(NOTE_PREFIX))
        steps = _steps(case_id, {k: values.pop(k) for k in STEP_FIELDS if k in values})
        ticks = tuple(_tick(t) for t in _as_list(values.pop(FIRST_CONTACT, [])))
        missing = [k for k in SEALED_KEYS if k not in values]
        if missing:
            raise IntegrityFailure(f"{case_id} is missing its field {missing[0]}")
        try:
            report = from_parts({k: values[k] for k in SEALED_KEYS}, row.category, row.urgent)
        except (TypeError, ValueError, AssertionError):
            raise IntegrityFailure(f"{case_id} holds a field of the wrong shape") from None
        names = self._names() if names is None else names
        # Another vault's entries sit in time order among ours (sorted is stable).
        timeline = tuple(sorted([*imported, *self.timeline_here(case_id, names)], key=lambda t: t.at))
        return CaseView(_summary(row, names), report, timeline, notes, ticks, steps, conflicts, elsewhere)

    def timeline_here(self, case_id: str, names: dict[int, str] | None = None) -> list[TimelineEntry]:
        """The case's entries in this vault's audit log, in words."""
        names = self._names() if names is None else names
        keys = self.session.event_keys
        return [
            TimelineEntry(e.at, names.get(actor_of(keys, e) or 0, "?"), label(e.kind, _subject(e, names)))
            for e in audit.entries(self._db, case_id)
            if e.kind != "case.opened"  # reads are counted in the case's access list instead
        ]

    def earlier_reports_naming(self, identifiers: list[tuple[str, str]], excluding: str | None = None) -> int:
        """How many cases this member may open name any of these people (blind index)."""
        return len(self.earlier_cases_naming(identifiers, excluding))

    def earlier_cases_naming(
        self, identifiers: list[tuple[str, str]], excluding: str | None = None
    ) -> dict[str, str]:
        """Cases this member may open naming any of these people, each with its plain outcome."""
        keys = self.session.event_keys
        tags = [keys.blind_tag(kind, value) for kind, value in identifiers]
        with read(self._db):
            found = case_store.cases_with_tags(self._db, tags, self.session.member_id) - {excluding}
            return case_store.outcomes(self._db, self.session.event_keys, {c for c in found if c})

    def _recused(self, case_id: str) -> set[int]:
        return recused_now(self.session, case_id)

    def _case_key(self, case_id: str) -> bytes:
        """This member's key to the case, only while they still hold a sealed copy of it.

        A key opened earlier stays in the session's memory; a conflict of interest
        declared since then deleted the member's copy, and with it their part in
        the case, so the remembered key is dropped too.
        """
        s = self.session
        if case_store.sealed_key(self._db, case_id, s.member_id) is None:
            s.forget_case_key(case_id)
            if s.member_id in self._recused(case_id):
                raise NotAMember(f"{s.member_name} stepped out of {case_id} (a conflict of interest)")
        return s.case_key(case_id)

    def row(self, case_id: str) -> case_store.CaseRow:
        row = case_store.get(self._db, self.session.event_keys, case_id)
        if row is None:
            raise NotFound(f"there is no case {case_id}")
        return row

    def _names(self) -> dict[int, str]:
        # Names shown on the timeline and access list: each record checked under its MAC,
        # so a name swapped in the file is refused rather than shown.
        members = member_store.all_members(self._db)
        for m in members:
            member_store.check_mac(self._db, self.session.event_keys, m)
        return {m.id: m.name for m in members}

    def _active(self) -> None:
        """Refuse a member removed since they unlocked (their session may still be open)."""
        me = member_store.by_id(self._db, self.session.member_id)
        if me is None or not me.active:
            raise NotAMember(f"{self.session.member_name} is no longer on the team")


def _summary(row: case_store.CaseRow, names: dict[int, str]) -> CaseSummary:
    return CaseSummary(
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        status=row.status,
        category=row.category,
        urgent=row.urgent,
        holder=names.get(row.holder, "") if row.holder is not None else "",
    )


def _steps(case_id: str, values: dict[str, object]) -> Steps:
    try:
        return steps_from(values)
    except (TypeError, ValueError):
        raise IntegrityFailure(f"{case_id} holds a step record of the wrong shape") from None


# The people of a case, and where it happened: a public text names neither.
PEOPLE_FIELDS = ("reporter", "reported", "witnesses", "location")


def _subject(entry: audit.AuditEntry, names: dict[int, str]) -> str:
    """What an audit entry is about: a member (a recusal's), named; or a field (a conflict's)."""
    if entry.kind == "case.conflict" and entry.detail:
        return entry.detail.decode("ascii", errors="replace").replace("_", " ")
    subject = audit.subject_id(entry)
    return "?" if subject is None else names.get(subject, "?")


def _mentioned(people: dict[str, object]) -> list[str]:
    """Mention values of the reporter, reported people and witnesses of one case, and its place."""

    def text(record: object, key: str) -> str:
        value = record.get(key, "") if isinstance(record, dict) else ""
        return value if isinstance(value, str) else ""

    reporter = people.get("reporter")
    found = mention_values(text(reporter, "name"), "", text(reporter, "contact"))
    for p in _as_list(people.get("reported", [])):
        found += mention_values(
            text(p, "name"), text(p, "badge"), text(p, "affiliation"), text(p, "appearance")
        )
    for w in _as_list(people.get("witnesses", [])):
        found += mention_values(text(w, "name"), "", text(w, "contact"))
    location = people.get("location")
    if isinstance(location, str):
        found += mention_values("", "", location)  # the whole place ("Hallway B"), not each word
    return found


def _as_list(value: object) -> list[object]:
    if not isinstance(value, list):
        raise IntegrityFailure("a sealed list holds the wrong shape")
    return value


def _note(value: object) -> Note:
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed note holds the wrong shape")
    return Note(at=str(value.get("at", "")), who=str(value.get("by", "")), text=str(value.get("text", "")))


def _imported(value: object) -> TimelineEntry:
    """An entry of another vault's timeline, its 'who' saying where it happened."""
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed timeline entry holds the wrong shape")
    who, where = str(value.get("who", "")), str(value.get("where", ""))
    # "via": the key whose bundle brought it (entries taken in before it was noted have none).
    via = f"via bundle from {value['via']}" if value.get("via") else ""
    said = ", ".join(part for part in (where, via) if part)
    return TimelineEntry(
        str(value.get("at", "")), f"{who} ({said})" if said else who, str(value.get("what", ""))
    )


def _origins(value: object) -> dict[str, tuple[str, str]]:
    if not isinstance(value, dict):
        raise IntegrityFailure("a case's record of origins holds the wrong shape")
    out: dict[str, tuple[str, str]] = {}
    for name, pair in value.items():
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise IntegrityFailure("a case's record of origins holds the wrong shape")
        out[str(name)] = (pair[0], pair[1])
    return out


def _from_elsewhere(record: object, via: str) -> object:
    """A note or step record with each writer's name marked as the sender's word."""
    if not isinstance(record, dict):
        return record
    return {
        k: f"{v} (via bundle from {via})" if k in WRITERS and isinstance(v, str) and v else v
        for k, v in record.items()
    }


def _elsewhere(value: object) -> str:
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed record from a bundle holds the wrong shape")
    name, via = str(value.get("name", "")), str(value.get("via", ""))
    return f"{name} (stepped out at the sender of a bundle, key {via})"


def _conflict(value: object) -> Conflict:
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed conflicting version holds the wrong shape")
    return Conflict(
        str(value.get("field", "")), value.get("value"), str(value.get("from", "")), str(value.get("at", ""))
    )


def _tick(value: object) -> Tick:
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed checklist holds the wrong shape")
    return Tick(item=str(value.get("item", "")), at=str(value.get("at", "")))


def _strings(value: object) -> list[str]:
    """Every string inside a decoded JSON value, for the search text."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
