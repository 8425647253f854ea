"""Restoring a backup: verified before anything is replaced, the old vault kept until it is.

1. The backup is copied into a private folder beside the vault (same file
   system, so installing it is one rename), opened as a vault, unlocked with the
   member's passphrase and verified (integrity.py) there. A damaged, truncated,
   tampered or foreign file, or a wrong passphrase, stops here: nothing of the
   vault was touched.
2. The current vault's files (the database and its -wal and -shm, which hold
   committed changes until a checkpoint) are renamed to `cocdesk.db.before-restore`
   (and its -wal, -shm) unchanged, the checked copy is renamed into place and
   verified again.
3. Only then the old files are deleted. Any failure in 2 puts them back as they were.

A folder with no vault (a fresh laptop) just gets the verified copy.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cocdesk.errors import IntegrityFailure, NotFound, UsageProblem, VaultExists
from cocdesk.paths import database_path
from cocdesk.service import seen
from cocdesk.service.clock import Clock, utc_now
from cocdesk.service.desk import DAMAGE, Desk
from cocdesk.service.integrity import verify
from cocdesk.service.retention import RetentionService
from cocdesk.service.session import Session
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.store.connection import write
from cocdesk.store.vault_lock import VaultLock

RESTORED = "vault.restored"
ASIDE = ".before-restore"
SIDE_FILES = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class BackupInfo:
    """What a verified backup holds, to say before it replaces anything."""

    event: str
    cases: int
    last_entry_at: str  # the newest audit entry: usually the backup itself
    replaces: bool  # a vault is in the folder now and will be replaced


@dataclass(frozen=True)
class Restored:
    info: BackupInfo
    expired: tuple[str, ...]  # finished cases past retention in the restored vault


Credentials = Callable[[list[str]], tuple[str, str]]  # member names -> (member, passphrase)
Confirm = Callable[[BackupInfo], bool]


def restore(
    folder: Path,
    source: Path,
    credentials: Credentials,
    confirm: Confirm = lambda info: True,
    clock: Clock = utc_now,
) -> Restored | None:
    """Replace the vault in `folder` with the backup `source`; None if `confirm` said no.

    `credentials` is asked once, with the backup's member names, for the member
    and passphrase that unlock it (the restored vault is unlocked with them too).
    """
    target = database_path(folder)
    if not source.is_file():
        raise NotFound(f"{source} is not a file")
    if target.exists() and source.resolve() == target.resolve():
        raise UsageProblem(f"{source} is the vault itself, not a backup")
    aside = target.with_name(target.name + ASIDE)
    if any(p.exists() for p in _family(aside)):
        raise VaultExists(f"{aside} is left from an earlier restore; move it back or away first")
    made_folder = not folder.exists()
    # Only this user: the folder 0700, the files 0600 (as Desk.create makes them).
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=folder))  # 0700
    try:
        _copy(source, database_path(staging))
        desk = _open(staging, f"{source} is not a cocdesk backup, or it is damaged", clock)
        try:
            member, passphrase = credentials(_member_names(desk, source))
            session = _unlocked_and_verified(desk, member, passphrase, str(source))
            info = _info(desk, session, replaces=any(p.exists() for p in _family(target)))
            if not confirm(info):
                return None
            with write(session.db):
                audit.append(session.db, session.event_keys, session.now(), session.member_id, RESTORED)
            expired = tuple(c.id for c in RetentionService(session).expired())
            session.lock()
        finally:
            desk.close()  # checkpoints: the staged file is whole, with no -wal beside it
        _install(database_path(staging), target, aside, member, passphrase)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made_folder and not target.exists():
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: never anything else put there
    return Restored(info, expired)


def _install(staged: Path, target: Path, aside: Path, member: str, passphrase: str) -> None:
    """Move the current vault aside, put the checked copy in its place, verify, then drop the old."""
    moved: list[tuple[Path, Path]] = []
    installed = False
    # Alone: an app or command with the vault open would go on saving into the file
    # we move aside, and those saves would be lost. Refused before anything moves.
    alone = VaultLock(target.parent, alone=True)
    try:
        # The database first, then its -wal and -shm: they belong to it and go with it.
        for now, then in zip(_family(target), _family(aside), strict=True):
            if now.exists():
                os.rename(now, then)
                moved.append((now, then))
        os.replace(staged, target)
        installed = True
        os.chmod(target, 0o600)
        _sync(target.parent)
        desk = _open(target.parent, "the restored vault cannot be opened", hold_lock=False)
        try:
            installed_session = _unlocked_and_verified(desk, member, passphrase, "the restored vault")
            # Going back to an older copy on purpose: this laptop's record of the vault here
            # starts again from it (service/seen.py), so the next unlock does not refuse it.
            seen.remember(installed_session.db, installed_session.event_keys)
            installed_session.lock()
        finally:
            desk.close()
    except BaseException:
        if installed:
            for path in _family(target):
                path.unlink(missing_ok=True)
        for now, then in reversed(moved):
            os.rename(then, now)
        _sync(target.parent)
        alone.release()
        raise
    for _, then in moved:
        then.unlink(missing_ok=True)
    _sync(target.parent)
    alone.release()


def _open(folder: Path, said: str, clock: Clock = utc_now, hold_lock: bool = True) -> Desk:
    try:
        return Desk.open(folder, clock, hold_lock=hold_lock)
    except (IntegrityFailure, NotFound):
        # Not Desk's own words: they name the private copy, not the file the user gave.
        raise IntegrityFailure(f"{said}; the vault was not changed") from None


def _member_names(desk: Desk, source: Path) -> list[str]:
    try:
        return desk.member_names()
    except DAMAGE as exc:
        kind = type(exc).__name__
        raise IntegrityFailure(f"{source} is damaged ({kind}); the vault was not changed") from None


def _unlocked_and_verified(desk: Desk, member: str, passphrase: str, what: str) -> Session:
    """Unlock as the member and run `cocdesk verify`; IntegrityFailure on any problem.

    A wrong passphrase or an unknown member is raised as such (exit 3).
    """
    try:
        # The backup is older than the vault by nature: not checked against this laptop's
        # record of the vault (which the restore then writes anew), everything else is.
        session = desk.unlock(member, passphrase, check=False)
        problems = verify(session, this_laptop=False)
    except IntegrityFailure as exc:
        raise IntegrityFailure(f"{what} failed verification: {exc}; the vault was not changed") from None
    except DAMAGE as exc:
        kind = type(exc).__name__  # never SQLite's text: on a damaged file it can quote stored bytes
        raise IntegrityFailure(f"{what} is damaged ({kind}); the vault was not changed") from None
    if problems:
        session.lock()
        raise IntegrityFailure(
            f"{what} failed verification ({len(problems)} problem(s), first: {problems[0]}); "
            "the vault was not changed"
        )
    return session


def _info(desk: Desk, session: Session, replaces: bool) -> BackupInfo:
    rows = case_store.all_rows(session.db, session.event_keys)
    entries = audit.entries(session.db)
    return BackupInfo(desk.event_name, len(rows), entries[-1].at if entries else "", replaces)


def _copy(source: Path, staged: Path) -> None:
    """A private copy (0600, a new file) of the backup, on disk before it is opened."""
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as out, source.open("rb") as given:
        shutil.copyfileobj(given, out)
        out.flush()
        os.fsync(out.fileno())


def _family(db_file: Path) -> list[Path]:
    """The database file and the files SQLite keeps beside it."""
    return [db_file.with_name(db_file.name + suffix) for suffix in SIDE_FILES]


def _sync(folder: Path) -> None:
    """Make the renames durable (a crash must not undo a restore reported as done)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
