"""Random secrets (case keys, the event key) sealed to each member's public key."""

from __future__ import annotations

import os

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from cocdesk.errors import IntegrityFailure

SECRET_BYTES = 32


def new_secret() -> bytes:
    return os.urandom(SECRET_BYTES)


def seal_to(public_key: bytes, label: str, secret: bytes) -> bytes:
    """Seal `secret` for one member, prefixed with what it is the key of."""
    # The label (a case id, or "event") travels inside the box and is checked on
    # open, so a sealed key copied onto another case's row is refused.
    return SealedBox(PublicKey(public_key)).encrypt(label.encode("ascii") + b"\0" + secret)


def open_sealed(private: PrivateKey, label: str, blob: bytes) -> bytes:
    try:
        plain = SealedBox(private).decrypt(blob)
    except (CryptoError, ValueError, TypeError) as exc:
        raise IntegrityFailure(f"the sealed key of {label} failed its integrity check") from exc
    prefix = label.encode("ascii") + b"\0"
    if not plain.startswith(prefix) or len(plain) != len(prefix) + SECRET_BYTES:
        raise IntegrityFailure(f"the sealed key of {label} belongs to something else")
    return plain[len(prefix) :]
