"""Passphrase → key-encryption key, with Argon2id and explicit, stored parameters."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from nacl import pwhash

SALT_BYTES = pwhash.argon2id.SALTBYTES  # 16
KEY_BYTES = 32
MIB = 1024 * 1024


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: stored with each member so it can be raised later."""

    opslimit: int
    memlimit: int


# Production: 256 MiB (libsodium MODERATE) with opslimit calibrated upward at enrolment.
PRODUCTION = KdfParams(opslimit=pwhash.argon2id.OPSLIMIT_MODERATE, memlimit=256 * MIB)
# Tests only: never used unless COCDESK_INSECURE_FAST_KDF=1 is set at enrolment.
FAST_FOR_TESTS = KdfParams(opslimit=pwhash.argon2id.OPSLIMIT_MIN, memlimit=8 * 1024)
FAST_ENV = "COCDESK_INSECURE_FAST_KDF"
TARGET_SECONDS = 0.5
MAX_OPSLIMIT = 12


def derive(passphrase: str, salt: bytes, params: KdfParams) -> bytes:
    """Derive the 32-byte key that wraps a member's private key."""
    # Parameters always explicit: PyNaCl's default is SENSITIVE (1 GiB, ~4 s).
    return pwhash.argon2id.kdf(
        KEY_BYTES,
        passphrase.encode("utf-8"),
        salt,
        opslimit=params.opslimit,
        memlimit=params.memlimit,
    )


def new_salt() -> bytes:
    return os.urandom(SALT_BYTES)


def enrolment_params() -> KdfParams:
    """Parameters for a new passphrase: calibrated production cost, or the test profile."""
    if os.environ.get(FAST_ENV) == "1":
        return FAST_FOR_TESTS
    return calibrate()


def calibrate(target_seconds: float = TARGET_SECONDS) -> KdfParams:
    """Raise opslimit from MODERATE until one derivation takes at least `target_seconds`."""
    ops = PRODUCTION.opslimit
    salt = new_salt()
    while ops < MAX_OPSLIMIT:
        started = time.perf_counter()
        derive("calibration", salt, KdfParams(ops, PRODUCTION.memlimit))
        elapsed = time.perf_counter() - started
        if elapsed >= target_seconds:
            break
        # Cost grows linearly with opslimit: jump close to the target in one step.
        ops = min(MAX_OPSLIMIT, max(ops + 1, int(ops * target_seconds / max(elapsed, 1e-3)) + 1))
    return KdfParams(ops, PRODUCTION.memlimit)
