"""Who has the vault open: a lock file beside it (flock), shared by every cocdesk that opens
the vault and taken alone by a restore, so a restore never pulls the file out from under an
app that is still saving into it (those saves would go to the replaced file and be lost).
"""

from __future__ import annotations

import os
from pathlib import Path

from cocdesk.errors import UsageProblem

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no advisory locks, and no such guard
    fcntl = None  # type: ignore[assignment]

NAME = "cocdesk.lock"


class VaultLock:
    """A held flock on the vault folder's lock file (shared or alone); `release()` lets go."""

    def __init__(self, folder: Path, alone: bool) -> None:
        self._fd: int | None = None
        if fcntl is None:
            return
        fd = os.open(folder / NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if alone else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if alone:
                raise UsageProblem(
                    "the vault is open in cocdesk (the app or another command): close it first; "
                    "nothing was restored"
                ) from None
            raise UsageProblem("the vault is being restored right now: try again in a moment") from None
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor lets go of the flock
            self._fd = None
