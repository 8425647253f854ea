"""Restoring a backup: verified before anything is replaced, the old vault kept until it is.

0. When a vault is in the folder, the restore takes it alone and unlocks it first:
   only a lead or the chair may replace it (domain/roles.py), and what the backup
   lacks against it (cases, recusals, members, audit entries) is named before the
   question. A recusal or a removal recorded since the backup is carried into the
   restored copy (the key copies go, the case is re-keyed) before it is installed:
   a backup can bring back notes, never a member's access to a case or the team.
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

from cocdesk.domain.roles import Role, may_restore
from cocdesk.errors import (
    IntegrityFailure,
    NotAMember,
    NotFound,
    RuleRefused,
    UsageProblem,
    VaultExists,
    WrongPassphrase,
)
from cocdesk.paths import database_path
from cocdesk.service import seen
from cocdesk.service.access import recuse_in, recused_now
from cocdesk.service.clock import Clock, utc_now
from cocdesk.service.desk import DAMAGE, Desk
from cocdesk.service.integrity import verify
from cocdesk.service.retention import RetentionService
from cocdesk.service.session import Session
from cocdesk.service.team import TeamService
from cocdesk.store import audit
from cocdesk.store import cases as case_store
from cocdesk.store import members as member_store
from cocdesk.store.connection import checkpoint, write
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
    # What the backup lacks against that vault, one line each (empty: it lacks nothing,
    # or there is no vault); recusals and removals among them are carried over.
    lacks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Restored:
    info: BackupInfo
    expired: tuple[str, ...]  # finished cases past retention in the restored vault


@dataclass(frozen=True)
class VaultState:
    """What a vault holds that a restore could lose, by names a person reads."""

    cases: dict[str, tuple[str, int]]  # case id -> (last update, audit entries about it)
    recusals: frozenset[tuple[str, str]]  # (case id, member name) stepped out now
    members: dict[str, tuple[Role, bool]]  # name -> (role, active)
    audit_length: int


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

    `credentials` is asked once, with the member names of the vault in the folder
    (of the backup, if there is none), for the member and passphrase that unlock it;
    the backup and the restored vault are unlocked with them too. Replacing a vault
    is refused (RuleRefused) unless that member is a lead or the chair in it.
    """
    target = database_path(folder)
    if not source.is_file():
        raise NotFound(f"{source} is not a file")
    if target.exists() and source.resolve() == target.resolve():
        raise UsageProblem(f"{source} is the vault itself, not a backup")
    aside = target.with_name(target.name + ASIDE)
    if any(p.exists() for p in _family(aside)):
        raise VaultExists(f"{aside} is left from an earlier restore; move it back or away first")
    # Alone from the start: what is compared below is what gets replaced, with no
    # save by another cocdesk in between (that save would be lost unlisted).
    alone = VaultLock(folder, alone=True) if target.exists() else None
    try:
        now = _current(folder, credentials, clock) if alone is not None else None
        return _restore(folder, source, credentials, confirm, clock, now, alone)
    finally:
        if alone is not None:
            alone.release()


@dataclass(frozen=True)
class _Current:
    member: str
    passphrase: str
    state: VaultState


def _current(folder: Path, credentials: Credentials, clock: Clock) -> _Current:
    """Unlock the vault about to be replaced: who asks, may they, and what it holds."""
    desk = _open(folder, f"the vault in {folder} cannot be opened", clock, hold_lock=False)
    try:
        member, passphrase = credentials(_member_names(desk, database_path(folder)))
        # Not refused for disagreeing with its seal or this laptop's record: a vault whose
        # rows were put back from an older copy is one a lead may well restore over.
        session = desk.unlock(member, passphrase, check=False)
        try:
            reason = may_restore(session.role)
            if reason:
                raise RuleRefused(f"{reason}; the vault was not changed")
            try:
                state = _state(session)
            except (*DAMAGE, IntegrityFailure) as exc:
                # Its recusals unread, a restore could hand cases back: not done blind.
                raise IntegrityFailure(
                    f"the vault in {folder} is damaged ({type(exc).__name__}): what a restore would "
                    "lose cannot be listed; move its files aside and restore into the empty folder"
                ) from None
            return _Current(member, passphrase, state)
        finally:
            session.lock()
    finally:
        desk.close()


