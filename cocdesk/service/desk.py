"""A vault file on disk: create it, open it, unlock it as a member, back it up."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import sqlite_utils

from cocdesk.domain.roles import Role
from cocdesk.errors import (
    BadPlaybook,
    CocdeskError,
    IntegrityFailure,
    NotAMember,
    NotFound,
    UsageProblem,
    VaultExists,
)
from cocdesk.paths import database_path
from cocdesk.playbook import Playbook, parse_playbook
from cocdesk.playbook.loader import DEFAULT_NAME, default_text
from cocdesk.service import seen
from cocdesk.service.clock import Clock, stamp, utc_now
from cocdesk.service.session import Session
from cocdesk.store import audit, meta, seal
from cocdesk.store import members as member_store
from cocdesk.store.connection import checkpoint, close_database, open_database, write
from cocdesk.store.schema import is_initialised, migrate
from cocdesk.store.vault_lock import VaultLock
from cocdesk.vault import kdf, member_keys, sealed_keys
from cocdesk.vault.keyed_hash import EventKeys

EVENT_LABEL = "event"


class Desk:
    """One opened vault file. Holds no secrets until `unlock` returns a Session."""

    # The least key-derivation cost `unlock` accepts; None is kdf.FLOOR. Lowered only in
    # code, by the demo for its own throwaway vault of fictional cases: never from outside.
    kdf_floor: kdf.KdfParams | None = None

    def __init__(
        self, db: sqlite_utils.Database, path: Path, clock: Clock = utc_now, lock: VaultLock | None = None
    ) -> None:
        self.db = db
        self.path = path
        self.clock = clock
        self._lock = lock  # held while open: a restore waits for every cocdesk to close
        self.playbook = self._load_playbook()

    # -- opening and creating -------------------------------------------------
    @classmethod
    def exists(cls, folder: Path) -> bool:
        return database_path(folder).exists()

    @classmethod
    def open(cls, folder: Path, clock: Clock = utc_now, hold_lock: bool = True) -> Desk:
        """Open the vault in `folder`; `hold_lock=False` only for a restore that holds it alone."""
        path = database_path(folder)
        if not path.exists():
            _interrupted_restore(path)
            raise NotFound(f"no vault in {folder} (create one with `cocdesk init`)")
        lock = VaultLock(folder, alone=False) if hold_lock else None
        try:
            db = _open(path)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        try:
            if not is_initialised(db):
                raise IntegrityFailure(f"{path} is not a cocdesk vault")
            migrate(db)
            desk = cls(db, path, clock, lock)
            desk.checkpoint()
            desk.finish_compaction()
            return desk
        except DAMAGE as exc:
            db.close()
            if lock is not None:
                lock.release()
            raise IntegrityFailure(f"{path} is damaged ({type(exc).__name__})") from None
        except BaseException:
            db.close()
            if lock is not None:
                lock.release()
            raise

    @classmethod
    def create(
        cls,
        folder: Path,
        event_name: str,
        member_name: str,
        passphrase: str,
        role: Role = Role.LEAD,
        playbook_text: str | None = None,
        playbook_source: str = DEFAULT_NAME,
        params: kdf.KdfParams | None = None,
        clock: Clock = utc_now,
    ) -> Desk:
        """Make a new vault with its first member, who receives the event key."""
        path = database_path(folder)
        if path.exists():
            raise VaultExists(f"a vault already exists in {folder}")
        _interrupted_restore(path)  # never a new, empty vault over one a crash set aside
        text = playbook_text if playbook_text is not None else default_text()
        parse_playbook(text, playbook_source)  # refuse a bad playbook before creating anything
        _check_name(event_name, "event name")
        _check_name(member_name, "member name")
        # Only this user: the folder 0700, the file 0600 (SQLite gives -wal/-shm the file's mode).
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        chosen = params or kdf.enrolment_params()
        # Derive before touching the disk: a slow KDF must not hold the write lock.
        key = member_keys.create(1, passphrase, chosen)
        event_secret = sealed_keys.new_secret()
        keys = EventKeys(event_secret)
        at = stamp(clock())
        path.touch(mode=0o600, exist_ok=False)
        try:
            db = _open(path)
        except BaseException:
            _remove_vault_files(path)
            raise
        try:
            migrate(db)
            with write(db):
                meta.put(db, "event_name", event_name)
                meta.put(db, "created_at", at)
                meta.put(db, "playbook", text)
                meta.put(db, "playbook_source", playbook_source)
                member_store.insert(db, keys, 1, member_name, role, key, at)
                member_store.put_event_key(
                    db, 1, sealed_keys.seal_to(key.public_key, EVENT_LABEL, event_secret)
                )
                meta.seal(db, keys)
                audit.append(db, keys, at, 1, "vault.created")
                audit.append(db, keys, at, 1, "member.added")
                seal.establish(db, keys, at)
            return cls(db, path, clock, VaultLock(folder, alone=False))
        except BaseException:
            # A vault is made whole or not at all: no half-made file is left to be
            # mistaken for a vault ("already exists", "not a cocdesk vault").
            db.close()
            _remove_vault_files(path)
            raise

    def _load_playbook(self) -> Playbook:
        text = meta.get(self.db, "playbook")
        if text is None:
            raise IntegrityFailure("the vault's playbook is missing")
        try:
            return parse_playbook(text, meta.get(self.db, "playbook_source") or DEFAULT_NAME, stored=True)
        except BadPlaybook:
            # It was validated when the vault was made: now it can only be damage.
            raise IntegrityFailure("the vault's stored playbook is damaged") from None

    @property
    def event_name(self) -> str:
        return meta.get(self.db, "event_name") or self.playbook.event_name

    def last_member(self) -> str | None:
        """Who unlocked last on this laptop (a name, not a secret), to preselect it."""
        return meta.get(self.db, "last_member")

    def remember_member(self, session: Session) -> None:
        with write(self.db):
            meta.put(self.db, "last_member", session.member_name)
            meta.seal(self.db, session.event_keys)

    def member_names(self) -> list[str]:
        return [m.name for m in member_store.all_members(self.db) if m.active]

    # -- unlocking -------------------------------------------------------------
    def unlock(self, member_name: str, passphrase: str, check: bool = True) -> Session:
        """Open the member's key with their passphrase (slow: run it in a worker).

        The vault is then checked against its seal and this laptop's record of it;
        `check=False` leaves that to the caller (verify, which reports every problem).
        """
        member = member_store.by_name(self.db, member_name)
        if member is None or not member.active:
            raise NotAMember(f"no team member is called '{_short(member_name)}'")
        member_keys.check_floor(member.key, self.kdf_floor)
        private = member_keys.unwrap(member.id, member.key, passphrase)
        sealed = member_store.event_key(self.db, member.id)
        if sealed is None:
            raise IntegrityFailure(f"{member.name}'s copy of the event key is missing")
        secret = sealed_keys.open_sealed(private, EVENT_LABEL, sealed)
        event_keys = EventKeys(secret)
        # The role decides what this member may do: it must be the one a member wrote;
        # the playbook decides what the app tells people to do: likewise.
        member_store.check_mac(self.db, event_keys, member)
        meta.check(self.db, event_keys)
        if seal.needs_establishing(self.db):
            # A vault from before the seal: seal it as it stands, once.
            with write(self.db):
                seal.establish(self.db, event_keys, stamp(self.clock()))
        elif check:
            # Rows put back from an older copy of the file, or a whole older file, are
            # refused before anything is shown.
            seal.check(self.db, event_keys)
            seen.check(self.db, event_keys)
        session = Session(
            db=self.db,
            playbook=self.playbook,
            member_id=member.id,
            member_name=member.name,
            role=member.role,
            clock=self.clock,
            _private=private,
            _event=event_keys,
        )
        session.keep_seal()
        if check:
            session.remember_on_lock()
            seen.remember(self.db, event_keys)
        return session

    # -- copies ------------------------------------------------------------------
    @staticmethod
    def check_backup_target(target: Path) -> None:
        """Refuse a target that exists (never overwrite) or whose folder is missing."""
        if target.exists():
            raise VaultExists(f"{target} already exists; choose a new file name")
        if not target.parent.is_dir():
            raise NotFound(f"the folder {target.parent} does not exist")

    def backup(self, target: Path) -> None:
        """A sealed copy of the whole vault (VACUUM INTO: no free pages carried over)."""
        self.check_backup_target(target)
        target.touch(mode=0o600)  # VACUUM INTO fills an empty file and keeps its mode
        self.db.execute("VACUUM INTO ?", [str(target)])

    def checkpoint(self) -> None:
        """Fold the WAL into the file (on open and lock): it holds old page images till then."""
        with contextlib.suppress(sqlite3.Error):
            checkpoint(self.db, wait=False)

    def finish_compaction(self) -> None:
        """A purge that found the file busy left its pages behind: rebuild the file now, if free."""
        if meta.get(self.db, meta.COMPACT_PENDING) is None:
            return
        with contextlib.suppress(sqlite3.Error):
            if not checkpoint(self.db, wait=False):
                return
            self.db.execute("VACUUM")
            if checkpoint(self.db, wait=False):
                with write(self.db):
                    self.db.execute("DELETE FROM meta WHERE key = ?", [meta.COMPACT_PENDING])
                checkpoint(self.db, wait=False)

    def close(self) -> None:
        close_database(self.db)
        if self._lock is not None:
            self._lock.release()
            self._lock = None


# What a damaged file raises from SQLite or sqlite-utils: invalid UTF-8 in the schema
# text surfaces as UnicodeDecodeError, a damaged migrations table as KeyError.
DAMAGE = (sqlite3.DatabaseError, UnicodeDecodeError, KeyError, ValueError, TypeError)


def _open(path: Path) -> sqlite_utils.Database:
    try:
        db = open_database(path)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except DAMAGE as exc:
        # Never SQLite's message: on a damaged file it can quote stored bytes.
        raise IntegrityFailure(f"{path} cannot be read as a cocdesk vault ({type(exc).__name__})") from None


def _interrupted_restore(path: Path) -> None:
    """A restore that died between its renames leaves the old vault set aside: say how to get it back."""
    aside = path.with_name(path.name + ".before-restore")  # service/restore.py's name for it
    if aside.exists():
        # Not damage (exit 4): the files are whole, only in the wrong place.
        raise CocdeskError(
            f"a restore was interrupted: the vault is in {aside.name} (with its -wal and -shm, if any); "
            f"rename it back to {path.name} to open it"
        )


def _remove_vault_files(path: Path) -> None:
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        name.unlink(missing_ok=True)


def _check_name(text: str, what: str) -> None:
    if not text.strip():
        raise UsageProblem(f"the {what} is empty")
    if any(not ch.isprintable() for ch in text):
        raise UsageProblem(f"the {what} holds control characters")


def _short(text: str) -> str:
    return "".join(ch if ch.isprintable() else "?" for ch in text[:40])
