"""Battery item 2 (SECURITY.md): kill -9 at random moments during saves.

A child process (`case_writer.py kill9`) opens one vault, unlocks it and saves
reports through the real `CaseService.add_report` in a loop, printing each case
id only after `add_report` returned. The parent SIGKILLs it after a random
(seeded) delay, then re-opens the vault in-process and checks that every
acknowledged save is there with its exact report, that no more than the one
save in flight per kill was added unacknowledged, and that `verify` passes.
Each vault is reused for ten trials, so a trial also recovers from the WAL the
previous kill left behind (a fresh vault every ten keeps `verify` cheap). On
odd trials the child checkpoints the WAL every 4 pages, so kills also land in
the middle of checkpoints.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

from cocdesk.service import CaseService, Desk
from cocdesk.service.integrity import verify
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report
from tests.security.case_writer import kill9, spawn, wait_ready

TRIALS = 30
TRIALS_PER_VAULT = 10
SEED = 20260502
MIN_DELAY_S = 0.02
MAX_DELAY_S = 0.30
SMALL_AUTOCHECKPOINT = 4


def test_kill9_during_saves_loses_no_acknowledged_case_and_verify_passes(tmp_path: Path) -> None:
    """Over 30 SIGKILLs mid-save: every acknowledged case opens with its exact report, verify is clean."""
    rng = random.Random(SEED)
    kills_during_saves = 0
    acked: dict[str, str] = {}
    vault = tmp_path / "vault-0"
    base = 0  # the trial that started the current vault

    for trial in range(TRIALS):
        if trial % TRIALS_PER_VAULT == 0:
            # A fresh vault now and then keeps `verify` (which opens every case) cheap.
            vault = tmp_path / f"vault-{trial}"
            Desk.create(vault, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS).close()
            acked, base = {}, trial
        extra = ["--autocheckpoint", str(SMALL_AUTOCHECKPOINT)] if trial % 2 else []
        stderr_path = tmp_path / f"child-{trial}.err"
        proc = spawn("kill9", vault, f"t{trial}", *extra, stderr_path=stderr_path)
        wait_ready(proc, stderr_path)
        time.sleep(rng.uniform(MIN_DELAY_S, MAX_DELAY_S))
        log = kill9(proc)
        assert proc.returncode == -signal.SIGKILL, (
            f"trial {trial}: the child ended by itself ({proc.returncode}): {stderr_path.read_text()[-2000:]}"
        )
        assert not set(log.acked) & set(acked), f"trial {trial}: a case id was handed out twice"
        kills_during_saves += bool(log.acked)
        acked.update(log.acked)

        desk = Desk.open(vault)
        try:
            session = desk.unlock(LEAD, LEAD_PASSPHRASE)
            cases = CaseService(session)
            stored = {c.id for c in cases.list_cases()}
            lost = sorted(set(acked) - stored)
            assert not lost, f"trial {trial}: acknowledged saves lost: {lost[:10]}"
            for case_id, marker in log.acked.items():
                assert cases.open_case(case_id).report == sample_report(marker), (
                    f"trial {trial}: acknowledged {case_id} came back different"
                )
            # At most one commit per kill can have landed without its ACK line.
            extra_cases = len(stored) - len(acked)
            assert extra_cases <= trial - base + 1, f"trial {trial}: {extra_cases} unexplained extra cases"
            assert verify(session) == [], f"trial {trial}: verify failed after kill -9"
            if trial % TRIALS_PER_VAULT == TRIALS_PER_VAULT - 1:
                # Later kills must not have disturbed earlier saves.
                for case_id, marker in acked.items():
                    assert cases.open_case(case_id).report == sample_report(marker), f"{case_id} changed"
        finally:
            desk.close()

    # The harness must actually have killed the child while it was saving.
    assert kills_during_saves >= TRIALS - 2, f"only {kills_during_saves} kills came after a save"
