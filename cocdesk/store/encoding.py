"""Canonical bytes for MACs: unambiguous, so no two records encode alike."""

from __future__ import annotations

from collections.abc import Iterable


def canonical(values: Iterable[object]) -> bytes:
    """Length-prefix every value, so ("ab", "c") and ("a", "bc") differ."""
    out: list[bytes] = []
    for value in values:
        if value is None:
            raw = b"\xff"
        elif isinstance(value, bytes):
            raw = b"b" + value
        else:
            raw = b"s" + str(value).encode("utf-8")
        out += (len(raw).to_bytes(4, "big"), raw)
    return b"".join(out)
