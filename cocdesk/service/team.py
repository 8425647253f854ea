"""The team: adding members, each with their own key pair and copies of the keys."""

from __future__ import annotations

from cocdesk.domain.roles import Role, may_manage_team
from cocdesk.errors import RuleRefused, UsageProblem
from cocdesk.service.session import Session
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import write
from cocdesk.vault import kdf, member_keys, sealed_keys

EVENT_LABEL = "event"


class TeamService:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_member(self, name: str, role: Role, passphrase: str, params: kdf.KdfParams | None = None) -> int:
        """Enrol a member: new key pair, the event key, and every case the adder may open."""
        s = self.session
        reason = may_manage_team(s.role)
        if reason:
            raise RuleRefused(reason)
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


def _event_secret(s: Session) -> bytes:
    sealed = member_store.event_key(s.db, s.member_id)
    assert sealed is not None  # unlock already opened it
    return sealed_keys.open_sealed(s.private_key, EVENT_LABEL, sealed)


def leads(session: Session) -> list[str]:
    """Who to call when a lead must respond now (PROCEDURE.md §1): the active leads."""
    return [m.name for m in member_store.all_members(session.db) if m.active and m.role == Role.LEAD]
