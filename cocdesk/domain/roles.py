"""Team roles (PROCEDURE.md, "Roles") and what each may do: every role rule, in one place.

Each `may_…` function is pure: None if the role may, otherwise the one sentence that
names the rule. The services call them before they change anything (so the command line
and the app refuse alike), and the app asks them first, so a refused key opens no form.

The procedure's duties: a lead speaks with the reported person (§6); the chair answers
appeals (§8) and makes or authorises announcements, naming delegates (§9); a lead or the
chair refers, closes, purges, lifts a recusal, hands on the ban list.

The team's administration, on which PROCEDURE.md is silent, follows one principle:
roles rank responder < lead < chair, and nobody adds, removes or re-enrols a member whose
role is above their own. Re-enrolling someone is choosing their passphrase, so it is
becoming them; adding a chair is making one. A role is given once, when the member is
added (no command changes it, and the member record is MACed), so nobody raises their
own. The one exception: a vault has no chair until one is added, so while the team has
none, the lead who created the vault adds the first chair.
"""

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


RANK = {Role.RESPONDER: 0, Role.LEAD: 1, Role.CHAIR: 2}  # for the team's administration only
FOUNDER_ID = 1  # the member who created the vault (Desk.create)


def _above(actor: Role, target: Role) -> bool:
    return RANK[target] > RANK[actor]


def may_manage_team(role: Role) -> str | None:
    """None if `role` may add members at all (which role they may give: may_add_member)."""
    if role in (Role.LEAD, Role.CHAIR):
        return None
    return "only a lead or the chair may add team members"


def may_add_member(actor: Role, new: Role, *, founding: bool) -> str | None:
    """None if `actor` may add a member with the role `new`.

    `founding`: the actor created the vault and the team has no (active) chair yet.
    """
    reason = may_manage_team(actor)
    if reason:
        return reason
    if _above(actor, new) and not founding:
        return (
            "only the chair may add a chair "
            "(the lead who created the vault adds the first, while there is none)"
        )
    return None


def may_remove_member(
    actor: Role, target: Role | None = None, *, yourself: bool = False, last_lead: bool = False
) -> str | None:
    """None if `actor` may remove a member of role `target` (None: anyone at all).

    `yourself`: the target is the actor; `last_lead`: the target is the team's only lead.
    """
    if actor not in (Role.LEAD, Role.CHAIR):
        return "only a lead or the chair may remove team members"
    if target is None:
        return None
    if yourself:
        return "another lead or the chair removes you from the team"
    if _above(actor, target):
        return "only the chair may remove a chair"
    if last_lead:
        return "the team needs at least one lead: add another lead first"
    return None


def may_reenrol(actor: Role, target: Role | None = None, *, yourself: bool = False) -> str | None:
    """None if `actor` may give a member of role `target` (None: anyone at all) a new key
    and a passphrase the actor types: the power to become that member."""
    if actor not in (Role.LEAD, Role.CHAIR):
        return "only a lead or the chair may re-enrol a member"
    if target is None:
        return None
    if yourself:
        return "change your own passphrase instead (you know the current one)"
    if _above(actor, target):
        return "only the chair may re-enrol a chair (re-enrolling someone means choosing their passphrase)"
    return None


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


def may_lift_recusal(role: Role, *, yours: bool = False) -> str | None:
    """None if `role` may lift a recusal; `yours`: the actor's own, which someone else lifts."""
    if role not in (Role.LEAD, Role.CHAIR):
        return "only a lead or the chair lifts a recusal"
    if yours:
        return "a recusal is lifted by another lead or the chair"
    return None


# -- moves of a case (domain/status.py asks these) ----------------------------------------------
def may_refer(role: Role) -> str | None:
    """A report judged not a Code of Conduct matter is sent elsewhere by a lead or the chair."""
    if role in (Role.LEAD, Role.CHAIR):
        return None
    return "only a lead or the chair may refer a report elsewhere"


def may_close(role: Role) -> str | None:
    return None if role in (Role.LEAD, Role.CHAIR) else "only a lead or the chair may close a case"


def may_mark_appealed(role: Role) -> str | None:
    """PROCEDURE.md §8: the reported person appeals to a conference chair."""
    return None if role == Role.CHAIR else "appeals go to the conference chair"


def may_answer_appeal(role: Role) -> str | None:
    return None if role == Role.CHAIR else "only the chair answers an appeal"


def may_restore(role: Role) -> str | None:
    """Replacing the vault with a backup can undo anyone's work: a lead's or the chair's call."""
    return (
        None
        if role in (Role.LEAD, Role.CHAIR)
        else "only a lead or the chair restores a backup over the vault"
    )
