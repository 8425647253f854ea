"""Who read a case, sealed in its audit entry under a subkey of the event key.

An audit entry's member column is plain: who opened or exported which case would
then be readable by anyone holding the file. For those reads the column stays
empty and the member id is sealed (XChaCha20-Poly1305, padded to one size) in the
entry's detail instead. Every member holds the event key and can read it back (the
case view's access list); the file alone shows only that the case was read, and when.
"""

from __future__ import annotations

from cocdesk.errors import IntegrityFailure
from cocdesk.vault import aead
from cocdesk.vault.keyed_hash import EventKeys
from cocdesk.vault.padding import pad, unpad


def _associated(kind: str, case_id: str, at: str) -> bytes:
    # Bound to its entry: a sealed actor copied to another entry fails to open.
    return b"|".join((b"cocdesk/v1", b"audit-actor", kind.encode(), case_id.encode(), at.encode()))


def seal_actor(keys: EventKeys, kind: str, case_id: str, at: str, member_id: int) -> bytes:
    return aead.seal(keys.actor_key, pad(str(member_id).encode("ascii")), _associated(kind, case_id, at))


def open_actor(keys: EventKeys, kind: str, case_id: str, at: str, blob: bytes) -> int:
    what = f"the reader of {case_id} at {at}"
    raw = unpad(aead.open_(keys.actor_key, blob, _associated(kind, case_id, at), what), what)
    if not raw.isdigit():
        raise IntegrityFailure(f"{what} is damaged")
    return int(raw)
