"""Stored UTC stamps shown the short way people read them."""

from __future__ import annotations


def when(stamp: str) -> str:
    """ "2026-05-02T14:30:00Z" → "2026-05-02 14:30Z" (anything else is shown as it is)."""
    if len(stamp) == 20 and stamp[10] == "T" and stamp.endswith("Z"):
        return f"{stamp[:10]} {stamp[11:16]}Z"
    return stamp
