"""Sealed values padded to a few sizes, so a ciphertext's length tells little about its value.

Unpadded, a ciphertext is its value plus 40 bytes: whether a reporter is anonymous,
how long a name is, how many people a report names. Padded, the sealed plaintext is
`0xFF ‖ length (4 bytes, big-endian) ‖ value ‖ zeros` up to a bucket: 64, 256 or
1,024 bytes, then the next power of two. A ciphertext is then a bucket + 40 bytes.

Values sealed before padding (today's vaults) still open: each was ASCII JSON, so
its first byte is never 0xFF, and a plaintext not starting with it is taken as it
is. The padded form lives inside the AEAD, so the associated data is unchanged and
nobody without the key can turn one form into the other.
"""

from __future__ import annotations

from cocdesk.errors import IntegrityFailure

MARK = 0xFF
HEADER = 5  # the mark and the value's length
BUCKETS = (64, 256, 1024)  # then powers of two


def bucket(size: int) -> int:
    """The padded size for `size` bytes (header included)."""
    for b in BUCKETS:
        if size <= b:
            return b
    return 1 << (size - 1).bit_length()


def is_bucket(size: int) -> bool:
    """True if `size` is one of the padded sizes (for the metadata battery)."""
    return size in BUCKETS or (size > BUCKETS[-1] and size & (size - 1) == 0)


def pad(value: bytes) -> bytes:
    body = bytes([MARK]) + len(value).to_bytes(4, "big") + value
    return body + bytes(bucket(len(body)) - len(body))


def unpad(plain: bytes, what: str) -> bytes:
    """The value inside a padded plaintext; a legacy (unpadded) one as it is."""
    if not plain or plain[0] != MARK:
        return plain  # sealed before padding: ASCII JSON never starts with 0xFF
    length = int.from_bytes(plain[1:HEADER], "big")
    end = HEADER + length
    # Authenticated already (AEAD); checked anyway so a bug never reads past the value.
    if len(plain) < end or any(plain[end:]):
        raise IntegrityFailure(f"{what} is damaged (bad padding)")
    return plain[HEADER:end]
