"""Child process for the subprocess battery tests (kill -9, two writers, plaintext scan).

Usage: python case_writer.py MODE VAULT_DIR PREFIX [options]

It opens an existing vault with cocdesk's own `Desk`, unlocks it as the lead
of tests/conftest.py and saves reports through the real `CaseService`. Every
line on stdout is flushed at once, so a parent that kills this process with
SIGKILL still reads every line written before the kill:

- ``READY`` once the vault is open and unlocked;
- ``USE <marker>`` before a save that carries `marker` (it may reach the disk);
- ``ACK <case id> <marker>`` after `add_report` returned (the save is acknowledged);
- ``EDIT <case id> <marker>`` after `update_report` returned;
- ``PURGED <case id>`` after `purge` returned;
- ``DONE <saved> <errors>`` at the end of a counted run.

Modes:

- ``kill9``: add reports forever (until killed); marker = PREFIX-<n>.
- ``two``: wait for one line on stdin (the start signal), then add `--count`
  reports; an exception is written to stderr, counted and the loop goes on.
- ``churn``: forever: add a report, edit it three times; every other round purge the
  case before it.
"""

from __future__ import annotations

import argparse
import os
import selectors
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cocdesk.service import CaseService, Desk  # noqa: E402
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report  # noqa: E402
from tests.fast_cocdesk import use_fast_kdf  # noqa: E402


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def run_kill9(cases: CaseService, prefix: str) -> None:
    n = 0
    while True:
        n += 1
        marker = f"{prefix}-{n}"
        case_id = cases.add_report(sample_report(marker))
        say(f"ACK {case_id} {marker}")


def run_two(cases: CaseService, prefix: str, count: int) -> int:
    sys.stdin.readline()  # the parent's start signal: both writers begin together
    saved = errors = 0
    for n in range(1, count + 1):
        marker = f"{prefix}-{n}"
        try:
            case_id = cases.add_report(sample_report(marker))
        except Exception as exc:  # noqa: BLE001 - the test counts every kind of failure
            errors += 1
            sys.stderr.write(f"save {n} failed: {type(exc).__name__}: {exc}\n")
            continue
        saved += 1
        say(f"ACK {case_id} {marker}")
    say(f"DONE {saved} {errors}")
    return 0 if errors == 0 else 1


def run_churn(cases: CaseService, prefix: str) -> None:
    n = 0
    previous = ""
    while True:
        n += 1
        marker = f"{prefix}n{n}v0"
        say(f"USE {marker}")
        case_id = cases.add_report(sample_report(marker))
        say(f"ACK {case_id} {marker}")
        for edit in range(1, 4):
            marker = f"{prefix}n{n}v{edit}"
            say(f"USE {marker}")
            cases.update_report(case_id, sample_report(marker))
            say(f"EDIT {case_id} {marker}")
        if n % 2 == 0:
            # Purge the case before the newest: purging the newest one lets its id be
            # handed out again (a known bug with its own xfail test in test_plaintext_scan.py).
            cases.purge(previous)
            say(f"PURGED {previous}")
        previous = case_id


# -- parent side: used by the tests that run this script ----------------------------------
SCRIPT = Path(__file__).resolve()
READY_TIMEOUT_S = 60.0


@dataclass
class ChildLog:
    """What a child wrote on stdout, parsed."""

    acked: dict[str, str] = field(default_factory=dict)  # case id -> marker of its report
    edited: dict[str, str] = field(default_factory=dict)  # case id -> marker of its last edit
    purged: set[str] = field(default_factory=set)
    used: list[str] = field(default_factory=list)  # every marker that may have reached the disk
    done: tuple[int, int] | None = None
    lines: list[str] = field(default_factory=list)


def spawn(mode: str, vault: Path, prefix: str, *extra: str, stderr_path: Path) -> subprocess.Popen[str]:
    """Start this script as a child (stderr goes to a file, so no pipe can fill up)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    with open(stderr_path, "w", encoding="utf-8") as err:
        return subprocess.Popen(
            [sys.executable, str(SCRIPT), mode, str(vault), prefix, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            env=env,
        )


def wait_ready(proc: subprocess.Popen[str], stderr_path: Path) -> None:
    """Block until the child printed READY (or fail with its stderr)."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(READY_TIMEOUT_S):
            proc.kill()
            proc.wait()
            raise AssertionError(f"child not ready after {READY_TIMEOUT_S} s")
    line = proc.stdout.readline().strip()
    if line != "READY":
        proc.kill()
        proc.wait()
        raise AssertionError(f"child did not start: {line!r}; stderr: {stderr_path.read_text()[-2000:]}")


def kill9(proc: subprocess.Popen[str]) -> ChildLog:
    """SIGKILL the child and parse everything it wrote before it died."""
    proc.send_signal(signal.SIGKILL)
    return collect(proc)


def collect(proc: subprocess.Popen[str], timeout: float | None = 60.0) -> ChildLog:
    assert proc.stdout is not None
    if proc.stdin is not None:
        proc.stdin.close()
    rest = proc.stdout.read()  # same buffered object as wait_ready used: nothing is lost
    proc.wait(timeout=timeout)
    return parse(rest)


def parse(text: str) -> ChildLog:
    """Parse the child's stdout; a last line cut short by the kill (no newline) is ignored."""
    lines = text.split("\n")[:-1]
    log = ChildLog(lines=lines)
    for line in lines:
        parts = line.split()
        if parts[:1] == ["ACK"] and len(parts) == 3:
            log.acked[parts[1]] = parts[2]
        elif parts[:1] == ["EDIT"] and len(parts) == 3:
            log.edited[parts[1]] = parts[2]
        elif parts[:1] == ["PURGED"] and len(parts) == 2:
            log.purged.add(parts[1])
        elif parts[:1] == ["USE"] and len(parts) == 2:
            log.used.append(parts[1])
        elif parts[:1] == ["DONE"] and len(parts) == 3:
            log.done = (int(parts[1]), int(parts[2]))
    return log


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("kill9", "two", "churn"))
    parser.add_argument("vault", type=Path)
    parser.add_argument("prefix")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument(
        "--autocheckpoint",
        type=int,
        default=0,
        help="if > 0, PRAGMA wal_autocheckpoint for this connection (checkpoints during the run)",
    )
    args = parser.parse_args(argv)
    use_fast_kdf()  # the vault was enrolled at the test cost (tests/conftest.py)
    desk = Desk.open(args.vault)
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    if args.autocheckpoint > 0:
        session.db.execute(f"PRAGMA wal_autocheckpoint={args.autocheckpoint}")
    cases = CaseService(session)
    say("READY")
    try:
        if args.mode == "kill9":
            run_kill9(cases, args.prefix)
        elif args.mode == "churn":
            run_churn(cases, args.prefix)
        else:
            return run_two(cases, args.prefix, args.count)
    finally:
        desk.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
