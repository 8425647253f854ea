"""Cases: taking a report, the queue, opening one case, and its history."""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlite_utils

from cocdesk.domain.report import SEALED_KEYS, Report, from_parts, sealed_values
from cocdesk.domain.status import Status
from cocdesk.errors import IntegrityFailure, NotFound
from cocdesk.service.session import Session
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import write
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
class CaseView:
    summary: CaseSummary
    report: Report
    timeline: tuple[TimelineEntry, ...]


def encode_value(value: object) -> bytes:
    # ensure_ascii keeps the bytes plain ASCII JSON, so any string round-trips exactly.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def decode_value(raw: bytes) -> object:
    return json.loads(raw.decode("ascii"))


class CaseService:
    """Everything about cases the CLI and the TUI may ask for, for one unlocked member."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _db(self) -> sqlite_utils.Database:
        return self.session.db

    def add_report(self, report: Report) -> str:
        """Seal and store a new report in one transaction; return its case id."""
        s = self.session
        keys = s.event_keys
        members = [m for m in member_store.all_members(self._db) if m.active]
        case_key = sealed_keys.new_secret()
        tags = [keys.blind_tag(kind, value) for kind, value in report.identifiers()]
        at = s.now()
        with write(self._db):
            seq = case_store.next_seq(self._db)
            case_id = case_store.case_id_for(seq)
            sealed = {
                name: seal_field(case_key, case_id, name, encode_value(value))
                for name, value in sealed_values(report).items()
            }
            row = case_store.CaseRow(
                id=case_id,
                seq=seq,
                created_at=at,
                updated_at=at,
                status=Status.REPORTED,
                category=report.category,
                urgent=report.urgent,
                holder=s.member_id,
            )
            case_store.insert(self._db, keys, row)
            for m in members:
                case_store.put_sealed_key(
                    self._db,
                    case_id,
                    m.id,
                    sealed_keys.seal_to(m.key.public_key, case_id, case_key),
                )
            case_store.put_fields(self._db, case_id, sealed)
            case_store.put_tags(self._db, case_id, tags)
            audit.append(self._db, keys, at, s.member_id, "case.reported", case_id)
        s.remember_case_key(case_id, case_key)
        return case_id

    def list_cases(self) -> list[CaseSummary]:
        """The queue: every case this member may open, oldest first."""
        names = {m.id: m.name for m in member_store.all_members(self._db)}
        rows = case_store.for_member(self._db, self.session.event_keys, self.session.member_id)
        return [self._summary(r, names) for r in rows]

    def open_case(self, case_id: str) -> CaseView:
        """Decrypt one case in full, with its timeline."""
        s = self.session
        row = case_store.get(self._db, s.event_keys, case_id)
        if row is None:
            raise NotFound(f"there is no case {case_id}")
        key = s.case_key(case_id)
        values = {
            name: decode_value(open_field(key, case_id, name, blob))
            for name, blob in case_store.fields(self._db, case_id).items()
        }
        missing = [k for k in SEALED_KEYS if k not in values]
        if missing:
            raise IntegrityFailure(f"{case_id} is missing its field {missing[0]}")
        names = {m.id: m.name for m in member_store.all_members(self._db)}
        timeline = tuple(
            TimelineEntry(e.at, names.get(e.member_id or 0, "?"), e.kind)
            for e in audit.entries(self._db, case_id)
        )
        report = from_parts(values, row.category, row.urgent)
        return CaseView(self._summary(row, names), report, timeline)

    def earlier_reports_naming(self, identifiers: list[tuple[str, str]]) -> int:
        """How many cases this member may open name any of these people (blind index)."""
        keys = self.session.event_keys
        tags = [keys.blind_tag(kind, value) for kind, value in identifiers]
        return len(case_store.cases_with_tags(self._db, tags, self.session.member_id))

    @staticmethod
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
