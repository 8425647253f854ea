"""The attacker's own way into the file, shared by the tampering tests."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def attacker(path: Path) -> Iterator[sqlite3.Connection]:
    """The attacker's own connection to the file: plain sqlite3, autocommit, no fsync."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    try:
        yield conn
    finally:
        conn.close()
