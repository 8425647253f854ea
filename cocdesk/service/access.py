"""Who may open a case: recusal enforced by keys, re-keying, lifting, and who opened what.

A conflict of interest is enforced by cryptography, not by a screen (DESIGN.md,
"Keys"): the member's sealed copy of the case key is deleted and the case gets
a new key, so even a copy of the old key they may have kept opens nothing that
is stored now. What they saw before, they saw: no key change undoes that.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cocdesk.domain.roles import may_lift_recusal, recusal_problem
from cocdesk.errors import NotAMember, NotFound, RuleRefused
from cocdesk.service.session import Session
from cocdesk.store import audit, recusals
from cocdesk.store import cases as case_store
from cocdesk.store import drafts as draft_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import checkpoint, read, write
from cocdesk.vault import sealed_keys
from cocdesk.vault.actor import open_actor, seal_actor
from cocdesk.vault.fields import open_field, seal_field
from cocdesk.vault.keyed_hash import EventKeys

OPENED = "case.opened"
EXPORTED = "case.exported"  # a read too, and a plaintext copy outside the vault
RECUSED = case_store.RECUSED
LIFTED = case_store.LIFTED


@dataclass(frozen=True)
class Access:
    """Who holds a case's key, who stepped out, and who opened it (names only, no reasons)."""

    holders: tuple[str, ...]
    recused: tuple[str, ...]
    opened: tuple[tuple[str, int, str], ...]  # (member, times, last time)


def recuse_in(session: Session, case_id: str, member_ids: Iterable[int]) -> None:
    """Recuse members from a case, inside the caller's write transaction.

    Their sealed copies go, the recusal is recorded, and the case is re-keyed
    for everyone who keeps it. The caller checkpoints after commit.
    """
    db = session.db
    already = recused_now(session, case_id)
    chosen = sorted(set(member_ids) - already)
    if not chosen:
        return
    holders = case_store.key_holders(db, case_id)
    keepers = holders - set(chosen)
    if not keepers:
        raise RuleRefused("at least one member without a conflict of interest must keep the case")
    roles = {m.id: m.role for m in member_store.all_members(db)}
    problem = recusal_problem(
        session.member_id, session.role, set(chosen), [roles[m] for m in keepers if m in roles]
    )
    if problem:
        raise RuleRefused(problem)
    _step_out(session, case_id, chosen)


def _step_out(session: Session, case_id: str, chosen: list[int]) -> None:
    """Delete these members' copies, record each recusal, and re-key the case for the rest."""
    db, keys = session.db, session.event_keys
    # The old key, before any copy goes: the recorder may be the one stepping out.
    old = session.case_key(case_id)
    at = session.now()
    for member_id in chosen:
        case_store.remove_sealed_key(db, case_id, member_id)
        # Their sealed drafts of the case go in the same transaction: nothing of it
        # stays theirs to reopen (the next unlock would otherwise find it).
        draft_store.delete_of_member_for_case(db, member_id, case_id)
        recusals.add(db, keys, case_id, member_id, at)
        # Who recorded it is the actor; whose conflict it is goes in the detail.
        audit.append(db, keys, at, session.member_id, RECUSED, case_id, str(member_id).encode("ascii"))
    rekey_in(session, case_id, old)


def recused_now(session: Session, case_id: str) -> set[int]:
    """Who is recused from a case: the recusal records and the audit log's account of them.

    A recusal row deleted in the file does not end a recusal: the keyed audit chain
    still says it was declared and never lifted.
    """
    db, keys = session.db, session.event_keys
    from_log: set[int] = set()
    for e in audit.entries(db, case_id):
        subject = audit.subject_id(e)
        if subject is not None and e.kind == RECUSED:
            from_log.add(subject)
        elif subject is not None and e.kind == LIFTED:
            from_log.discard(subject)
    return recusals.for_case(db, keys, case_id) | from_log


def rekey_in(session: Session, case_id: str, old: bytes | None = None) -> None:
    """Give the case a new key: every field re-sealed, the new key sealed to each holder.

    `old` is the current key, if the caller opened it before deleting a copy.
    """
    db, keys = session.db, session.event_keys
    if old is None:
        old = session.case_key(case_id)
    new = sealed_keys.new_secret()
    blobs = case_store.fields(db, case_id)
    case_store.put_fields(
        db,
        case_id,
        {
            name: seal_field(new, case_id, name, open_field(old, case_id, name, blob))
            for name, blob in blobs.items()
        },
    )
    members = {m.id: m for m in member_store.all_members(db)}
    out = recused_now(session, case_id)
    for member_id in sorted(case_store.key_holders(db, case_id)):
        member = members.get(member_id)
        if member is None or not member.active or member_id in out:
            # A row no legitimate holder has (added in the file, or left behind):
            # it gets no new key, and goes.
            case_store.remove_sealed_key(db, case_id, member_id)
            continue
        # A public key swapped in the file would receive the new key: refuse.
        member_store.check_mac(db, keys, member)
        sealed = sealed_keys.seal_to(member.key.public_key, case_id, new)
        case_store.put_sealed_key(db, case_id, member_id, sealed)
    session.remember_case_key(case_id, new)
    audit.append(db, keys, session.now(), session.member_id, "case.rekeyed", case_id)