def _restore(
    folder: Path,
    source: Path,
    credentials: Credentials,
    confirm: Confirm,
    clock: Clock,
    now: _Current | None,
    alone: VaultLock | None,
) -> Restored | None:
    target = database_path(folder)
    aside = target.with_name(target.name + ASIDE)
    made_folder = not folder.exists()
    # Only this user: the folder 0700, the files 0600 (as Desk.create makes them).
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=folder))  # 0700
    try:
        _copy(source, database_path(staging))
        desk = _open(staging, f"{source} is not a cocdesk backup, or it is damaged", clock)
        try:
            if now is None:
                member, passphrase = credentials(_member_names(desk, source))
            else:
                member, passphrase = now.member, now.passphrase
            session = _backup_unlocked(desk, member, passphrase, source, replacing=now is not None)
            lacks = _lacks(now.state, _state(session)) if now is not None else ()
            info = _info(desk, session, replaces=any(p.exists() for p in _family(target)), lacks=lacks)
            if not confirm(info):
                return None
            if now is not None:
                # On the private copy: any refusal here leaves the vault as it was.
                _carry_over(session, now.state)
            with write(session.db):
                audit.append(session.db, session.event_keys, session.now(), session.member_id, RESTORED)
            checkpoint(session.db)  # the re-keyed cases' old ciphertexts leave the WAL
            expired = tuple(c.id for c in RetentionService(session).expired())
            session.lock()
        finally:
            desk.close()  # checkpoints: the staged file is whole, with no -wal beside it
        _install(database_path(staging), target, aside, member, passphrase, alone)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if made_folder and not target.exists():
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if empty: never anything else put there
    return Restored(info, expired)


def _backup_unlocked(desk: Desk, member: str, passphrase: str, source: Path, replacing: bool) -> Session:
    """The backup, unlocked and verified; with a vault to replace, by its member's credentials."""
    try:
        return _unlocked_and_verified(desk, member, passphrase, str(source))
    except NotAMember:
        if not replacing:
            raise
        raise NotAMember(
            f"{_short(member)} is not on the team in {source}: a lead or the chair who is restores it; "
            "the vault was not changed"
        ) from None
    except WrongPassphrase:
        if not replacing:
            raise
        raise WrongPassphrase(
            f"{source} does not open with {_short(member)}'s passphrase of today "
            "(changed since the backup?); the vault was not changed"
        ) from None


def _state(session: Session) -> VaultState:
    db, keys = session.db, session.event_keys
    rows = case_store.all_rows(db, keys)
    per_case: dict[str, int] = {}
    length = 0
    for entry in audit.entries(db):
        length += 1
        if entry.case_id is not None:
            per_case[entry.case_id] = per_case.get(entry.case_id, 0) + 1
    members = member_store.all_members(db)
    names = {m.id: m.name for m in members}
    out = {(r.id, names[m]) for r in rows for m in recused_now(session, r.id) if m in names}
    return VaultState(
        cases={r.id: (r.updated_at, per_case.get(r.id, 0)) for r in rows},
        recusals=frozenset(out),
        members={m.name: (m.role, m.active) for m in members},
        audit_length=length,
    )


