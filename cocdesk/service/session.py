"""An unlocked member: their private key and the event key, in memory only."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils
from nacl.public import PrivateKey

from cocdesk.domain.roles import Role
from cocdesk.errors import NotAMember
from cocdesk.playbook import Playbook
from cocdesk.service.clock import Clock, stamp
from cocdesk.store import cases as case_store
from cocdesk.vault import sealed_keys
from cocdesk.vault.keyed_hash import EventKeys


@dataclass
class Session:
    """What a member can do once unlocked. `lock()` forgets every key."""

    db: sqlite_utils.Database = field(repr=False)
    playbook: Playbook = field(repr=False)
    member_id: int
    member_name: str
    role: Role
    clock: Clock = field(repr=False)
    # Keys never appear in a repr (tracebacks, logs, debuggers print reprs).
    _private: PrivateKey | None = field(repr=False)
    _event: EventKeys | None = field(repr=False)
    _case_keys: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def locked(self) -> bool:
        return self._private is None

    def lock(self) -> None:
        """Drop the keys; the object can no longer open anything."""
        self._private = None
        self._event = None
        self._case_keys.clear()

    def now(self) -> str:
        return stamp(self.clock())

    @property
    def private_key(self) -> PrivateKey:
        if self._private is None:
            raise NotAMember("the vault is locked")
        return self._private

    @property
    def event_keys(self) -> EventKeys:
        if self._event is None:
            raise NotAMember("the vault is locked")
        return self._event

    def case_key(self, case_id: str) -> bytes:
        """This member's key to one case, or NotAMember if they hold no copy."""
        if case_id in self._case_keys:
            return self._case_keys[case_id]
        sealed = case_store.sealed_key(self.db, case_id, self.member_id)
        if sealed is None:
            raise NotAMember(f"{self.member_name} may not open {case_id}")
        key = self.open_case_key(case_id, sealed)
        self._case_keys[case_id] = key
        return key

    def open_case_key(self, case_id: str, sealed: bytes) -> bytes:
        """Open a sealed case key without keeping it (for a worker's one pass)."""
        return sealed_keys.open_sealed(self.private_key, case_id, sealed)

    def remember_case_key(self, case_id: str, key: bytes) -> None:
        self._case_keys[case_id] = key

    def forget_case_key(self, case_id: str) -> None:
        self._case_keys.pop(case_id, None)
