"""Keyed BLAKE2b: subkeys of the event key, the blind index, audit and record MACs."""

from __future__ import annotations

import hmac

from nacl import hash as nacl_hash
from nacl.encoding import RawEncoder


def _mac(key: bytes, data: bytes, person: bytes, size: int = 32) -> bytes:
    return nacl_hash.blake2b(data, digest_size=size, key=key, person=person, encoder=RawEncoder)


class EventKeys:
    """The subkeys derived from the event-wide secret every member holds."""

    def __init__(self, event_secret: bytes) -> None:
        # Separate subkeys per purpose, so a tag of one kind can never be
        # passed off as another.
        self._index = _mac(event_secret, b"blind-index", b"cocdesk-subkey")
        self._audit = _mac(event_secret, b"audit-chain", b"cocdesk-subkey")
        self._record = _mac(event_secret, b"record-mac", b"cocdesk-subkey")
        self._state = _mac(event_secret, b"vault-state", b"cocdesk-subkey")
        self._actor = _mac(event_secret, b"audit-actor", b"cocdesk-subkey")

    @property
    def actor_key(self) -> bytes:
        """The key that seals who opened or exported a case (vault/actor.py)."""
        return self._actor

    def blind_tag(self, kind: str, normalised: str) -> bytes:
        """A tag for an identifier: equal identifiers give equal tags; tags reveal nothing."""
        return _mac(self._index, f"{kind}\0{normalised}".encode(), b"cocdesk-blind", 16)

    def audit_link(self, previous: bytes, entry: bytes) -> bytes:
        """The hash of one audit entry, chained to the one before it."""
        return _mac(self._audit, previous + entry, b"cocdesk-audit")

    def state_hash(self, data: bytes) -> bytes:
        """The hash of one case's (or one table's) stored state, summed into the vault's seal."""
        return _mac(self._state, data, b"cocdesk-state")

    def record_mac(self, data: bytes) -> bytes:
        """A MAC over a record's plain columns, so editing them in the file is detected."""
        return _mac(self._record, data, b"cocdesk-record")


def ban_tag(list_key: bytes, kind: str, normalised: str) -> bytes:
    """A ban list's tag for one identifier, under that list's own random key (not the event's)."""
    return _mac(list_key, f"{kind}\0{normalised}".encode(), b"cocdesk-banlist", 16)


def same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def member_subkey(private_key: bytes, purpose: str) -> bytes:
    """A key only one member can derive (from their private key), for their own drafts."""
    return _mac(private_key, purpose.encode(), b"cocdesk-member")
