"""Writing files that leave the vault: only this user may read them, none is overwritten."""

from __future__ import annotations

import os
from pathlib import Path

from cocdesk.errors import CocdeskError, NotFound, VaultExists


def write_new(target: Path, data: bytes) -> None:
    """Create `target` (0600) with `data`; refuse a name that exists or a missing folder."""
    if not target.parent.is_dir():
        raise NotFound(f"the folder {target.parent} does not exist")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise VaultExists(f"{target} already exists; choose a new file name") from None
    except OSError as exc:
        raise CocdeskError(f"cannot write {target} ({exc.strerror})") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise CocdeskError(f"cannot write {target} ({exc.strerror})") from None


def read_file(source: Path, what: str, limit: int = 256 * 1024 * 1024) -> bytes:
    """The bytes of a file handed to cocdesk, with one clear line when it cannot be read."""
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
