"""Files that leave the vault (exports, reports, bundles, keys): new files only, this user's only."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from cocdesk.errors import CocdeskError, NotFound, UsageProblem, VaultExists


def target_path(typed: str) -> Path:
    """The absolute path a typed one names (`~` is the home folder), so a message says where."""
    if not typed.strip():
        raise UsageProblem("give a file name")
    if "\0" in typed:
        raise UsageProblem("the file name holds a NUL character, which no file name can")
    return Path(os.path.abspath(os.path.expanduser(typed.strip())))


def write_new(path: Path, data: bytes | str, before: Callable[[], None] | None = None) -> None:
    """Write `data` (text as UTF-8) to `path`, which must not exist yet, with mode 0600.

    `before` runs once the name is taken and before any byte is written: an
    export is recorded in the audit log first, or not written at all.
    """
    if "\0" in str(path):
        raise UsageProblem("the file name holds a NUL character, which no file name can")
    if not path.parent.is_dir():
        raise NotFound(f"the folder {path.parent} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        # O_EXCL: never overwrite, not even a file created a moment ago (or a symlink).
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise VaultExists(f"{path} already exists; choose a new file name") from None
    except OSError as exc:
        raise CocdeskError(f"cannot write {path}: {exc.strerror or 'input/output error'}") from None
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with os.fdopen(fd, "wb") as fh:
            if before is not None:
                before()
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        # Half a file on disk helps nobody: the file goes with the failure.
        with contextlib.suppress(OSError):
            path.unlink()
        if isinstance(exc, OSError):
            raise CocdeskError(f"cannot write {path}: {exc.strerror or 'input/output error'}") from None
        raise


def read_file(source: Path, what: str, limit: int = 256 * 1024 * 1024) -> bytes:
    """The bytes of a file handed to cocdesk, with one clear line when it cannot be read."""
    if "\0" in str(source):
        raise UsageProblem("the file name holds a NUL character, which no file name can")
    try:
        size = source.stat().st_size
        if size > limit:
            raise CocdeskError(f"{source} is too large to be a cocdesk {what}")
        return source.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"there is no file {source}") from None
    except IsADirectoryError:
        raise NotFound(f"{source} is a folder, not a {what}") from None
    except OSError as exc:
        raise CocdeskError(f"cannot read {source} ({exc.strerror})") from None
