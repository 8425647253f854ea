"""An unlocked member: their private key and the event key, in memory only."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import sqlite_utils
from nacl.public import PrivateKey

from cocdesk.domain.roles import Role
from cocdesk.errors import CocdeskError, IntegrityFailure, NotAMember
from cocdesk.playbook import Playbook
from cocdesk.service import seen
from cocdesk.service.clock import Clock, stamp
from cocdesk.store import cases as case_store
from cocdesk.store import seal
from cocdesk.store.connection import own_connection
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
    # case id -> (the sealed copy it was opened from, the key)
    _case_keys: dict[str, tuple[bytes, bytes]] = field(default_factory=dict, repr=False)
    _keeps_seal: bool = field(default=False, repr=False)
    _remembers: bool = field(default=False, repr=False)

    @property
    def locked(self) -> bool:
        return self._private is None

    def lock(self) -> None:
        """Drop the keys; the object can no longer open anything."""
        if self._remembers and self._event is not None:
            self._remembers = False
            with contextlib.suppress(sqlite3.Error, CocdeskError):
                seen.remember(self.db, self._event)  # how far the vault came while unlocked
        if self._keeps_seal:
            self._keeps_seal = False
            seal.detach(self.db)
        self._private = None
        self._event = None
        self._case_keys.clear()

    def remember_on_lock(self) -> None:
        """Record on lock how far the vault came (service/seen.py): not for a worker's copy."""
        self._remembers = True

    def keep_seal(self) -> None:
        """From now until `lock`, every write through this connection keeps the vault's seal current."""
        if not self._keeps_seal:
            seal.attach(self.db, self.event_keys)
            self._keeps_seal = True

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
        """This member's key to one case, or NotAMember if they hold no copy.

        A key opened before is used again only while the sealed copy it came from
        is still the one stored: another session (another process, another member
        on this laptop) may have re-keyed the case since. A kept old key would then
        fail to open the case — or seal new text under a key a recused or removed
        member may still have.
        """
        if self.locked:
            raise NotAMember("the vault is locked")
        sealed = case_store.sealed_key(self.db, case_id, self.member_id)
        if sealed is None:
            self._case_keys.pop(case_id, None)
            raise NotAMember(f"{self.member_name} may not open {case_id}")
        # Refused on the recusal itself, not on a missing copy: a copy put back from an
        # older file must open nothing for a member who stepped out.
        if case_store.has_stepped_out(self.db, case_id, self.member_id):
            self._case_keys.pop(case_id, None)
            raise NotAMember(f"{self.member_name} stepped out of {case_id} (a conflict of interest)")
        kept = self._case_keys.get(case_id)
        if kept is not None and kept[0] == sealed:
            return kept[1]
        try:
            key = self.open_case_key(case_id, sealed)
        except IntegrityFailure:
            if self._replaced():
                raise NotAMember(
                    f"{self.member_name}'s key was replaced (re-enrolled): "
                    "unlock again with the new passphrase"
                ) from None
            raise
        self._case_keys[case_id] = (sealed, key)
        return key

    def _replaced(self) -> bool:
        """True if a lead re-enrolled this member since they unlocked: a new key pair is stored."""
        row = self.db.execute("SELECT public_key FROM members WHERE id = ?", [self.member_id]).fetchone()
        return row is None or bytes(row[0]) != bytes(self.private_key.public_key)

    def open_case_key(self, case_id: str, sealed: bytes) -> bytes:
        """Open a sealed case key without keeping it (for a worker's one pass)."""
        return sealed_keys.open_sealed(self.private_key, case_id, sealed)

    def remember_case_key(self, case_id: str, key: bytes) -> None:
        """Keep a key just made (a new case, a re-key) with this member's sealed copy of it."""
        sealed = case_store.sealed_key(self.db, case_id, self.member_id)
        if sealed is None:
            self._case_keys.pop(case_id, None)
        else:
            self._case_keys[case_id] = (sealed, key)

    @contextmanager
    def worker_copy(self) -> Iterator[Session]:
        """This session for a worker thread: its own connection and key cache, locked after.

        The app's connection belongs to its event loop; a lock meanwhile must leave
        no key behind in the copy once the worker is done.
        """
        copy = replace(self, _case_keys={}, _keeps_seal=False, _remembers=False)
        try:
            with own_connection(self.db) as db:
                copy.db = db
                copy.keep_seal()
                yield copy
        finally:
            copy.lock()

    def forget_case_key(self, case_id: str) -> None:
        self._case_keys.pop(case_id, None)
