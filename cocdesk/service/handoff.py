"""Handoff bundles: cases sealed to one public key, and merged in by the vault that opens them.

A bundle carries each case whole (its sealed fields decrypted, its plain facts,
its timeline, the names of members who stepped out of it), sealed with
vault/envelope.py to the recipient. Taking one in has two steps: `open_`
checks everything and says who sealed it (nothing is written), and `take_in`
merges it, after the person at the keyboard has checked the sender. Cases are
matched by their uid and merged field by field (domain/merge.py) against what
was last exchanged with that same sender, in one transaction: a bundle is taken
in whole or not at all.

A bundle is its sender's word, never the receiving vault's. Bundles are numbered
by the vault that makes them, and a case never takes in an older one from the
same key (nor a copy behind its own status: domain/status.stage). Who stepped
out there is kept as that sender's record, never as a recusal here; notes, steps
and timeline entries keep the key that brought them, so none shows as written
by a member here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import sqlite_utils

from cocdesk.domain.merge import Conflict, digest, merge
from cocdesk.domain.report import SEALED_KEYS, from_parts, parse_report
from cocdesk.domain.status import Status, stage
from cocdesk.domain.steps import FIELDS as STEP_FIELDS
from cocdesk.domain.steps import Outcome, steps_from
from cocdesk.errors import BadReport, IntegrityFailure, NotAMember, UsageProblem
from cocdesk.exchange import bundle as bundle_format
from cocdesk.exchange.files import write_new
from cocdesk.service.access import recused_now, stepped_out_key
from cocdesk.service.cases import (
    CONFLICTS,
    ELSEWHERE,
    FIRST_CONTACT,
    IMPORTED,
    MERGE_BASE,
    NOTE_PREFIX,
    ORIGINS,
    CaseService,
    decode_value,
    new_uid,
)
from cocdesk.service.session import Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store import purged as purged_store
from cocdesk.store.connection import read, write
from cocdesk.vault import envelope, sealed_keys
from cocdesk.vault.fields import open_field

NOTES = "notes"  # a bundle carries a case's notes as one list
FACTS = "facts"  # and its plain columns as one value, merged like a field
LOGS = frozenset({NOTES, CONFLICTS})
CARRIED = frozenset({*SEALED_KEYS, FIRST_CONTACT, *STEP_FIELDS, NOTES, CONFLICTS})
VAULT_ID = "vault_id"  # this vault's random id, so its own timeline entries are known again
BUNDLES_MADE = "bundles_made"  # this vault's count of bundles, in the settings (under their MAC)
# Kept in a peer's merge base (beside the fields' digests, which never start with "#"):
# the number of the last bundle from that key merged into the case.
SEEN = "#bundle"
OLDER = "older than the copy already taken in from this key: nothing changed"


@dataclass(frozen=True)
class Exported:
    case_ids: list[str]
    left_out: int  # cases in the vault this member holds no key to (stepped out, or never given)
    fingerprint: str  # of the recipient's key


@dataclass(frozen=True)
class Received:
    """An opened, checked bundle: nothing of it is written yet."""

    bundle: bundle_format.Bundle
    sender_key: bytes
    fingerprint: str  # of the sender's key: what the person at the keyboard checks
    known: bool  # this vault has exchanged cases with that key before

    @property
    def sender(self) -> str:
        return f"{self.bundle.sender} ({self.bundle.event})"


@dataclass
class Imported:
    sender: str
    event: str
    fingerprint: str  # of the sender's key
    added: list[tuple[str, str]] = field(default_factory=list)  # (here, theirs)
    updated: list[tuple[str, str]] = field(default_factory=list)
    unchanged: list[tuple[str, str]] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (case here, field)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (theirs, why it was not taken in)
    # (case here, name): the sender's record says that person stepped out there. Kept as
    # their record only: names are all vaults share, and a name is not a member here.
    stepped_out_there: list[tuple[str, str]] = field(default_factory=list)


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
        at = s.now()
        with write(self._db):
            held = [r.id for r in case_store.for_member(self._db, s.event_keys, s.member_id)]
            chosen = held if case_ids is None else list(dict.fromkeys(case_ids))
            if not chosen:
                raise UsageProblem("there are no cases to put in a bundle")
            left_out = 0
            if case_ids is None:
                left_out = len(case_store.all_rows(self._db, s.event_keys)) - len(held)
            event, vault, seq = self._event(), self._vault_id(), self._next_bundle_number()
            bundled = [self._bundled(case_id, recipient, event, vault, at) for case_id in chosen]
            bundle = bundle_format.Bundle(event, vault, s.member_name, at, seq, bundled)
            # Written inside the transaction: if the file cannot be written, the
            # audit entries and merge bases roll back with it.
            write_new(
                target, envelope.seal("bundle", s.private_key, recipient, bundle_format.to_bytes(bundle))
            )
        return Exported(chosen, left_out, envelope.fingerprint(recipient))

    def _bundled(
        self, case_id: str, recipient: bytes, event: str, vault: str, at: str
    ) -> bundle_format.BundledCase:
        s = self.session
        row = self.cases.row(case_id)
        values = self.cases.values(case_id)  # refuses a member who stepped out
        if stepped_out_key(s, [case_id], recipient) is not None:
            raise NotAMember(f"that key belongs to a member who stepped out of {case_id}")
        members = {m.id: m for m in member_store.all_members(self._db)}
        out = recused_now(s, case_id)
        if not row.uid:
            row = replace(row, uid=new_uid())  # older cases get their uid when first handed off
        carried = _carried(values)
        carried[FACTS] = _facts(row)
        bases = _bases(values.get(MERGE_BASE))
        # What this peer now has: the base for merging what they send back (and still
        # the number of the last bundle taken in from them).
        peer = recipient.hex()
        seen = {k: v for k, v in bases.get(peer, {}).items() if k == SEEN}
        bases[peer] = {**seen, **{name: digest(value) for name, value in carried.items() if name not in LOGS}}
        # Not through record(): a handoff is not an edit, and must not restart the
        # case's retention clock (updated_at).
        self.cases.seal_values(case_id, s.case_key(case_id), {MERGE_BASE: bases})
        if row.fields:
            row = row.with_fields((*row.fields, MERGE_BASE))
        case_store.update(self._db, s.event_keys, row)
        audit.append(self._db, s.event_keys, at, s.member_id, "case.bundled", case_id)
        timeline = [
            {"at": t.at, "who": t.who, "what": t.what, "where": event, "vault": vault}
            for t in self.cases.timeline_here(case_id)
        ]
        timeline += [_bare(t) for t in _entries(values.get(IMPORTED, []))]
        timeline.sort(key=lambda t: t["at"])
        del carried[FACTS]
        stepped_out = sorted(members[m].name for m in out if m in members)
        return bundle_format.BundledCase(
            row.uid, case_id, row.created_at, row.updated_at, _facts(row), carried, timeline, stepped_out
        )

    # -- import ------------------------------------------------------------------------
    def open_(self, blob: bytes) -> Received:
        """Open and check a bundle sealed to this member; write nothing (exit 4 if it is bad)."""
        s = self.session
        opened = envelope.open_("bundle", s.private_key, blob)
        bundle = bundle_format.from_bytes(opened.payload, CARRIED)
        codes = {c.code for c in s.playbook.categories}
        actions = {a.code for a in s.playbook.actions}
        for case in bundle.cases:
            _check_case(case, codes, actions)
        with read(self._db):
            known = self._knows(opened.sender.hex())
        return Received(bundle, opened.sender, envelope.fingerprint(opened.sender), known)

    def take_in(self, received: Received) -> Imported:
        """Merge every case of an opened bundle, in one transaction."""
        s = self.session
        bundle = received.bundle
        result = Imported(bundle.sender, bundle.event, received.fingerprint)
        with write(self._db):
            vault = self._vault_id()
            for case in bundle.cases:
                if purged_store.was_purged(self._db, s.event_keys, case.uid):
                    result.refused.append(
                        (case.id, "it was purged here; a purged case is not taken in again")
                    )
                    continue
                # This vault's own entries come back in a bundle: they are on the timeline already.
                # Each one taken in says which key's bundle brought it: where and who are claims.
                timeline = [{**t, "via": received.fingerprint} for t in case.timeline if t["vault"] != vault]
                row = case_store.by_uid(self._db, s.event_keys, case.uid)
                if row is None:
                    case_id = self._add(case, received, timeline)
                    result.added.append((case_id, case.id))
                    result.stepped_out_there += [(case_id, name) for name in sorted(set(case.stepped_out))]
                    continue
                try:
                    found, names = self._merge(row.id, case, received, timeline)
                except _Older:
                    # Not refused whole (exit 4): the bundle is genuine, only late, and its
                    # other cases may be new here. Nothing of this case is written.
                    result.refused.append((case.id, OLDER))
                    continue
                pair = (row.id, case.id)
                if found is None:
                    result.unchanged.append(pair)
                else:
                    result.updated.append(pair)
                    result.conflicts += [(row.id, c.field) for c in found]
                    result.stepped_out_there += [(row.id, name) for name in names]
        return result

    def import_(self, blob: bytes) -> Imported:
        """Open and take in at once (for callers that already trust the file's sender)."""
        return self.take_in(self.open_(blob))

    def _add(
        self, case: bundle_format.BundledCase, received: Received, timeline: list[dict[str, str]]
    ) -> str:
        s = self.session
        peer, via = received.sender_key.hex(), received.fingerprint
        keys = s.event_keys
        seq = case_store.next_seq(self._db, keys)
        case_id = case_store.case_id_for(seq)
        values: dict[str, object] = {k: v for k, v in case.fields.items() if k != NOTES}
        for n, note in enumerate(case.fields.get(NOTES, []), 1):
            values[f"{NOTE_PREFIX}{n:04d}"] = note
        carried = {**case.fields, FACTS: case.facts}
        base = {k: digest(v) for k, v in carried.items() if k not in LOGS}
        values[MERGE_BASE] = {peer: {SEEN: str(received.bundle.seq), **base}}
        values[IMPORTED] = timeline
        # Who wrote each note and step is the sender's word: it is shown with its origin.
        values[ORIGINS] = _origins({}, values, via)
        if case.stepped_out:
            values[ELSEWHERE] = _elsewhere([], case.stepped_out, via)
        f = case.facts
        row = case_store.CaseRow(
            id=case_id,
            seq=seq,
            created_at=case.created_at,
            # Kept from the sender: a finished case's retention clock does not restart here.
            updated_at=case.updated_at,
            status=Status(f["status"]),
            category=f["category"],
            urgent=f["urgent"],
            holder=s.member_id,
            outcome=f["outcome"],
            actions=tuple(f["actions"]),
            uid=case.uid,
        ).with_fields(values)
        case_store.insert(self._db, keys, row)
        # Every member here is given the case, as for a report taken here: who stepped
        # out at the sender is their record (ELSEWHERE), never a recusal of anyone here.
        case_key = sealed_keys.new_secret()
        for m in self.cases.recipients():
            sealed = sealed_keys.seal_to(m.key.public_key, case_id, case_key)
            case_store.put_sealed_key(self._db, case_id, m.id, sealed)
        s.remember_case_key(case_id, case_key)
        self.cases.seal_values(case_id, case_key, values)
        self._index(case_id, values, row.category, row.urgent)
        audit.append(self._db, keys, s.now(), s.member_id, "case.imported", case_id)
        return case_id

    def _merge(
        self,
        case_id: str,
        case: bundle_format.BundledCase,
        received: Received,
        timeline: list[dict[str, str]],
    ) -> tuple[list[Conflict] | None, list[str]]:
        """Merge one case: the new conflicts (None when nothing changed; _Older if older),
        and the names the sender newly records as stepped out there."""
        s = self.session
        bundle, peer, via = received.bundle, received.sender_key.hex(), received.fingerprint
        source = f"{bundle.sender}, {bundle.event}"
        row = self.cases.row(case_id)
        values = self.cases.values(case_id)  # refuses a member who stepped out of it here
        bases = _bases(values.get(MERGE_BASE))
        seen = _seen(bases.get(peer, {}))
        if seen is not None and bundle.seq <= seen:
            # This copy, or a later one, from the same key is merged already: a replayed
            # or late bundle must not move the case back to what it said then.
            if bundle.seq < seen:
                raise _Older
            return None, []
        here = _carried(values)
        here[FACTS] = _facts(row)
        trusted = peer in bases  # we sent it this case, or took the case from it
        known = tuple(_conflict(c) for c in _entries(values.get(CONFLICTS, [])))
        incoming = {**case.fields, FACTS: case.facts}
        held: frozenset[str] = frozenset()
        if _stage(case.facts["status"], case.fields) < _stage(row.status.value, values):
            # An older copy in a newer bundle (its sender's vault put back from a backup,
            # say): status, decision and every step stay as they are here.
            held = frozenset({FACTS, *STEP_FIELDS})
        merged = merge(
            here, incoming, bases.get(peer, {}), known, source, bundle.created_at, LOGS, trusted, held
        )
        entries = _entries(values.get(IMPORTED, []))
        known_entries = [_bare(t) for t in entries]
        new_entries = [t for t in timeline if _bare(t) not in known_entries]
        records = _entries(values.get(ELSEWHERE, []))
        out_there = _elsewhere(records, case.stepped_out, via)
        new_base = {**merged.base, SEEN: str(bundle.seq)} if trusted else merged.base
        base_moved = trusted and new_base != bases.get(peer, {})
        if base_moved:
            bases[peer] = new_base
        if not merged.changed and not new_entries and out_there == records:
            if base_moved:
                # Bookkeeping only (which bundle was merged): not an edit of the case.
                self._keep_bases(case_id, row, bases)
            return None, []
        write_values: dict[str, object] = {}
        if base_moved:
            write_values[MERGE_BASE] = bases
        if new_entries:
            write_values[IMPORTED] = entries + new_entries
        if out_there != records:
            write_values[ELSEWHERE] = out_there
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
        if merged.conflicts or CONFLICTS in merged.take:
            kept = [c.to_data() for c in known]
            taken = merged.take.get(CONFLICTS, [])
            for c in [*(taken if isinstance(taken, list) else []), *(c.to_data() for c in merged.conflicts)]:
                if c not in kept:
                    kept.append(c)
            write_values[CONFLICTS] = kept
        taken = {k: v for k, v in write_values.items() if _attributed(k)}
        if taken:
            write_values[ORIGINS] = _origins(_origin_map(values.get(ORIGINS, {})), taken, via)
        if write_values or plain:
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
            fresh = self.cases.row(case_id)
            self._index(case_id, {**values, **write_values}, fresh.category, fresh.urgent)
        return list(merged.conflicts), [str(r["name"]) for r in out_there[len(records) :]]

    def _keep_bases(self, case_id: str, row: case_store.CaseRow, bases: dict[str, dict[str, str]]) -> None:
        """Seal the case's merge bases; not through record(): it does not restart retention."""
        s = self.session
        self.cases.seal_values(case_id, s.case_key(case_id), {MERGE_BASE: bases})
        if row.fields:
            row = row.with_fields((*row.fields, MERGE_BASE))
        case_store.update(self._db, s.event_keys, row)

    def _next_bundle_number(self) -> int:
        """One more than the last bundle this vault made (kept in the settings, under their MAC)."""
        meta.check(self._db, self.session.event_keys)  # never re-MAC settings edited in the file
        made = meta.get(self._db, BUNDLES_MADE) or "0"
        if not made.isdigit():
            raise IntegrityFailure("the vault's count of bundles made is not a number")
        seq = int(made) + 1
        meta.put(self._db, BUNDLES_MADE, str(seq))
        meta.seal(self._db, self.session.event_keys)
        return seq

    def _knows(self, peer: str) -> bool:
        """Whether any case this member holds was exchanged with that key (read only)."""
        s = self.session
        for case_id, sealed in case_store.sealed_keys_for(self._db, s.member_id).items():
            blob = case_store.fields(self._db, case_id, [MERGE_BASE]).get(MERGE_BASE)
            if blob is None:
                continue
            bases = decode_value(open_field(s.open_case_key(case_id, sealed), case_id, MERGE_BASE, blob))
            if isinstance(bases, dict) and peer in bases:
                return True
        return False

    def _index(self, case_id: str, values: dict[str, object], category: str, urgent: bool) -> None:
        keys = self.session.event_keys
        report = from_parts({k: values[k] for k in SEALED_KEYS}, category, urgent)
        case_store.put_tags(self._db, case_id, [keys.blind_tag(k, v) for k, v in report.identifiers()])

    def _event(self) -> str:
        return meta.get(self._db, "event_name") or self.session.playbook.event_name

    def _vault_id(self) -> str:
        """This vault's random id (made on first use, under the settings' MAC)."""
        found = meta.get(self._db, VAULT_ID)
        if found is None:
            meta.check(self._db, self.session.event_keys)  # never re-MAC settings edited in the file
            found = new_uid()
            meta.put(self._db, VAULT_ID, found)
            meta.seal(self._db, self.session.event_keys)
        return found


class _Older(Exception):
    """A case in the bundle is older than the copy already merged from the same key."""


# -- shapes ------------------------------------------------------------------------------
def _bare(entry: dict[str, Any]) -> dict[str, Any]:
    """A timeline entry as bundles carry it: without the origin this vault noted on it."""
    return {k: v for k, v in entry.items() if k != "via"}


def _attributed(name: str) -> bool:
    """Fields that say who wrote them (a note's or a step's "by"): shown with their origin."""
    return name.startswith(NOTE_PREFIX) or name in STEP_FIELDS


def _origin_map(value: object) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise IntegrityFailure("a case's record of origins holds the wrong shape")
    return {str(k): list(v) for k, v in value.items() if isinstance(v, list)}


def _origins(kept: dict[str, list[str]], taken: dict[str, object], via: str) -> dict[str, list[str]]:
    """Which key's bundle brought each note and step, while it is the value that came.

    The digest ties the origin to that value: once a member here records the step
    again, it is theirs, and no longer shown as from elsewhere.
    """
    return {**kept, **{k: [digest(v), via] for k, v in taken.items() if _attributed(k)}}


def _elsewhere(records: list[dict[str, Any]], names: list[str], via: str) -> list[dict[str, Any]]:
    """The sender's record of who stepped out there, kept beside (never as) recusals here."""
    out = list(records)
    for name in sorted(set(names)):
        record = {"name": name, "via": via}
        if record not in out:
            out.append(record)
    return out


def _seen(base: dict[str, str]) -> int | None:
    """The number of the last bundle from this peer merged into the case (None: none yet)."""
    value = base.get(SEEN)
    if value is None:
        return None
    if not isinstance(value, str) or not value.isdigit():
        raise IntegrityFailure("a case's merge record holds the wrong shape")
    return int(value)


def _stage(status: str, fields: dict[str, object]) -> tuple[int, int]:
    """How far along the procedure a copy of a case is (domain/status.py), from its fields."""
    try:
        steps = steps_from({k: fields[k] for k in STEP_FIELDS if k in fields})
    except (TypeError, ValueError):
        raise IntegrityFailure("a case holds a step record of the wrong shape") from None
    return stage(Status(status), steps)


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


def _entries(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise IntegrityFailure("a sealed list holds the wrong shape")
    return [dict(v) for v in value if isinstance(v, dict)]


def _conflict(value: object) -> Conflict:
    if not isinstance(value, dict):
        raise IntegrityFailure("a sealed conflicting version holds the wrong shape")
    return Conflict(
        str(value.get("field", "")), value.get("value"), str(value.get("from", "")), str(value.get("at", ""))
    )


def _check_case(case: bundle_format.BundledCase, categories: set[str], actions: set[str]) -> None:
    """A bundled case must open here like a case written here, and tell one story, or nothing is written."""
    f = case.fields
    where = f"the bundle's case {case.id[:20]}"
    facts = case.facts
    try:
        missing = [k for k in SEALED_KEYS if k not in f]
        if missing:
            raise ValueError
        # The report as the command line would take it: every type and character checked.
        report = {**{k: f[k] for k in SEALED_KEYS}, "urgent": facts["urgent"]}
        parse_report(report, categories)
        steps = steps_from({k: f[k] for k in STEP_FIELDS if k in f})
    except (BadReport, TypeError, ValueError, KeyError, AssertionError):
        raise IntegrityFailure(f"{where} holds a field of the wrong shape") from None
    if facts["category"] and facts["category"] not in categories:
        raise IntegrityFailure(f"{where} has a category this vault's playbook does not know")
    if not set(facts["actions"]) <= actions:
        raise IntegrityFailure(f"{where} has an action this vault's playbook does not know")
    decision = steps.decision
    # The plain outcome and actions are what the transparency report counts and the
    # ban list reads: they must be the decision's own, never stand alone.
    if decision is None:
        if facts["outcome"] or facts["actions"]:
            raise IntegrityFailure(f"{where} has actions but no decision")
    elif facts["outcome"] != decision.outcome.value or list(facts["actions"]) != list(decision.codes):
        raise IntegrityFailure(f"{where} has actions that differ from its decision")
    if facts["outcome"] and facts["outcome"] not in {o.value for o in Outcome}:
        raise IntegrityFailure(f"{where} has an unknown outcome")
    if Status(facts["status"]) == Status.NEW:
        raise IntegrityFailure(f"{where} was never reported")
