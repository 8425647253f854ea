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


def may_hand_on_banlist(role: Role) -> str | None:
    """Who may write the ban list for next year's team: those who may purge and manage the team."""
    if role in (Role.LEAD, Role.CHAIR):
        return None
    return "only a lead or the chair may hand on the ban list"


def may_talk_to_reported(role: Role) -> str | None:
    """PROCEDURE.md §6: only a lead speaks with the reported person and records it."""
    return None if role == Role.LEAD else "only a lead speaks with the reported person"


def may_handle_appeal(role: Role) -> str | None:
    """PROCEDURE.md §8: appeals are written to the chair, who answers them."""
    return None if role == Role.CHAIR else "appeals go to the conference chair, who answers them"


def may_announce(role: Role, delegate: bool) -> str | None:
    """PROCEDURE.md §9: only the chair, or someone the chair delegates, announces."""
    if role == Role.CHAIR or delegate:
        return None
    return "only the chair, or a delegate the chair named, makes a public announcement"


def may_name_delegate(role: Role) -> str | None:
    return None if role == Role.CHAIR else "only the chair names delegates for announcements"


def recusal_problem(actor_id: int, actor_role: Role, declared: set[int], keepers: list[Role]) -> str | None:
    """None if these conflicts of interest may be recorded; otherwise why not.

    `declared` are the members newly stepping out; `keepers` the roles of the
    members who keep the case afterwards.
    """
    if declared - {actor_id} and actor_role not in (Role.LEAD, Role.CHAIR):
        return (
            "each member declares their own conflict of interest; "
            "only a lead or the chair records one for someone else"
        )
    if not any(role in (Role.LEAD, Role.CHAIR) for role in keepers):
        return (
            "a lead or the chair without a conflict of interest must keep the case, "
            "to be able to lift a recusal"
        )
    return None


def may_lift_recusal(role: Role) -> str | None:
    return None if role in (Role.LEAD, Role.CHAIR) else "only a lead or the chair lifts a recusal"


def may_remove_member(role: Role) -> str | None:
    return None if role in (Role.LEAD, Role.CHAIR) else "only a lead or the chair may remove team members"


def may_reenrol(role: Role) -> str | None:
    return None if role == Role.LEAD else "only a lead re-enrols a member"


def may_restore(role: Role) -> str | None:
    """Replacing the vault with a backup can undo anyone's work: a lead's or the chair's call."""
    return (
        None
        if role in (Role.LEAD, Role.CHAIR)
        else "only a lead or the chair restores a backup over the vault"
    )
