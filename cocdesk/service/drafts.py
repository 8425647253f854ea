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
from cocdesk.vault.padding import pad, unpad

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

    def _ad(self, at: str, case_id: str | None) -> bytes:
        # The time and the case are bound in too: every stored byte of the draft row is
        # authenticated (drafts from before the case column have none, as they were sealed).
        ad = self.label + str(self.session.member_id).encode() + b"|" + at.encode()
        return ad + b"|case|" + case_id.encode("utf-8") if case_id else ad

    def save(self, state: dict[str, Any]) -> None:
        raw = json.dumps(state, ensure_ascii=True).encode("ascii")
        at = self.session.now()
        # Plain, so a purge of the case finds and deletes this draft whoever wrote it.
        case_id = state.get("case_id") if isinstance(state.get("case_id"), str) else None
        # Padded like a case field: the stored length does not follow the typing.
        sealed = aead.seal(self._key(), pad(raw), self._ad(at, case_id))
        with write(self.session.db):
            draft_store.put(self.session.db, self.session.member_id, at, sealed, self.table, case_id)

    def load(self) -> dict[str, Any] | None:
        found = draft_store.get(self.session.db, self.session.member_id, self.table)
        if found is None:
            return None
        at, sealed, case_id = found
        raw = unpad(aead.open_(self._key(), sealed, self._ad(at, case_id), self.what), self.what)
        try:
            value = json.loads(raw.decode("ascii"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise IntegrityFailure(f"{self.what} holds no valid value") from None
        return value if isinstance(value, dict) else None

    def discard(self) -> None:
        with write(self.session.db):
            draft_store.delete(self.session.db, self.session.member_id, self.table)
