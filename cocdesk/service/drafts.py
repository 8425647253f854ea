"""Drafts: forms saved sealed as the member types, so a crash or a lock loses nothing.

Two kinds, each one per member: the intake form, and the form of a step after
intake (meeting, decision, follow-up).
"""

from __future__ import annotations

import json
from typing import Any

from cocdesk.errors import IntegrityFailure
from cocdesk.service.session import Session
from cocdesk.store import drafts as draft_store
from cocdesk.store.connection import write
from cocdesk.vault import aead
from cocdesk.vault.keyed_hash import member_subkey

# kind → (table, key label, associated-data prefix, what errors call it)
KINDS = {
    "intake": ("drafts", "intake-draft", b"cocdesk/v1|draft|", "the intake draft"),
    "step": ("step_drafts", "step-draft", b"cocdesk/v1|step-draft|", "the meeting or follow-up draft"),
}


class DraftService:
    """Save, load and discard the member's one draft (any JSON-shaped form state)."""

    def __init__(self, session: Session, kind: str = "intake") -> None:
        self.session = session
        self.table, self.key_label, self.label, self.what = KINDS[kind]

    def _key(self) -> bytes:
        # Not the shared event key: a draft is this member's alone until saved.
        return member_subkey(bytes(self.session.private_key), self.key_label)

    def _ad(self, at: str) -> bytes:
        # The time is bound in too: every stored byte of the draft row is authenticated.
        return self.label + str(self.session.member_id).encode() + b"|" + at.encode()

    def save(self, state: dict[str, Any]) -> None:
        raw = json.dumps(state, ensure_ascii=True).encode("ascii")
        at = self.session.now()
        sealed = aead.seal(self._key(), raw, self._ad(at))
        with write(self.session.db):
            draft_store.put(self.session.db, self.session.member_id, at, sealed, self.table)

    def load(self) -> dict[str, Any] | None:
        found = draft_store.get(self.session.db, self.session.member_id, self.table)
        if found is None:
            return None
        at, sealed = found
        raw = aead.open_(self._key(), sealed, self._ad(at), self.what)
        try:
            value = json.loads(raw.decode("ascii"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise IntegrityFailure(f"{self.what} holds no valid value") from None
        return value if isinstance(value, dict) else None

    def discard(self) -> None:
        with write(self.session.db):
            draft_store.delete(self.session.db, self.session.member_id, self.table)
