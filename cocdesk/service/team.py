"""The team: members, each with their own key pair and copies of the keys.

Adding, removing, a new passphrase, re-enrolment after a forgotten one. What a
removed member saw before, they saw: a removal deletes their copies of every
key and re-keys the cases they held, so the file no longer opens for them, but
no key change can take back what was already read. The event-wide key (blind
index, record MACs) is not rotated: that would mean rewriting every record and
the audit chain, so a removed member who keeps a copy of the file could still
test a name against the blind index of that copy.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cocdesk.domain.roles import (
    FOUNDER_ID,
    Role,
    may_add_member,
    may_manage_team,
    may_name_delegate,
    may_reenrol,
    may_remove_member,
)
from cocdesk.errors import CocdeskError, NotAMember, RuleRefused, UsageProblem
from cocdesk.service.access import rekey_in
from cocdesk.service.session import Session
from cocdesk.store import audit, drafts
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import checkpoint, read, write
from cocdesk.vault import kdf, member_keys, sealed_keys


@dataclass(frozen=True)
class MemberInfo:
    id: int
    name: str
    role: Role
    active: bool
    delegate: bool  # may mark announcements as made for the chair
    cases: int  # cases they hold a key to


EVENT_LABEL = "event"


class TeamService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_member(self, name: str, role: Role, passphrase: str, params: kdf.KdfParams | None = None) -> int:
        """Enrol a member: new key pair, the event key, and every case the adder may open."""
        s = self.session
        self.check_add(role)
        if not name.strip() or any(not ch.isprintable() for ch in name):
            raise UsageProblem("a member's name must be printable text")
        if member_store.by_name(s.db, name) is not None:
            raise UsageProblem(f"there is already a member called '{name}'")
        if not passphrase:
            raise UsageProblem("the new member's passphrase is empty")
        chosen = params or kdf.enrolment_params()
        db = s.db
        # The KDF is slow: derive outside the write lock, then re-check the id.
        member_id = member_store.next_id(db)
        key = member_keys.create(member_id, passphrase, chosen)
        event_secret = _event_secret(s)
        at = s.now()
        with write(db):
            if member_store.next_id(db) != member_id:
                raise UsageProblem("another member was added meanwhile; try again")
            self.check_add(role)  # judged again under the lock: a first chair may have come meanwhile
            member_store.insert(db, s.event_keys, member_id, name, role, key, at)
            member_store.put_event_key(
                db, member_id, sealed_keys.seal_to(key.public_key, EVENT_LABEL, event_secret)
            )
            for case_id, sealed in case_store.sealed_keys_for(db, s.member_id).items():
                case_key = sealed_keys.open_sealed(s.private_key, case_id, sealed)
                case_store.put_sealed_key(
                    db, case_id, member_id, sealed_keys.seal_to(key.public_key, case_id, case_key)
                )
            audit.append(db, s.event_keys, at, s.member_id, "member.added")
        return member_id

    def members(self) -> list[MemberInfo]:
        from cocdesk.service.steps import StepService

        s = self.session
        with read(s.db):
            delegates = StepService(s).delegates()
            held = {
                int(m): int(n)
                for m, n in s.db.execute("SELECT member_id, COUNT(*) FROM case_keys GROUP BY member_id")
            }
            return [
                MemberInfo(m.id, m.name, m.role, m.active, m.id in delegates, held.get(m.id, 0))
                for m in member_store.all_members(s.db)
            ]

    def remove_member(self, name: str) -> int:
        """Take a member off the team; returns how many cases were re-keyed."""
        s = self.session
        reason = may_remove_member(s.role)
        if reason:
            raise RuleRefused(reason)
        with write(s.db):
            member = self._active(name)
            reason = self._removal_refusal(member)
            if reason:
                raise RuleRefused(reason)
            held = sorted(case_store.sealed_keys_for(s.db, member.id))
            mine = case_store.sealed_keys_for(s.db, s.member_id)
            if any(c not in mine for c in held):
                raise RuleRefused(
                    f"{name} holds cases you cannot open (you stepped out of them): "
                    "a lead who holds them removes this member"
                )
            for case_id in held:
                case_store.remove_sealed_key(s.db, case_id, member.id)
                rekey_in(s, case_id)
            member_store.delete_event_key(s.db, member.id)
            for table in ("drafts", "step_drafts"):
                drafts.delete(s.db, member.id, table)
            # Their key pair goes too: nothing can be sealed to a removed member again.
            blank = member_keys.WrappedKey(bytes(32), b"", bytes(16), member.key.params)
            member_store.update(s.db, s.event_keys, replace(member, active=False, key=blank))
            audit.append(
                s.db, s.event_keys, s.now(), s.member_id, "member.removed", None, str(member.id).encode()
            )
        checkpoint(s.db)  # the WAL holds the deleted copies and old ciphertexts until now
        return len(held)

    def change_passphrase(self, current: str, new: str, params: kdf.KdfParams | None = None) -> None:
        """Re-wrap the member's own private key under a new passphrase; nothing else changes."""
        s = self.session
        if not new:
            raise UsageProblem("the new passphrase is empty")
        member = member_store.by_id(s.db, s.member_id)
        if member is None or not member.active:
            raise NotAMember(f"{s.member_name} is no longer on the team")
        member_store.check_mac(s.db, s.event_keys, member)
        private = member_keys.unwrap(member.id, member.key, current)  # WrongPassphrase if not theirs
        key = member_keys.wrap(member.id, private, new, params or kdf.enrolment_params())
        with write(s.db):
            fresh = member_store.by_id(s.db, s.member_id)
            if fresh is None or not fresh.active:
                raise NotAMember(f"{s.member_name} is no longer on the team")
            if fresh.key != member.key:
                raise UsageProblem("your key changed meanwhile; try again")
            member_store.check_mac(s.db, s.event_keys, fresh)
            member_store.update(s.db, s.event_keys, replace(fresh, key=key))
            audit.append(s.db, s.event_keys, s.now(), s.member_id, "member.passphrase")
        checkpoint(s.db)  # the old wrapping is gone from the WAL too

    def reenrol(self, name: str, passphrase: str, params: kdf.KdfParams | None = None) -> int:
        """A lead or the chair gives a member who forgot their passphrase a new key pair.

        Exactly the cases the member held are sealed to the new key (whoever re-enrols
        them must hold them all); returns how many.
        """
        s = self.session
        reason = may_reenrol(s.role)
        if reason:
            raise RuleRefused(reason)
        if not passphrase:
            raise UsageProblem("the new passphrase is empty")
        member = self.check_reenrol(name)
        key = member_keys.create(member.id, passphrase, params or kdf.enrolment_params())
        event_secret = _event_secret(s)
        with write(s.db):
            fresh = self.check_reenrol(name)
            # Exactly the cases they held, re-sealed: never one more (a recusal stays a
            # recusal, whatever the recusal table says), never one fewer (no case is orphaned).
            held = sorted(case_store.sealed_keys_for(s.db, member.id))
            mine = case_store.sealed_keys_for(s.db, s.member_id)
            missing = [c for c in held if c not in mine]
            if missing:
                raise RuleRefused(
                    f"{name} holds {missing[0]}, which you cannot open: a lead who holds it re-enrols them"
                )
            given = 0
            for case_id in held:
                case_store.remove_sealed_key(s.db, case_id, member.id)
                case_key = sealed_keys.open_sealed(s.private_key, case_id, mine[case_id])
                case_store.put_sealed_key(
                    s.db, case_id, member.id, sealed_keys.seal_to(key.public_key, case_id, case_key)
                )
                given += 1
            member_store.put_event_key(
                s.db, member.id, sealed_keys.seal_to(key.public_key, EVENT_LABEL, event_secret)
            )
            member_store.update(s.db, s.event_keys, replace(fresh, key=key))
            for table in ("drafts", "step_drafts"):
                drafts.delete(s.db, member.id, table)  # sealed to the old key: unreadable now
            audit.append(
                s.db, s.event_keys, s.now(), s.member_id, "member.reenrolled", None, str(member.id).encode()
            )
        checkpoint(s.db)
        return given

    # -- the role rules (domain/roles.py), with the facts they need from the vault --------------
    def check_add(self, role: Role) -> None:
        """Refuse adding a member with `role` that this member may not add (before any passphrase
        is asked or any key derived)."""
        s = self.session
        reason = may_add_member(s.role, role, founding=self._founding())
        if reason:
            raise RuleRefused(reason)

    def check_reenrol(self, name: str) -> member_store.MemberRow:
        """The active member called `name`, if this member may re-enrol them; else RuleRefused."""
        s = self.session
        reason = may_reenrol(s.role)
        if reason:
            raise RuleRefused(reason)
        member = self._active(name)
        reason = may_reenrol(s.role, member.role, yourself=member.id == s.member_id)
        if reason:
            raise RuleRefused(reason)
        return member

    def refusal(self, what: str, name: str = "") -> str | None:
        """What the app says before a form or a question, when `what` (add, remove, reenrol,
        delegate, passphrase) on the member called `name` would be refused; None if it may be
        tried (the change itself judges again)."""
        s = self.session
        try:
            if what == "add":
                return may_manage_team(s.role)
            if what == "delegate":
                return may_name_delegate(s.role)
            if what == "remove":
                return may_remove_member(s.role) or self._removal_refusal(self._active(name))
            if what == "reenrol":
                self.check_reenrol(name)
        except RuleRefused as exc:
            return str(exc)
        except CocdeskError:
            return None  # not a role rule (no such member...): the change itself says so
        return None

    def _removal_refusal(self, member: member_store.MemberRow) -> str | None:
        s = self.session
        leads = [m for m in member_store.all_members(s.db) if m.active and m.role == Role.LEAD]
        return may_remove_member(
            s.role,
            member.role,
            yourself=member.id == s.member_id,
            last_lead=member.role == Role.LEAD and len(leads) == 1,
        )

    def _founding(self) -> bool:
        """This member created the vault and the team has no chair yet: they add the first."""
        s = self.session
        if s.member_id != FOUNDER_ID:
            return False
        members = member_store.all_members(s.db)
        for m in members:
            # A role edited in the file (a chair made a responder) must not open the exception.
            member_store.check_mac(s.db, s.event_keys, m)
        return not any(m.active and m.role == Role.CHAIR for m in members)

    def _active(self, name: str) -> member_store.MemberRow:
        return member_store.active_by_name(self.session.db, self.session.event_keys, name)


def _event_secret(s: Session) -> bytes:
    sealed = member_store.event_key(s.db, s.member_id)
    if sealed is None:  # removed since they unlocked
        raise NotAMember(f"{s.member_name} is no longer on the team")
    return sealed_keys.open_sealed(s.private_key, EVENT_LABEL, sealed)


def leads(session: Session) -> list[str]:
    """Who to call when a lead must respond now (PROCEDURE.md §1): the active leads."""
    return [m.name for m in member_store.all_members(session.db) if m.active and m.role == Role.LEAD]
