"""XChaCha20-Poly1305 with a random 24-byte nonce: `nonce ‖ ciphertext`."""

from __future__ import annotations

import os

from nacl import bindings
from nacl.exceptions import CryptoError

from cocdesk.errors import IntegrityFailure

NONCE_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
KEY_BYTES = bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES  # 32


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associated, nonce, key)


def open_(key: bytes, blob: bytes, associated: bytes, what: str) -> bytes:
    """Open a sealed blob; any failure is an IntegrityFailure naming `what` (never its content)."""
    if len(blob) < NONCE_BYTES + bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES:
        raise IntegrityFailure(f"{what} is damaged (too short)")
    try:
        return bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            blob[NONCE_BYTES:], associated, blob[:NONCE_BYTES], key
        )
    except (CryptoError, ValueError, TypeError) as exc:
        raise IntegrityFailure(f"{what} failed its integrity check") from exc
