"""Retention: the finished cases kept past the playbook's days, and purging them together.

The listing reads plain columns only (no key needed), so a member sees every
expired case in the vault, each with the reason they could not purge it, if
any: a case they stepped out of is named, never skipped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cocdesk.domain.retention import FINISHED, expired
from cocdesk.domain.roles import may_purge
from cocdesk.domain.status import Status
from cocdesk.errors import CocdeskError, NotAMember, NotFound, RuleRefused
from cocdesk.service.access import recused_now
from cocdesk.service.clock import stamp
from cocdesk.service.session import Session
from cocdesk.service.shred import after_shred, shred_in
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import read, write

# Said wherever a purge is reported (SECURITY.md: backups expire on the same schedule).
BACKUPS_STILL_HOLD = (
    "backups written before this purge still hold these cases (sealed): "
    "delete the backups older than the retention period"
)


@dataclass(frozen=True)
class RetainedCase:
    """A case as retention sees it, and why this member may not purge it (None if they may)."""

    id: str
    status: Status
    category: str
    updated_at: str
    past: bool  # a finished case past the retention days
    blocked: str | None = None


@dataclass(frozen=True)
class PurgeOutcome:
    purged: tuple[str, ...]
    refused: tuple[tuple[str, CocdeskError], ...]  # (case id, why it was not purged)
    compacted: bool = True  # False: another program had the file open; its old pages wait


# Said when a purge could not rebuild the file (another program reading it).
NOT_YET_CLEAN = (
    "another program has the vault open, so the purged cases' old (sealed) pages are still "
    "in the file: close it; the next time cocdesk opens the vault alone it finishes the job"
)


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class RetentionService:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def days(self) -> int:
        return self.session.playbook.retention_days

    def expired(self) -> list[RetainedCase]:
        """Every closed or referred case whose last update is older than the retention days."""
        s = self.session
        with read(s.db):
            return [self._retained(row, past=True) for row in self._expired_rows()]

    def check(self, case_id: str) -> RetainedCase:
        """Before asking "purge it?": refuse now what the purge would refuse (role, no such case,
        stepped out, no key), so nobody confirms a purge that cannot happen."""
        s = self.session
        reason = may_purge(s.role)
        if reason:
            raise RuleRefused(reason)
        with read(s.db):
            row = case_store.get(s.db, s.event_keys, case_id)
            if row is None:
                raise NotFound(f"there is no case {case_id}")
            problem = self._blocked(case_id)
            if problem is not None:
                raise problem
            return self._retained(row, past=self._past(row))

    def _retained(self, row: case_store.CaseRow, past: bool) -> RetainedCase:
        blocked = self._blocked(row.id)
        return RetainedCase(
            row.id, row.status, row.category, row.updated_at, past, None if blocked is None else str(blocked)
        )

    def purge(self, case_ids: Iterable[str], only_expired: bool = False) -> PurgeOutcome:
        """Purge these cases in one transaction, then one checkpoint and VACUUM for them all.

        A case this member may not purge (stepped out, holds no key, gone, or, with
        `only_expired`, no longer past retention) is left and returned with the
        reason; the others go. A member who may not purge at all is refused outright.
        """
        s = self.session
        reason = may_purge(s.role)
        if reason:
            raise RuleRefused(reason)
        wanted = list(dict.fromkeys(case_ids))
        refused: list[tuple[str, CocdeskError]] = []
        rows: list[case_store.CaseRow] = []
        with write(s.db):
            me = member_store.by_id(s.db, s.member_id)
            if me is None or not me.active:
                raise NotAMember(f"{s.member_name} is no longer on the team")
            # Judged under the write lock: what was listed may have changed since.
            still = {r.id for r in self._expired_rows()} if only_expired else None
            for case_id in wanted:
                row = case_store.get(s.db, s.event_keys, case_id)
                if row is None:
                    refused.append((case_id, NotFound(f"there is no case {case_id}")))
                    continue
                problem = self._refusal(case_id, still)
                if problem is not None:
                    refused.append((case_id, problem))
                    continue
                rows.append(row)
            shred_in(s, rows)
        purged = tuple(r.id for r in rows)
        clean = after_shred(s, purged)
        return PurgeOutcome(purged, tuple(refused), clean)

    def _expired_rows(self) -> list[case_store.CaseRow]:
        s = self.session
        # The store narrows by status and stamp (a superset, to the second); the rule decides.
        cutoff = stamp(s.clock() - timedelta(days=self.days))
        statuses = [status.value for status in FINISHED]
        return [
            row for row in case_store.finished_before(s.db, s.event_keys, statuses, cutoff) if self._past(row)
        ]

    def _past(self, row: case_store.CaseRow) -> bool:
        return expired(row.status, parse_stamp(row.updated_at), self.session.clock(), self.days)

    def _refusal(self, case_id: str, still_expired: set[str] | None) -> CocdeskError | None:
        """Why this member may not purge the case now (inside the purge's write transaction)."""
        problem = self._blocked(case_id)
        if problem is None and still_expired is not None and case_id not in still_expired:
            problem = RuleRefused(f"{case_id} is no longer past retention (it changed meanwhile)")
        if problem is None:
            # Purging needs the case key, as opening does: proof the member holds the case.
            try:
                self.session.case_key(case_id)
            except CocdeskError as exc:
                problem = exc
        return problem

    def _blocked(self, case_id: str) -> CocdeskError | None:
        """Why this member cannot purge the case, judged without opening any key."""
        s = self.session
        if s.member_id in recused_now(s, case_id):
            return NotAMember(
                f"{s.member_name} stepped out of {case_id} (a conflict of interest); "
                "another lead or the chair purges it"
            )
        if case_store.sealed_key(s.db, case_id, s.member_id) is None:
            return NotAMember(f"{s.member_name} holds no key to {case_id}; a member who holds it purges it")
        return None
