"""Retention: when a finished case has been kept long enough to be purged.

Pure rules, no I/O. A case is finished when it is `closed` or `referred`
(DESIGN.md: a report outside the Code of Conduct "can be closed as referred").
An `appealed` case is not finished: the chair's answer is still to come.
The clock starts at the case's last update, so a note or an answered appeal
keeps a case for another full period.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cocdesk.domain.status import Status

FINISHED = frozenset({Status.CLOSED, Status.REFERRED})


def expired(status: Status, updated_at: datetime, now: datetime, retention_days: int) -> bool:
    """True once a finished case's last update is *more* than `retention_days` ago.

    Exactly `retention_days` after the last update the case is still kept: the
    playbook's number is the time it is kept, not the time it may be kept less.
    """
    return status in FINISHED and now - updated_at > timedelta(days=retention_days)


def cases_phrase(count: int) -> str:
    """'1 closed case is' / '3 closed cases are', for reminders."""
    return f"{count} closed case is" if count == 1 else f"{count} closed cases are"
