"""The transparency report, gathered for any unlocked member (issue 6).

The counts need no key: every case's plain category, status and action codes
(each row checked under its MAC), recused cases included, plus the kept tally
of purged cases. The public summaries are sealed: only the cases this member
holds are read, and each is checked for names again now, since a case taken
after a summary was written may name someone it mentions.
"""

from __future__ import annotations

from cocdesk.domain.privacy import flagged
from cocdesk.domain.steps import public_summary_from
from cocdesk.domain.tally import Counted, count
from cocdesk.domain.transparency import TransparencyReport
from cocdesk.errors import IntegrityFailure
from cocdesk.service.cases import CaseService, decode_value
from cocdesk.service.integrity import check_records
from cocdesk.service.session import Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store import tally as tally_store
from cocdesk.store.connection import read, write
from cocdesk.vault.fields import open_field

MADE = "report.transparency"
SUMMARY = "public_summary"


def transparency_report(session: Session) -> TransparencyReport:
    """The report as it stands now; making it is recorded in the audit log."""
    s = session
    db, keys = s.db, s.event_keys
    with read(db):  # one consistent state: counts, summaries and the names they are checked against
        # A published count must not quietly lose a case deleted in the file, or a purge
        # undone by older settings copied back: the keyed audit log says what there was.
        check_records(s)
        mentioned = CaseService(s).people_mentioned()
        rows = case_store.all_rows(db, keys)
        meta.check(db, keys)  # the purged tally lives in the settings, under their MAC
        tally = count(Counted(r.category, r.status.value, r.actions) for r in rows) + tally_store.purged(db)
        held = case_store.sealed_keys_for(db, s.member_id)
        summaries: list[str] = []
        left_out = unreadable = 0
        for row in rows:
            if row.id not in held:
                # Its sealed field exists (a plain fact), its text is out of this member's reach.
                if SUMMARY in case_store.field_names(db, row.id):
                    unreadable += 1
                continue
            text = _summary(s, row.id, held[row.id])
            if not text:
                continue
            if flagged(text, mentioned):
                left_out += 1
            else:
                summaries.append(text)
        event = meta.get(db, "event_name") or s.playbook.event_name
    with write(db):
        audit.append(db, keys, s.now(), s.member_id, MADE)
    return TransparencyReport(
        event=event,
        tally=tally,
        summaries=tuple(summaries),
        left_out=left_out,
        unreadable=unreadable,
        small_counts_below=s.playbook.small_counts_below,
    )


def _summary(session: Session, case_id: str, sealed: bytes) -> str:
    """The case's public summary ("" if none), opened with a key that is not kept."""
    blobs = case_store.fields(session.db, case_id, (SUMMARY,))
    if SUMMARY not in blobs:
        return ""
    key = session.open_case_key(case_id, sealed)
    try:
        return public_summary_from(decode_value(open_field(key, case_id, SUMMARY, blobs[SUMMARY]))).text
    except ValueError:
        raise IntegrityFailure(f"{case_id} holds a public summary of the wrong shape") from None
