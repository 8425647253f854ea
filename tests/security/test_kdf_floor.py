"""Issue 14 item 12: no environment variable weakens a passphrase, and unlock refuses a
member record whose key-derivation cost is below the documented floor (SECURITY.md:
256 MiB, opslimit at least libsodium's MODERATE).

These tests run with the production floor (marker `production_kdf`: the autouse fixture
in tests/conftest.py leaves the KDF alone); every other test gets the fast profile from
that fixture, never from the environment.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from nacl import pwhash
from textual.widgets import Static

from cocdesk import demo
from cocdesk.cli import main
from cocdesk.errors import IntegrityFailure
from cocdesk.service import Desk
from cocdesk.store import members as member_store
from cocdesk.tui.app import make_app
from cocdesk.vault import kdf
from cocdesk.vault.kdf import FAST_FOR_TESTS, KdfParams
from tests.tui.conftest import frozen, settle, unlock

pytestmark = pytest.mark.production_kdf

LEAD, PASSPHRASE = "Robin", "correct horse battery staple"
SOURCE = Path(__file__).resolve().parents[2] / "cocdesk"


def test_the_floor_is_the_documented_one() -> None:
    assert KdfParams(opslimit=pwhash.argon2id.OPSLIMIT_MODERATE, memlimit=256 * 1024 * 1024) == kdf.FLOOR
    assert kdf.FLOOR.opslimit >= 3
    assert not kdf.below_floor(kdf.PRODUCTION)
    assert kdf.below_floor(FAST_FOR_TESTS)
    assert kdf.below_floor(demo.DEMO_KDF)
    assert kdf.below_floor(KdfParams(kdf.FLOOR.opslimit - 1, kdf.FLOOR.memlimit))
    assert kdf.below_floor(KdfParams(kdf.FLOOR.opslimit + 5, kdf.FLOOR.memlimit // 2))


def test_no_production_code_reads_a_test_switch() -> None:
    """The old switch, or any like it, is read nowhere in cocdesk/."""
    for path in SOURCE.rglob("*.py"):
        text = path.read_text("utf-8")
        assert "INSECURE" not in text, path
    for name in ("kdf.py", "member_keys.py"):
        assert not re.search(r"os\.environ|getenv", (SOURCE / "vault" / name).read_text("utf-8")), name


def test_the_old_switch_in_the_environment_does_not_weaken_enrolment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """COCDESK_INSECURE_FAST_KDF=1 set: a new member still gets calibrated production cost.

    Calibration is replaced by its cheapest legal answer (the floor itself), so this
    test derives one production key, for the enrolment it checks."""
    monkeypatch.setenv("COCDESK_INSECURE_FAST_KDF", "1")
    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: kdf.FLOOR)
    assert kdf.enrolment_params() == kdf.FLOOR
    desk = Desk.create(tmp_path / "v", "E", LEAD, PASSPHRASE, clock=frozen)
    try:
        member = member_store.by_name(desk.db, LEAD)
        assert member is not None and member.key.params == kdf.FLOOR
        assert not kdf.below_floor(member.key.params)
    finally:
        desk.close()


@pytest.fixture
def weak_vault(tmp_path: Path) -> Path:
    """A vault whose only member was enrolled, consistently, with the fast test profile:
    the wrapped key, its associated data and the member's MAC all agree on those params."""
    folder = tmp_path / "weak"
    Desk.create(folder, "E", LEAD, PASSPHRASE, params=FAST_FOR_TESTS, clock=frozen).close()
    return folder


def test_unlock_refuses_a_member_record_below_the_floor(weak_vault: Path) -> None:
    desk = Desk.open(weak_vault)
    try:
        with pytest.raises(IntegrityFailure, match="below the floor"):
            desk.unlock(LEAD, PASSPHRASE)
    finally:
        desk.close()


def test_the_cli_refuses_it_in_one_line_with_exit_4(
    weak_vault: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The right passphrase, and the old switch set: still refused, the file unchanged."""
    monkeypatch.setenv("COCDESK_INSECURE_FAST_KDF", "1")
    monkeypatch.setenv("COCDESK_MEMBER", LEAD)
    monkeypatch.setenv("COCDESK_PASSPHRASE", PASSPHRASE)
    db = weak_vault / "cocdesk.db"
    before = db.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data-dir", str(weak_vault), "list"], out=out, err=err)
    assert (code, out.getvalue()) == (4, "")
    assert err.getvalue().count("\n") == 1 and "below the floor" in err.getvalue(), err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert db.read_bytes() == before


async def test_the_app_refuses_it_too(weak_vault: Path) -> None:
    app = make_app(weak_vault, clock=frozen)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot, PASSPHRASE)
        assert app.session is None
        message = app.screen.query_one("#unlock-message", Static).render()
        assert "below the floor" in str(message)


async def test_only_the_demo_code_path_lowers_the_floor(tmp_path: Path) -> None:
    """`cocdesk demo` hands its own, cheap parameters to the app it starts: that vault opens;
    the same folder opened by the plain app is refused."""
    folder = tmp_path / "demo"
    demo.build(folder, now=frozen, params=FAST_FOR_TESTS).close()
    app = make_app(folder, demo_passphrase=demo.PASSPHRASE, clock=frozen, kdf_floor=FAST_FOR_TESTS)
    async with app.run_test(size=(100, 30)) as pilot:
        await unlock(pilot, demo.PASSPHRASE)
        assert app.session is not None and app.session.member_name == demo.LEAD
    plain = make_app(folder, clock=frozen)
    async with plain.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await unlock(pilot, demo.PASSPHRASE)
        assert plain.session is None
