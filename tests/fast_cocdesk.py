"""`python -m tests.fast_cocdesk ARGS…`: the cocdesk command at the fast test KDF cost.

For tests that run cocdesk in a child process (the installed command, kill -9, ...):
production code reads no switch for a cheap KDF, so this launcher, which only tests
use, lowers the floor and the enrolment cost in its own process, then runs the real
`cocdesk.cli.main`. Run it from the repository root (the `tests` package).
"""

from __future__ import annotations

from cocdesk.vault import kdf


def use_fast_kdf() -> None:
    """This process enrols and unlocks at FAST_FOR_TESTS (a test process only)."""
    kdf.FLOOR = kdf.FAST_FOR_TESTS
    kdf.enrolment_params = lambda: kdf.FAST_FOR_TESTS


if __name__ == "__main__":
    use_fast_kdf()
    from cocdesk.cli import main

    raise SystemExit(main())