def _lacks(vault: VaultState, backup: VaultState) -> tuple[str, ...]:
    """One line per thing the vault holds and the backup does not (plain names and ids only)."""
    lines: list[str] = []
    missing = [c for c in vault.cases if c not in backup.cases]
    if missing:
        lines.append(f"{_count(len(missing), 'case')} not in the backup: {_ids(missing)}")
    for case_id, (updated, entries) in vault.cases.items():
        had = backup.cases.get(case_id)
        if had is not None and (had[0] < updated or had[1] < entries):
            lines.append(
                f"{case_id} is older in the backup: last change {had[0]} ({_count(had[1], 'audit entry')}), "
                f"in the vault {updated} ({_count(entries, 'audit entry')})"
            )
    for case_id, name in sorted(vault.recusals - backup.recusals):
        if case_id in backup.cases and vault.members.get(name, (None, False))[1] and name in backup.members:
            lines.append(f"{name} stepped out of {case_id} after the backup: kept (the case is re-keyed)")
    for name, (role, active) in vault.members.items():
        had_member = backup.members.get(name)
        if had_member is None:
            if active:
                lines.append(f"{name} ({role.value}) is not on the team in the backup")
        elif not active and had_member[1]:
            lines.append(f"{name} was removed from the team after the backup: kept removed")
        elif active and had_member[0] != role:
            lines.append(f"{name} is a {had_member[0].value} in the backup, a {role.value} in the vault")
    if backup.audit_length < vault.audit_length:
        lines.append(
            f"the backup's audit log has {backup.audit_length} entries, the vault's {vault.audit_length}"
        )
    return tuple(lines)


def _carry_over(session: Session, vault: VaultState) -> None:
    """Removals and recusals recorded since the backup, applied to it (each its own write).

    Without this a restore would give a removed member the team back, and a member
    who stepped out the cases they stepped out of, with whatever was written since
    the backup sealed to a key they still hold.
    """
    db, keys = session.db, session.event_keys
    members = {m.name: m for m in member_store.all_members(db)}
    for name, (_, active) in sorted(vault.members.items()):
        had = members.get(name)
        if active or had is None or not had.active:
            continue
        try:
            TeamService(session).remove_member(name)
        except (RuleRefused, NotAMember) as exc:
            raise RuleRefused(
                f"the backup cannot keep {name} removed ({exc}); the vault was not changed"
            ) from None
    by_case: dict[str, list[int]] = {}
    active_now = {n for n, (_, active) in vault.members.items() if active}
    for case_id, name in sorted(vault.recusals):
        had = members.get(name)
        if name in active_now and had is not None and had.active and case_store.get(db, keys, case_id):
            by_case.setdefault(case_id, []).append(had.id)
    for case_id, ids in by_case.items():
        try:
            with write(db):
                recuse_in(session, case_id, ids)
        except (RuleRefused, NotAMember) as exc:
            raise RuleRefused(
                f"the backup cannot keep the recusals of {case_id} ({exc}); the vault was not changed"
            ) from None


def _count(n: int, noun: str) -> str:
    plural = noun[:-1] + "ies" if noun.endswith("y") else noun + "s"
    return f"{n} {noun if n == 1 else plural}"


def _ids(ids: list[str], shown: int = 12) -> str:
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:39] + "…"


def _install(
    staged: Path, target: Path, aside: Path, member: str, passphrase: str, held: VaultLock | None = None
) -> None:
    """Move the current vault aside, put the checked copy in its place, verify, then drop the old."""
    moved: list[tuple[Path, Path]] = []
    installed = False
    # Alone: an app or command with the vault open would go on saving into the file
    # we move aside, and those saves would be lost. Refused before anything moves.
    alone = held if held is not None else VaultLock(target.parent, alone=True)
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
        if held is None:
            alone.release()
        raise
    for _, then in moved:
        then.unlink(missing_ok=True)
    _sync(target.parent)
    if held is None:
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


def _info(desk: Desk, session: Session, replaces: bool, lacks: tuple[str, ...]) -> BackupInfo:
    rows = case_store.all_rows(session.db, session.event_keys)
    entries = audit.entries(session.db)
    return BackupInfo(desk.event_name, len(rows), entries[-1].at if entries else "", replaces, lacks)


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
