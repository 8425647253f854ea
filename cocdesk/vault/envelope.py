"""One file sealed from one member to one public key: handoff bundles and ban lists.

Layout (age-like: a random file key, boxed once for the recipient)::

    magic 16 | to 32 | from 32 | box nonce 24 | boxed file key 69 | length 8 | nonce 24 | AEAD ciphertext

The file key travels in a `Box` from the sender's private key to the recipient's
public key, so opening it proves who sealed it (anyone may know a public key;
only the sender holds the private one). The payload is XChaCha20-Poly1305 under
the file key with the whole header as associated data: a changed byte anywhere,
a cut-off tail, or a ban list passed off as a bundle all fail to open.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from hashlib import blake2b

from nacl import bindings
from nacl.exceptions import CryptoError
from nacl.public import Box, PrivateKey, PublicKey

from cocdesk.errors import IntegrityFailure
from cocdesk.vault import aead

MAGIC = {"bundle": b"cocdesk-bundle/1", "banlist": b"cocdesk-banlst/1"}
KEY_LABEL = b"cocdesk/envelope-key\0"
PUBLIC_BYTES = 32
BOX_NONCE = Box.NONCE_SIZE
BOX_MAC = bindings.crypto_box_ZEROBYTES - bindings.crypto_box_BOXZEROBYTES
BOXED_KEY = len(KEY_LABEL) + aead.KEY_BYTES + BOX_MAC  # Poly1305 tag
LENGTH = 8  # of what follows the header: a cut-off file says so, rather than 'changed'
BOXED_END = 16 + 2 * PUBLIC_BYTES + BOX_NONCE + BOXED_KEY
HEADER = BOXED_END + LENGTH
SMALLEST = HEADER + aead.NONCE_BYTES + bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES


@dataclass(frozen=True)
class Opened:
    sender: bytes  # the sender's public key, proven by the box
    payload: bytes


def fingerprint(public_key: bytes) -> str:
    """A short, readable name for a public key (to compare by eye or by phone)."""
    digest = blake2b(public_key, digest_size=8, person=b"cocdesk-fp").hexdigest()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def seal(kind: str, sender: PrivateKey, recipient: bytes, payload: bytes) -> bytes:
    file_key = os.urandom(aead.KEY_BYTES)
    box_nonce = os.urandom(BOX_NONCE)
    boxed = Box(sender, PublicKey(recipient)).encrypt(KEY_LABEL + file_key, box_nonce).ciphertext
    length = aead.NONCE_BYTES + len(payload) + bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
    header = (
        MAGIC[kind]
        + recipient
        + bytes(sender.public_key)
        + box_nonce
        + boxed
        + length.to_bytes(LENGTH, "big")
    )
    return header + aead.seal(file_key, payload, header)


def recipient_of(kind: str, blob: bytes) -> bytes:
    """Whom the file is sealed to (read before trying to open it, to say so plainly)."""
    _check_frame(kind, blob)
    return blob[16 : 16 + PUBLIC_BYTES]


def open_(kind: str, recipient: PrivateKey, blob: bytes) -> Opened:
    what = f"the {NAMES[kind]}"
    to = recipient_of(kind, blob)
    if to != bytes(recipient.public_key):
        raise IntegrityFailure(f"{what} is sealed to another key ({fingerprint(to)}), not to yours")
    start = 16 + PUBLIC_BYTES
    sender = blob[start : start + PUBLIC_BYTES]
    box_nonce = blob[start + PUBLIC_BYTES : start + PUBLIC_BYTES + BOX_NONCE]
    boxed = blob[start + PUBLIC_BYTES + BOX_NONCE : BOXED_END]
    try:
        opened = Box(recipient, PublicKey(sender)).decrypt(boxed, box_nonce)
    except (CryptoError, ValueError, TypeError):
        raise IntegrityFailure(f"{what} was changed or damaged (its key does not open)") from None
    if not opened.startswith(KEY_LABEL):
        raise IntegrityFailure(f"{what} was changed or damaged (its key does not open)")
    payload = aead.open_(opened[len(KEY_LABEL) :], blob[HEADER:], blob[:HEADER], what)
    return Opened(sender, payload)


NAMES = {"bundle": "bundle", "banlist": "ban list"}


def _check_frame(kind: str, blob: bytes) -> None:
    name = NAMES[kind]
    if not blob.startswith(MAGIC[kind]):
        other = [k for k, m in MAGIC.items() if blob.startswith(m)]
        if other:
            raise IntegrityFailure(f"this file is a cocdesk {NAMES[other[0]]}, not a {name}")
        raise IntegrityFailure(f"this file is not a cocdesk {name}")
    if len(blob) < SMALLEST:
        raise IntegrityFailure(f"the {name} is truncated")
    declared = int.from_bytes(blob[BOXED_END:HEADER], "big")
    if len(blob) - HEADER < declared:
        raise IntegrityFailure(f"the {name} is truncated ({len(blob) - HEADER} of {declared} bytes)")
    if len(blob) - HEADER > declared:
        raise IntegrityFailure(f"the {name} has bytes added after its end")
