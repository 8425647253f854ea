"""Team roles (PROCEDURE.md, "Roles") and what each may do."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    RESPONDER = "responder"
    LEAD = "lead"
    CHAIR = "chair"


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role '{text}' (use one of: {names})") from None


def may_manage_team(role: Role) -> str | None:
    """None if `role` may add members; otherwise the reason it may not."""
    if role in (Role.LEAD, Role.CHAIR):
        return None
    return "only a lead or the chair may add team members"


def may_purge(role: Role) -> str | None:
    """None if `role` may crypto-shred a case; otherwise the reason it may not."""
    if role in (Role.LEAD, Role.CHAIR):
        return None
    return "only a lead or the chair may purge a case"
