"""Writing an export to a file: a new file only, readable by this user only."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from cocdesk.errors import CocdeskError, NotFound, UsageProblem


def target_path(typed: str) -> Path:
    """The absolute path a typed one names (`~` is the home folder), so a message says where."""
    if not typed.strip():
        raise UsageProblem("give a file name")
    return Path(os.path.abspath(os.path.expanduser(typed.strip())))


def write_new(path: Path, text: str, before: Callable[[], None] | None = None) -> None:
    """Write `text` to `path`, which must not exist yet, with mode 0600.

    `before` runs once the name is taken and before any byte is written: an
    export is recorded in the audit log first, or not written at all.
    """
    if not path.parent.is_dir():
        raise NotFound(f"the folder {path.parent} does not exist")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        # O_EXCL: never overwrite, not even a file created a moment ago (or a symlink).
        fd = os.open(path, flags, 0o600)
    except FileExistsError:
        raise UsageProblem(f"{path} already exists; choose a new file name") from None
    except OSError as exc:
        raise CocdeskError(f"cannot write {path}: {exc.strerror or 'input/output error'}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            if before is not None:
                before()
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        # Half a case on disk helps nobody: the file goes with the failure.
        with contextlib.suppress(OSError):
            path.unlink()
        if isinstance(exc, OSError):
            raise CocdeskError(f"cannot write {path}: {exc.strerror or 'input/output error'}") from None
        raise
