"""`cocdesk demo --cases N`: a demo vault of N fictional cases, intact, the seven stories last."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cocdesk import demo
from cocdesk.cli import build_parser
from cocdesk.service import CaseService
from cocdesk.service.integrity import verify
from cocdesk.vault.kdf import FAST_FOR_TESTS

NOW = datetime(2026, 5, 2, 15, 0, tzinfo=UTC)


def test_demo_takes_a_number_of_cases() -> None:
    assert build_parser().parse_args(["demo", "--cases", "5000"]).cases == 5000
    assert build_parser().parse_args(["demo"]).cases is None


def test_a_demo_vault_of_n_cases_holds_n_intact_cases_with_the_stories_last(tmp_path: Path) -> None:
    n = demo.BATCH + 30  # more than one batch
    desk = demo.build(tmp_path / "v", now=lambda: NOW, params=FAST_FOR_TESTS, cases=n)
    try:
        session = desk.unlock(demo.LEAD, demo.PASSPHRASE)
        rows = CaseService(session).list_cases()
        assert len(rows) == n
        assert [r.id for r in rows] == [f"C-{i:04d}" for i in range(1, n + 1)]
        # Generated cases are older than the stories, which keep their places in time.
        assert max(r.created_at for r in rows[: -len(demo.CASES)]) < rows[-len(demo.CASES)].created_at
        assert {r.category for r in rows} <= set(desk.playbook.category_codes)
        assert verify(session) == []
    finally:
        desk.close()


def test_fewer_cases_than_the_stories_takes_the_first_stories(tmp_path: Path) -> None:
    desk = demo.build(tmp_path / "v", now=lambda: NOW, params=FAST_FOR_TESTS, cases=3)
    try:
        rows = CaseService(desk.unlock(demo.LEAD, demo.PASSPHRASE)).list_cases()
        assert [r.category for r in rows] == [c[1].category for c in demo.CASES[:3]]
    finally:
        desk.close()
