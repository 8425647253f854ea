"""When a case is overdue (the playbook sets the limits; the queue shows the marks)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cocdesk.domain.status import Status

WAITING_FOR_DECISION = (Status.REPORTED, Status.IN_REVIEW)


def overdue(
    status: Status,
    created: datetime,
    last_step: datetime,
    now: datetime,
    acknowledge_within: timedelta,
    decide_within: timedelta,
) -> list[str]:
    """Short marks for what is late: "ack" (no step since intake), "decide" (no decision yet)."""
    marks: list[str] = []
    if status == Status.REPORTED and last_step <= created and now - created > acknowledge_within:
        marks.append("ack")
    if status in WAITING_FOR_DECISION and now - created > decide_within:
        marks.append("decide")
    return marks


def age(since: datetime, now: datetime) -> str:
    """A compact age: 45m, 5h, 3d."""
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
