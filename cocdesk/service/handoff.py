"""Handoff bundles: cases sealed to one public key, and merged in by the vault that opens them.

A bundle carries each case whole (its sealed fields decrypted, its plain facts,
its timeline), sealed with vault/envelope.py to the recipient. Import matches
cases by their uid, merges each field three ways (domain/merge.py) against
what was last exchanged with that same peer, and writes everything in one
transaction: a bundle is taken in whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from cocdesk.domain.merge import Conflict, digest, merge
from cocdesk.domain.report import SEALED_KEYS, from_parts
from cocdesk.domain.status import Status
from cocdesk.domain.steps import FIELDS as STEP_FIELDS
from cocdesk.domain.steps import steps_from
from cocdesk.errors import IntegrityFailure, UsageProblem
from cocdesk.exchange import bundle as bundle_format
from cocdesk.exchange.files import write_new
from cocdesk.service.cases import (
    CONFLICTS,
    FIRST_CONTACT,
    IMPORTED,
    MERGE_BASE,
    NOTE_PREFIX,
    CaseService,
    new_uid,
)
from cocdesk.service.session import Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import read, write
from cocdesk.vault import envelope, sealed_keys

NOTES = "notes"  # a bundle carries a case's notes as one list
FACTS = "facts"  # and its plain columns as one value, merged like a field
LOGS = frozenset({NOTES, CONFLICTS})
CARRIED = frozenset({*SEALED_KEYS, FIRST_CONTACT, *STEP_FIELDS, NOTES, CONFLICTS})


@dataclass(frozen=True)
class Exported:
    case_ids: list[str]
    left_out: int  # cases in the vault this member holds no key to (stepped out, or never given)
    fingerprint: str  # of the recipient's key


@dataclass
class Imported:
    sender: str
    event: str
    fingerprint: str  # of the sender's key
    added: list[tuple[str, str]] = field(default_factory=list)  # (here, theirs)
    updated: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (case here, field)


class HandoffService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.cases = CaseService(session)

    @property
    def _db(self) -> sqlite_utils.Database:
        return self.session.db

    # -- public keys -------------------------------------------------------------------
    def public_key_text(self, name: str | None = None) -> str:
        """A member's public key as a file to hand out (yourself when no name is given)."""
        s = self.session
        with read(self._db):
            member = member_store.active_by_name(self._db, s.event_keys, name or s.member_name)
            event = meta.get(self._db, "event_name") or s.playbook.event_name
        return bundle_format.public_key_text(member.key.public_key, member.name, event)

    def fingerprint(self) -> str:
        """This member's key, short enough to read out over the phone."""
        return envelope.fingerprint(bytes(self.session.private_key.public_key))

    # -- export ------------------------------------------------------------------------
    def export(self, recipient: bytes, target: Path, case_ids: list[str] | None = None) -> Exported:
        """Seal the cases (all this member holds, or those named) to `recipient`, into `target`."""
        s = self.session
        peer = envelope.fingerprint(recipient)
        at = s.now()
        with write(self._db):
            held = [r.id for r in case_store.for_member(self._db, s.event_keys, s.member_id)]
            chosen = held if case_ids is None else list(dict.fromkeys(case_ids))
            if not chosen:
                raise UsageProblem("there are no cases to put in a bundle")
            left_out = 0
            if case_ids is None:
                left_out = len(case_store.all_rows(self._db, s.event_keys)) - len(held)
            event = self._event()
            bundled = [self._bundled(case_id, peer, event, at) for case_id in chosen]
            payload = bundle_format.to_bytes(bundle_format.Bundle(event, s.member_name, at, bundled))
            # Written inside the transaction: if the file cannot be written, the
            # audit entries and merge bases roll back with it.
            write_new(target, envelope.seal("bundle", s.private_key, recipient, payload))
        return Exported(chosen, left_out, peer)

    def _bundled(self, case_id: str, peer: str, event: str, at: str) -> bundle_format.BundledCase:
        s = self.session
        row = self.cases.row(case_id)
        values = self.cases.values(case_id)  # refuses a member who stepped out
        if not row.uid:
            row = replace(row, uid=new_uid())  # older cases get their uid when first handed off
        carried = _carried(values)
        carried[FACTS] = _facts(row)
        bases = _bases(values.get(MERGE_BASE))
        # What this peer now has: the base for merging what they send back.
        bases[peer] = {name: digest(value) for name, value in carried.items() if name not in LOGS}
        # Not through record(): a handoff is not an edit, and must not restart the
        # case's retention clock (updated_at).
        self.cases.seal_values(case_id, s.case_key(case_id), {MERGE_BASE: bases})
        if row.fields:
            row = row.with_fields((*row.fields, MERGE_BASE))
        case_store.update(self._db, s.event_keys, row)
        audit.append(self._db, s.event_keys, at, s.member_id, "case.bundled", case_id)
        timeline = [
            {"at": t.at, "who": t.who, "what": t.what, "where": event}
            for t in self.cases.timeline_here(case_id)
        ]
        timeline += _entries(values.get(IMPORTED, []))
        timeline.sort(key=lambda t: t["at"])
        del carried[FACTS]
        return bundle_format.BundledCase(row.uid, case_id, row.created_at, _facts(row), carried, timeline)

    # -- import ------------------------------------------------------------------------
    def import_(self, blob: bytes) -> Imported:
        """Open a bundle sealed to this member and merge every case in it, in one transaction."""
        s = self.session
        opened = envelope.open_("bundle", s.private_key, blob)
        received = bundle_format.from_bytes(opened.payload, CARRIED)
        peer = envelope.fingerprint(opened.sender)
        result = Imported(received.sender, received.event, peer)
        source = f"{received.sender}, {received.event}"
        with write(self._db):
            here_event = self._event()
            for case in received.cases:
                _check_shapes(case)
                timeline = [t for t in case.timeline if t["where"] != here_event]
                row = case_store.by_uid(self._db, s.event_keys, case.uid)
                if row is None:
                    result.added.append((self._add(case, peer, timeline), case.id))
                    continue
                found = self._merge(row.id, case, peer, source, received.created_at, timeline)
                pair = (row.id, case.id)
                if found is None:
                    result.unchanged.append(pair)
                else:
                    result.updated.append(pair)
                    result.conflicts += [(row.id, c.field) for c in found]
        return result

    def _add(self, case: bundle_format.BundledCase, peer: str, timeline: list[dict[str, str]]) -> str:
        s = self.session
        keys = s.event_keys
        seq = case_store.next_seq(self._db, keys)
        case_id = case_store.case_id_for(seq)
        values: dict[str, object] = {k: v for k, v in case.fields.items() if k != NOTES}
        for n, note in enumerate(case.fields.get(NOTES, []), 1):
            values[f"{NOTE_PREFIX}{n:04d}"] = note
        carried = {**case.fields, FACTS: case.facts}
        values[MERGE_BASE] = {peer: {k: digest(v) for k, v in carried.items() if k not in LOGS}}
        values[IMPORTED] = timeline
        f = case.facts
        row = case_store.CaseRow(
            id=case_id,
            seq=seq,
            created_at=case.created_at,
            updated_at=s.now(),
            status=Status(f["status"]),
            category=f["category"],
            urgent=f["urgent"],
            holder=s.member_id,
            outcome=f["outcome"],
            actions=tuple(f["actions"]),
            uid=case.uid,
        ).with_fields(values)
        case_store.insert(self._db, keys, row)
        case_key = sealed_keys.new_secret()
        for m in self.cases.recipients():
            case_store.put_sealed_key(
                self._db, case_id, m.id, sealed_keys.seal_to(m.key.public_key, case_id, case_key)
            )
        s.remember_case_key(case_id, case_key)
        self.cases.seal_values(case_id, case_key, values)
        self._index(case_id, values, row.category, row.urgent)
        audit.append(self._db, keys, s.now(), s.member_id, "case.imported", case_id)
        return case_id

    def _merge(
        self,
        case_id: str,
        case: bundle_format.BundledCase,
        peer: str,
        source: str,
        at: str,
        timeline: list[dict[str, str]],
    ) -> list[Conflict] | None:
        """Merge one case; the new conflicts, or None when nothing changed."""
        s = self.session
        row = self.cases.row(case_id)
        values = self.cases.values(case_id)
        here = _carried(values)
        here[FACTS] = _facts(row)
        bases = _bases(values.get(MERGE_BASE))
        known = tuple(_conflict(c) for c in _entries(values.get(CONFLICTS, [])))
        merged = merge(here, {**case.fields, FACTS: case.facts}, bases.get(peer, {}), known, source, at, LOGS)
        entries = _entries(values.get(IMPORTED, []))
        new_entries = [t for t in timeline if t not in entries]
        if not merged.changed and merged.base == bases.get(peer, {}) and not new_entries:
            return None
        bases[peer] = merged.base
        write_values: dict[str, object] = {MERGE_BASE: bases}
        if new_entries:
            write_values[IMPORTED] = entries + new_entries
        plain: dict[str, Any] = {}
        for name, value in merged.take.items():
            if name == FACTS:
                plain = _plain(value)
            elif name == NOTES:
                have = [v for k, v in sorted(values.items()) if k.startswith(NOTE_PREFIX)]
                next_number = 1 + sum(1 for k in values if k.startswith(NOTE_PREFIX))
                for note in value[len(have) :]:  # type: ignore[index]
                    write_values[f"{NOTE_PREFIX}{next_number:04d}"] = note
                    next_number += 1
            elif name != CONFLICTS:
                write_values[name] = value
        conflicts = [c.to_data() for c in known] if (merged.conflicts or CONFLICTS in merged.take) else None
        if conflicts is not None:
            taken = merged.take.get(CONFLICTS, [])
            for c in [*(taken if isinstance(taken, list) else []), *(c.to_data() for c in merged.conflicts)]:
                if c not in conflicts:
                    conflicts.append(c)
            write_values[CONFLICTS] = conflicts
        self.cases.record(case_id, write_values, ("case.merged",), **plain)
        for conflict in merged.conflicts:
            # The field's name (never its value) says on the timeline what disagreed.
            audit.append(
                self._db,
                s.event_keys,
                s.now(),
                s.member_id,
                "case.conflict",
                case_id,
                conflict.field.encode("ascii"),
            )
        if any(k in SEALED_KEYS for k in write_values) or plain:
            now = {**values, **write_values}
            fresh = self.cases.row(case_id)
            self._index(case_id, now, fresh.category, fresh.urgent)
        return list(merged.conflicts)

    def _index(self, case_id: str, values: dict[str, object], category: str, urgent: bool) -> None:
        keys = self.session.event_keys
        report = from_parts({k: values[k] for k in SEALED_KEYS}, category, urgent)
        case_store.put_tags(self._db, case_id, [keys.blind_tag(k, v) for k, v in report.identifiers()])

    def _event(self) -> str:
        return meta.get(self._db, "event_name") or self.session.playbook.event_name


