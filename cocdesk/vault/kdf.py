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
# The least cost unlock accepts (SECURITY.md): below it a stolen file's passphrases are
# cheap to guess, however the record came to be (a weak enrolment, a forged row).
FLOOR = KdfParams(opslimit=pwhash.argon2id.OPSLIMIT_MODERATE, memlimit=256 * MIB)
# Tests only, passed explicitly: no environment variable selects it, and unlock refuses
# it unless the caller lowered the floor in code (the demo's throwaway vault, tests).
FAST_FOR_TESTS = KdfParams(opslimit=pwhash.argon2id.OPSLIMIT_MIN, memlimit=8 * 1024)
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
    """Parameters for a new passphrase: the production cost, calibrated on this machine."""
    return calibrate()


def below_floor(params: KdfParams, floor: KdfParams | None = None) -> bool:
    """True if `params` cost less than `floor` (None: FLOOR) in time or in memory."""
    least = FLOOR if floor is None else floor  # read now: a test process may lower FLOOR
    return params.opslimit < least.opslimit or params.memlimit < least.memlimit


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