def actor_of(keys: EventKeys, entry: audit.AuditEntry) -> int | None:
    """Who wrote an audit entry: its member column, or for a read, the sealed reader.

    Reads recorded before the reader was sealed have the member column: still shown.
    """
    if entry.member_id is not None or entry.kind not in (OPENED, EXPORTED):
        return entry.member_id
    if entry.detail is None or entry.case_id is None:
        return None
    return open_actor(keys, entry.kind, entry.case_id, entry.at, entry.detail)


def stepped_out_key(session: Session, case_ids: Iterable[str], key: bytes) -> str | None:
    """The first of these cases whose recusals include the member holding `key`, or None.

    Recusal is by keys: nothing made from a case (a bundle, a ban list) is sealed to
    the key of a member who stepped out of it, whatever name that key goes by.
    """
    members = {m.id: m for m in member_store.all_members(session.db)}
    for case_id in case_ids:
        if any(m in members and members[m].key.public_key == key for m in recused_now(session, case_id)):
            return case_id
    return None


class AccessService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def recused_from(self) -> set[str]:
        """Cases this member stepped out of: they see that each exists, nothing more."""
        s = self.session
        with read(s.db):
            return recusals.for_member(s.db, s.event_keys, s.member_id)

    def recused(self, case_id: str) -> set[int]:
        return recused_now(self.session, case_id)

    def declare_conflict(self, case_id: str) -> None:
        """The member at the keyboard steps out of a case (no reason asked)."""
        s = self.session
        with write(s.db):
            if case_store.get(s.db, s.event_keys, case_id) is None:
                raise NotFound(f"there is no case {case_id}")
            if s.member_id in recused_now(s, case_id):
                raise NotAMember(f"{s.member_name} stepped out of {case_id} (a conflict of interest)")
            s.case_key(case_id)  # only a member who holds the case can step out of it
            recuse_in(s, case_id, [s.member_id])
        s.forget_case_key(case_id)
        checkpoint(s.db)

    def lift(self, case_id: str, member_name: str) -> None:
        """A lead lifts a recusal: the member gets the case key again."""
        s = self.session
        reason = may_lift_recusal(s.role)
        if reason:
            raise RuleRefused(reason)
        with write(s.db):
            member = member_store.active_by_name(s.db, s.event_keys, member_name)
            if member.id not in recused_now(s, case_id):
                raise RuleRefused(f"{member_name} is not recused from {case_id}")
            reason = may_lift_recusal(s.role, yours=member.id == s.member_id)
            if reason:
                raise RuleRefused(reason)
            key = s.case_key(case_id)
            case_store.put_sealed_key(
                s.db, case_id, member.id, sealed_keys.seal_to(member.key.public_key, case_id, key)
            )
            recusals.remove(s.db, case_id, member.id)  # (absent if deleted in the file: the log counts)
            detail = str(member.id).encode("ascii")
            audit.append(s.db, s.event_keys, s.now(), s.member_id, LIFTED, case_id, detail)

    def record_opened(self, case_id: str) -> None:
        """The audit log records reading a case, not only changing it."""
        self._record_read(OPENED, case_id)

    def record_exported(self, case_id: str) -> None:
        """An export (CLI or app) is recorded before its plaintext is written anywhere."""
        self._record_read(EXPORTED, case_id)

    def _record_read(self, kind: str, case_id: str) -> None:
        # Who read is sealed in the detail (vault/actor.py), the member column left
        # empty: the file alone must not say who opened which case.
        s = self.session
        at = s.now()
        with write(s.db):
            sealed = seal_actor(s.event_keys, kind, case_id, at, s.member_id)
            audit.append(s.db, s.event_keys, at, None, kind, case_id, sealed)

    def access(self, case_id: str) -> Access:
        s = self.session
        with read(s.db):
            members = member_store.all_members(s.db)
            names = {m.id: m.name for m in members}
            active = {m.id for m in members if m.active}
            holders = sorted(names.get(m, "?") for m in case_store.key_holders(s.db, case_id))
            # A removed member is no longer "stepped out": they are off the team.
            recused = recused_now(s, case_id) & active
            out = sorted(names.get(m, "?") for m in recused)
            opened: dict[str, tuple[int, str]] = {}
            for e in audit.entries(s.db, case_id):
                if e.kind in (OPENED, EXPORTED):
                    who = names.get(actor_of(s.event_keys, e) or 0, "?")
                    count, _ = opened.get(who, (0, ""))
                    opened[who] = (count + 1, e.at)
        return Access(tuple(holders), tuple(out), tuple((n, c, at) for n, (c, at) in sorted(opened.items())))