# -- shapes ------------------------------------------------------------------------------
def _carried(values: dict[str, object]) -> dict[str, object]:
    """A case's fields as a bundle carries them: notes as one list, bookkeeping left out."""
    carried = {k: v for k, v in values.items() if k in CARRIED}
    notes = [v for k, v in sorted(values.items()) if k.startswith(NOTE_PREFIX)]
    if notes:
        carried[NOTES] = notes
    return carried


def _facts(row: case_store.CaseRow) -> dict[str, Any]:
    return {
        "status": row.status.value,
        "category": row.category,
        "urgent": row.urgent,
        "outcome": row.outcome,
        "actions": list(row.actions),
    }


def _plain(facts: object) -> dict[str, Any]:
    assert isinstance(facts, dict)
    return {
        "status": Status(facts["status"]),
        "category": facts["category"],
        "urgent": facts["urgent"],
        "outcome": facts["outcome"],
        "actions": tuple(facts["actions"]),
    }


def _bases(value: object) -> dict[str, dict[str, str]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise IntegrityFailure("a case's merge record holds the wrong shape")
    return {str(k): dict(v) for k, v in value.items() if isinstance(v, dict)}


def _entries(value: object) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise IntegrityFailure("a sealed timeline holds the wrong shape")
    return [dict(v) for v in value if isinstance(v, dict)]


def _conflict(value: object) -> Conflict:
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed conflicting version holds the wrong shape")
    return Conflict(
        str(value.get("field", "")), value.get("value"), str(value.get("from", "")), str(value.get("at", ""))
    )


def _check_shapes(case: bundle_format.BundledCase) -> None:
    """A bundled case must open here like a case written here, or nothing is written."""
    f = case.fields
    try:
        missing = [k for k in SEALED_KEYS if k not in f]
        if missing:
            raise ValueError(f"missing {missing[0]}")
        from_parts({k: f[k] for k in SEALED_KEYS}, case.facts["category"], case.facts["urgent"])
        steps_from({k: f[k] for k in STEP_FIELDS if k in f})
        for name in (NOTES, CONFLICTS, FIRST_CONTACT):
            if name in f and not (isinstance(f[name], list) and all(isinstance(v, dict) for v in f[name])):
                raise ValueError(name)
    except (TypeError, ValueError, KeyError, AssertionError):
        raise IntegrityFailure(f"the bundle's case {case.id[:20]} holds a field of the wrong shape") from None
