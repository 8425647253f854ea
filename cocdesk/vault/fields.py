"""Sealing one field of one case under that case's key, padded (vault/padding.py)."""

from __future__ import annotations

from cocdesk.vault import aead
from cocdesk.vault.padding import pad, unpad

SCHEMA_TAG = b"cocdesk/v1"


def associated_data(case_id: str, field: str) -> bytes:
    # Binding case id and field name means a ciphertext copied to another case
    # or another field fails to open instead of showing the wrong story.
    return b"|".join((SCHEMA_TAG, case_id.encode("ascii"), field.encode("ascii")))


def seal_field(case_key: bytes, case_id: str, field: str, plaintext: bytes) -> bytes:
    # Padded: the stored length says which bucket, not how long a name is.
    return aead.seal(case_key, pad(plaintext), associated_data(case_id, field))


def open_field(case_key: bytes, case_id: str, field: str, blob: bytes) -> bytes:
    what = f"{case_id} field {field}"
    return unpad(aead.open_(case_key, blob, associated_data(case_id, field), what), what)
