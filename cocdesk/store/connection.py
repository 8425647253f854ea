"""Opening the vault's SQLite file with the settings SECURITY.md requires.

Every connection in cocdesk comes from `open_database`, so every one has
WAL, synchronous=FULL (NORMAL can lose acknowledged commits on power loss),
secure_delete=ON (a per-connection setting, not stored in the file),
foreign keys and a busy timeout.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Protocol

import sqlite_utils

from cocdesk.errors import VaultBusy

BUSY_TIMEOUT_MS = 5000


class CommitHook(Protocol):
    """Work that must land in the same transaction as every write (store/seal.py)."""

    def begin(self, db: sqlite_utils.Database) -> None: ...

    def before_commit(self, db: sqlite_utils.Database) -> None: ...

    def end(self, db: sqlite_utils.Database) -> None:
        """After the transaction, committed or rolled back."""

    def take_failure(self) -> Exception | None:
        """The error a hook raised inside SQLite (which reports it only as a generic error)."""


_hooks: weakref.WeakKeyDictionary[sqlite_utils.Database, CommitHook] = weakref.WeakKeyDictionary()


def set_commit_hook(db: sqlite_utils.Database, hook: CommitHook | None) -> None:
    if hook is None:
        _hooks.pop(db, None)
    else:
        _hooks[db] = hook


def open_database(path: Path) -> sqlite_utils.Database:
    """Open (or create) the SQLite file at `path` with cocdesk's pragmas applied."""
    conn = _connect(str(path))
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        conn.close()
        raise sqlite3.OperationalError(f"could not switch the database to WAL (got {mode})")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA foreign_keys=ON")
    # execute_plugins=False: no plugin scan (8-11 ms) and no third-party code on our data.
    return sqlite_utils.Database(conn, execute_plugins=False)


def scratch_database() -> sqlite_utils.Database:
    """An in-memory database holding nothing of a vault (e.g. to build the expected schema)."""
    return sqlite_utils.Database(_connect(":memory:"), execute_plugins=False)


def _connect(target: str) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN IMMEDIATE ourselves (see `write`), so
    # the sqlite3 module must not open implicit deferred transactions.
    return sqlite3.connect(
        target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )


@contextmanager
def write(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken with BEGIN IMMEDIATE.

    IMMEDIATE takes the write lock up front, so two writers wait on the busy
    timeout instead of failing with "database is locked" on lock upgrade.
    Either everything inside commits or nothing does.
    """
    hook = _hooks.get(db)
    if db.conn.in_transaction:
        # Nested use joins the outer transaction (sqlite-utils uses savepoints).
        try:
            with db.atomic():
                yield db
        except sqlite3.Error:
            failure = hook.take_failure() if hook else None
            if failure is not None:
                raise failure from None
            raise
        return
    try:
        db.conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise _busy(exc) from None
    try:
        if hook is not None:
            hook.begin(db)
        yield db
        if hook is not None:
            hook.before_commit(db)
        # A failed COMMIT (disk full, I/O error) must not leave the transaction
        # open: later writes would join it and never reach the disk.
        db.conn.execute("COMMIT")
    except BaseException as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        failure = hook.take_failure() if hook else None
        if failure is not None and isinstance(exc, sqlite3.Error):
            raise failure from None
        if isinstance(exc, sqlite3.OperationalError):
            raise _busy(exc) from None
        raise
    finally:
        if hook is not None:
            hook.end(db)


@contextmanager
def read(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """Several reads that see one consistent state of the file (or join a write)."""
    if db.conn.in_transaction:
        yield db
        return
    db.conn.execute("BEGIN")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.conn.execute("COMMIT")


@contextmanager
def own_connection(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """A second connection to the same file, for a worker thread's reads.

    The app's connection belongs to its event loop; a thread reading through it
    would see the loop's uncommitted writes and be aborted by its rollbacks.
    """
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    other = open_database(Path(path))
    try:
        yield other
    finally:
        other.close()


def _busy(exc: sqlite3.OperationalError) -> Exception:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return VaultBusy("the vault is busy (another cocdesk is saving); nothing was saved, try again")
    return exc


def checkpoint(db: sqlite_utils.Database, wait: bool = True) -> bool:
    """Fold the WAL into the main file and truncate it; True if it was fully done.

    The WAL keeps old copies of rewritten or deleted pages until a checkpoint;
    TRUNCATE leaves nothing of them behind in the -wal file. A TRUNCATE holds
    the write lock while it waits for readers, so the opportunistic ones (on
    open, lock and close) do not wait: another process saving is never stalled.
    """
    if not wait:
        db.conn.execute("PRAGMA busy_timeout=0")
    try:
        busy = db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    finally:
        if not wait:
            db.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return bool(busy == 0)


def close_database(db: sqlite_utils.Database) -> None:
    """Checkpoint (best effort: another process may hold the WAL) and close."""
    with suppress(sqlite3.Error):
        checkpoint(db, wait=False)
    db.close()
