"""Fixtures shared by every test: a real vault in tmp_path, never the developer's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cocdesk.domain.report import Report, ReportedPerson, Reporter, Witness
from cocdesk.service import CaseService, Desk, Session
from cocdesk.vault import kdf
from cocdesk.vault.kdf import FAST_FOR_TESTS

LEAD = "Robin"
LEAD_PASSPHRASE = "correct horse battery staple"
FROZEN = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's vault and environment out of every test."""
    monkeypatch.setenv("COCDESK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COCDESK_STATE", str(tmp_path / "laptop-state"))
    for name in ("COCDESK_PASSPHRASE", "COCDESK_MEMBER", "COCDESK_NEW_PASSPHRASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fast_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test enrols and unlocks at the fast test cost, set here in the test process
    (production code reads no switch for it); a test marked `production_kdf` keeps the
    real floor and calibration. Child processes get it from tests/fast_cocdesk.py."""
    if request.node.get_closest_marker("production_kdf") is None:
        use_fast_kdf(monkeypatch)


def use_fast_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kdf, "FLOOR", FAST_FOR_TESTS)
    monkeypatch.setattr(kdf, "enrolment_params", lambda: FAST_FOR_TESTS)


@pytest.fixture
def vault_dir(tmp_path: Path) -> Path:
    return tmp_path / "vault"


@pytest.fixture
def desk(vault_dir: Path) -> Iterator[Desk]:
    """A real vault on disk with one lead, using the fast test KDF profile."""
    d = Desk.create(
        vault_dir, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    yield d
    d.close()


@pytest.fixture
def session(desk: Desk) -> Session:
    return desk.unlock(LEAD, LEAD_PASSPHRASE)


@pytest.fixture
def cases(session: Session) -> CaseService:
    return CaseService(session)


def sample_report(marker: str = "", **changes: object) -> Report:
    """A fictional report; `marker` is woven into every sealed string field."""
    m = marker
    base = Report(
        description=f"They kept following me between talks {m}",
        taken_by=f"Robin {m}",
        transcribed=True,
        reporter=Reporter(
            name=f"Ana Example {m}",
            contact=f"ana{m}@example.org",
            anonymous=False,
            identification_concerns=f"worried {m}",
        ),
        incident_at=f"2026-05-02T14:30 {m}",
        location=f"Hallway B {m}",
        ongoing=False,
        circumstances=f"After the keynote {m}",
        category="harassment",
        reported=(
            ReportedPerson(
                name=f"Sam Smith {m}", badge=f"B-12{m}", affiliation=f"ACME {m}", appearance=f"red hat {m}"
            ),
        ),
        witnesses=(Witness(name=f"Lee {m}", contact=f"lee{m}@example.org"),),
        reporter_suggestions=f"keep him away {m}",
        urgent=False,
    )
    if changes:
        from dataclasses import replace

        return replace(base, **changes)  # type: ignore[arg-type]
    return base
