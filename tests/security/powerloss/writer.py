"""Workload for the power-loss test, run under the recording shim (LD_PRELOAD).

Usage: python writer.py DB_PATH full|normal

Opens the database with cocdesk's own connection factory and runs a fixed
sequence of write transactions. After each COMMIT returns it writes
"ACK <n> <digest>" to the `acks` file next to the database. That file is
watched by the shim too, so each acknowledgement lands in the op log after
every I/O the commit did: a crash point after the ACK means "the user was told
this was saved". The digest is the logical state right after commit n, so the
replay can tell exactly which commit a recovered image corresponds to.
"""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
import sys
from pathlib import Path

from cocdesk.store.connection import checkpoint, close_database, open_database, write

TRANSACTIONS = 40
ACK_FILE = "acks"
# A few pages of WAL per checkpoint, so checkpoints (WAL -> db writes, WAL
# restarts over old frames) happen many times during the run, not just at close.
AUTOCHECKPOINT_PAGES = 8
# An explicit TRUNCATE checkpoint, as cocdesk does after purges and on lock.
EXPLICIT_CHECKPOINT_AFTER = TRANSACTIONS // 2
TABLES = (("seq", "n"), ("kv", "k"))


def state_digest(conn: sqlite3.Connection) -> str:
    """A digest of every row of the workload's tables ("absent" before the schema exists)."""
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    wanted = {table for table, _ in TABLES}
    if not names & wanted:
        return "absent"
    if not wanted <= names:
        # The schema is created in one transaction: half of it is a torn commit.
        return "partial-schema"
    digest = hashlib.sha256()
    for table, key in TABLES:
        for row in conn.execute(f"SELECT * FROM {table} ORDER BY {key}"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def _ack(fd: int, n: int, conn: sqlite3.Connection) -> None:
    """Tell the log that commit `n` returned, with the state it left behind."""
    os.write(fd, f"ACK {n} {state_digest(conn)}\n".encode())


def run(db_path: Path, mode: str) -> None:
    """Run the workload against `db_path` with synchronous FULL (cocdesk's) or NORMAL."""
    rng = random.Random(20240601)
    ack_fd = os.open(db_path.parent / ACK_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)

    db = open_database(db_path)
    if mode == "normal":
        db.execute("PRAGMA synchronous=NORMAL")
    elif mode != "full":
        raise SystemExit(f"unknown mode {mode!r}")
    db.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")

    with write(db):
        db.execute("CREATE TABLE seq (n INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        db.execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB NOT NULL)")
    _ack(ack_fd, 0, db.conn)

    for n in range(1, TRANSACTIONS + 1):
        with write(db):
            # Insert-only sequence table: one row per transaction, sometimes
            # spanning several overflow pages.
            size = rng.choice((rng.randrange(50, 2_000), rng.randrange(5_000, 20_000)))
            db.execute("INSERT INTO seq (n, payload) VALUES (?, ?)", (n, rng.randbytes(size)))
            # A small key-value table that is rewritten and deleted from, so the
            # same pages are modified again and again (and zeroed: secure_delete).
            key = f"k{rng.randrange(8)}"
            value = rng.randbytes(rng.randrange(200, 6_000))
            db.execute(
                "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v",
                (key, value),
            )
            if rng.random() < 0.3:
                db.execute("DELETE FROM kv WHERE k = ?", (f"k{rng.randrange(8)}",))
        _ack(ack_fd, n, db.conn)
        if n == EXPLICIT_CHECKPOINT_AFTER:
            checkpoint(db)

    close_database(db)
    os.close(ack_fd)


if __name__ == "__main__":
    run(Path(sys.argv[1]), sys.argv[2])
