"""Battery item 9 (SECURITY.md): two writer processes at once, 2,000 transactions each.

Two children (`case_writer.py two`) open the same vault, unlock it, and wait
for a start line on stdin so that both begin together; each then saves 2,000
reports through the real `CaseService.add_report` (one BEGIN IMMEDIATE
transaction each). Any exception in a child is counted as an error. The vault
already holds a few cases, so the count check is "before + 4,000", not "4,000".
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cocdesk.service import CaseService, Desk
from cocdesk.service.integrity import verify
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report
from tests.security.case_writer import ChildLog, collect, spawn, wait_ready

PER_WRITER = 2000
WRITERS = 2
EXISTING = 3
# Measured at ~10 s on 2 cores; far above that means writers are stalling on the lock.
BUDGET_S = 120.0


@pytest.mark.slow
def test_two_writer_processes_commit_every_transaction_without_error(tmp_path: Path) -> None:
    """2 processes x 2,000 concurrent add_report calls: 0 errors, exactly 4,000 new cases, verify clean."""
    vault = tmp_path / "vault"
    desk = Desk.create(vault, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS)
    try:
        cases = CaseService(desk.unlock(LEAD, LEAD_PASSPHRASE))
        before = {cases.add_report(sample_report(f"old{n}")) for n in range(EXISTING)}
    finally:
        desk.close()

    errs = [tmp_path / f"writer-{w}.err" for w in range(WRITERS)]
    procs = [
        spawn("two", vault, f"w{w}", "--count", str(PER_WRITER), stderr_path=errs[w]) for w in range(WRITERS)
    ]
    for proc, err in zip(procs, errs, strict=True):
        wait_ready(proc, err)
    started = time.monotonic()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("GO\n")
        proc.stdin.flush()
    # Read both stdouts at once, so neither child can block on a full pipe.
    with ThreadPoolExecutor(WRITERS) as pool:
        logs: list[ChildLog] = list(pool.map(lambda p: collect(p, timeout=BUDGET_S * 2), procs))
    elapsed = time.monotonic() - started
    print(f"two writers x {PER_WRITER}: {elapsed:.1f} s")

    for w, (proc, log) in enumerate(zip(procs, logs, strict=True)):
        stderr = errs[w].read_text()
        assert log.done == (PER_WRITER, 0), f"writer {w}: {log.done} (saved, errors): {stderr[-3000:]}"
        assert proc.returncode == 0, f"writer {w} exited {proc.returncode}: {stderr[-3000:]}"
        assert stderr == "", f"writer {w} wrote to stderr: {stderr[-3000:]}"
        assert len(log.acked) == PER_WRITER, f"writer {w}: {len(log.acked)} distinct case ids acknowledged"
    first, second = (set(log.acked) for log in logs)
    assert not first & second, f"{len(first & second)} case ids were given to both writers"
    assert not (first | second) & before
    # Both were released by the same GO and ran against each other; whether their ids
    # interleave is up to SQLite's busy handler (one writer in a tight loop can keep
    # the lock for its whole run), so that is not asserted: 0 errors and the exact
    # count under contention are.

    desk = Desk.open(vault)
    try:
        session = desk.unlock(LEAD, LEAD_PASSPHRASE)
        cases = CaseService(session)
        stored = {c.id for c in cases.list_cases()}
        assert len(stored) == EXISTING + WRITERS * PER_WRITER
        assert stored == before | first | second
        count = session.db.execute("SELECT count(*) FROM cases").fetchone()[0]
        assert count == EXISTING + WRITERS * PER_WRITER
        # Spot-check that the cases hold the writer's own report, not another's.
        for log in logs:
            for case_id in list(log.acked)[:: PER_WRITER // 20]:
                assert cases.open_case(case_id).report == sample_report(log.acked[case_id])
        assert verify(session) == []
    finally:
        desk.close()
    assert elapsed < BUDGET_S, f"two writers took {elapsed:.0f} s: writers are stalling on the lock"
