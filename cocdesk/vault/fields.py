"""Sealing one field of one case under that case's key."""

from __future__ import annotations

from cocdesk.vault import aead

SCHEMA_TAG = b"cocdesk/v1"


def associated_data(case_id: str, field: str) -> bytes:
    # Binding case id and field name means a ciphertext copied to another case
    # or another field fails to open instead of showing the wrong story.
    return b"|".join((SCHEMA_TAG, case_id.encode("ascii"), field.encode("ascii")))


def seal_field(case_key: bytes, case_id: str, field: str, plaintext: bytes) -> bytes:
    return aead.seal(case_key, plaintext, associated_data(case_id, field))


def open_field(case_key: bytes, case_id: str, field: str, blob: bytes) -> bytes:
    return aead.open_(case_key, blob, associated_data(case_id, field), f"{case_id} field {field}")
