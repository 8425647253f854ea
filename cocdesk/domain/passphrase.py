"""A hint about passphrase strength, shown while one is chosen (never a hard rule)."""

from __future__ import annotations

MIN_LENGTH = 8


def problem(passphrase: str) -> str | None:
    """Why a new passphrase is refused, or None. Checked wherever a person chooses one."""
    if len(passphrase) < MIN_LENGTH:
        return f"choose a passphrase of at least {MIN_LENGTH} characters"
    return None


def strength(passphrase: str) -> str:
    """ "too short", "weak", "fair" or "strong", by length and variety."""
    n = len(passphrase)
    if n < 8:
        return "too short"
    kinds = sum(
        (
            any(c.islower() for c in passphrase),
            any(c.isupper() for c in passphrase),
            any(c.isdigit() for c in passphrase),
            any(not c.isalnum() for c in passphrase),
        )
    )
    words = len(passphrase.split())
    if n >= 20 or (words >= 4 and n >= 16):
        return "strong"
    if n >= 12 and kinds >= 2:
        return "fair"
    return "weak"
