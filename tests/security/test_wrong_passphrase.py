"""Battery item 7 (SECURITY.md): a wrong passphrase opens nothing and changes nothing.

- Every command that unlocks (list, export, add, verify, backup, member add), given a
  wrong passphrase or a name that is not a member, exits 3 with one line on stderr,
  prints nothing on stdout, and leaves the vault folder byte-identical.
- The production Argon2id cost is at least libsodium's MODERATE, as is what
  `calibrate()` picks; the fast test profile is used only when asked for.
- Lowering the stored KDF cost (a downgrade, to make guessing cheaper) is refused:
  by the record's checksum, and, when a forger recomputes that unkeyed checksum, by
  the parameters bound into the wrapped key's associated data.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from nacl import pwhash

from cocdesk import exit_codes
from cocdesk.cli import main
from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure, WrongPassphrase
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.store import members as member_store
from cocdesk.vault import kdf, member_keys
from cocdesk.vault.kdf import FAST_FOR_TESTS, KdfParams
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report

RESPONDER = "Kim"
RESPONDER_PASSPHRASE = "a different passphrase for Kim"
WRONG_PASSPHRASES = [
    "Tr0ub4dor&3",
    "",
    LEAD_PASSPHRASE.upper(),
    LEAD_PASSPHRASE + " ",
    RESPONDER_PASSPHRASE,  # another member's passphrase is just as wrong
]
NOT_MEMBERS = ["Nobody", LEAD.lower(), LEAD + " ", " " + RESPONDER]


# -- the command line --------------------------------------------------------------------------
@pytest.fixture
def closed_vault(tmp_path: Path) -> Path:
    """A closed vault on disk: a lead, a responder, one case. Returns its folder."""
    folder = tmp_path / "vault"
    desk = Desk.create(
        folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    TeamService(session).add_member(RESPONDER, Role.RESPONDER, RESPONDER_PASSPHRASE, params=FAST_FOR_TESTS)
    CaseService(session).add_report(sample_report("wp"))
    desk.close()
    return folder


def folder_state(folder: Path) -> dict[str, str]:
    """Every file in the vault folder (the database, and -wal / -shm if present) by SHA-256."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run(folder: Path, argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--data-dir", str(folder), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def commands(tmp_path: Path) -> dict[str, list[str]]:
    """Every command that unlocks the vault, ready to run."""
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"description": "a new report", "reported": [{"name": "Sam Smith"}]}))
    return {
        "list": ["list"],
        "list --json": ["list", "--json"],
        "export md": ["export", "C-0001", "--format", "md"],
        "export json": ["export", "C-0001", "--format", "json"],
        "add": ["add", str(report)],
        "verify": ["verify"],
        "backup": ["backup", str(tmp_path / "backup.db")],
        "member add": ["member", "add", "Lee", "--role", "responder"],
    }


COMMAND_NAMES = ["list", "list --json", "export md", "export json", "add", "verify", "backup", "member add"]


def assert_refused_without_a_trace(folder: Path, tmp_path: Path, argv: list[str], what: str) -> None:
    before = folder_state(folder)
    assert database_path(folder).name in before
    code, out, err = run(folder, argv)
    assert code == exit_codes.ACCESS_DENIED, f"{what}: exit {code}, stderr {err!r}"
    assert out == "", f"{what}: printed {out!r}"
    assert err.startswith("cocdesk: ") and err.endswith("\n") and err.count("\n") == 1, f"{what}: {err!r}"
    assert folder_state(folder) == before, f"{what}: the vault folder changed"
    assert not (tmp_path / "backup.db").exists(), f"{what}: a backup was written"


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_wrong_passphrase_exits_3_and_leaves_the_vault_byte_identical(
    closed_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """Each wrong passphrase (unrelated, empty, wrong case, trailing space, another member's): exit 3,
    one line on stderr, nothing on stdout, every file of the vault folder unchanged, no backup."""
    argv = commands(tmp_path)[command]
    monkeypatch.setenv("COCDESK_MEMBER", LEAD)
    monkeypatch.setenv("COCDESK_NEW_PASSPHRASE", "the new member's passphrase")
    for wrong in WRONG_PASSPHRASES:
        monkeypatch.setenv("COCDESK_PASSPHRASE", wrong)
        assert_refused_without_a_trace(closed_vault, tmp_path, argv, f"{command} with passphrase {wrong!r}")
    # The control: the right passphrase gets past the unlock.
    monkeypatch.setenv("COCDESK_PASSPHRASE", LEAD_PASSPHRASE)
    assert run(closed_vault, argv)[0] == exit_codes.OK


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_unknown_member_exits_3_and_leaves_the_vault_byte_identical(
    closed_vault: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """A name that is not a member (unknown, wrong case, stray spaces) with a real passphrase:
    exit 3, one line on stderr, nothing on stdout, the vault folder unchanged."""
    argv = commands(tmp_path)[command]
    monkeypatch.setenv("COCDESK_PASSPHRASE", LEAD_PASSPHRASE)
    monkeypatch.setenv("COCDESK_NEW_PASSPHRASE", "the new member's passphrase")
    for name in NOT_MEMBERS:
        monkeypatch.setenv("COCDESK_MEMBER", name)
        assert_refused_without_a_trace(closed_vault, tmp_path, argv, f"{command} as member {name!r}")


def test_wrong_passphrase_exits_3_from_the_installed_command(closed_vault: Path) -> None:
    """The same holds for a real process (`cocdesk list`, at the test KDF cost): exit status 3,
    one stderr line."""
    before = folder_state(closed_vault)
    env = {**os.environ, "COCDESK_PASSPHRASE": "wrong", "COCDESK_MEMBER": LEAD}
    done = subprocess.run(
        [sys.executable, "-m", "tests.fast_cocdesk", "--data-dir", str(closed_vault), "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == exit_codes.ACCESS_DENIED, done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith("cocdesk: ") and done.stderr.count("\n") == 1, done.stderr
    assert folder_state(closed_vault) == before


# -- the KDF cost --------------------------------------------------------------------------------
MODERATE = KdfParams(pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE)


def at_least_moderate(params: KdfParams) -> bool:
    return params.opslimit >= MODERATE.opslimit and params.memlimit >= MODERATE.memlimit


def test_production_kdf_parameters_are_at_least_moderate() -> None:
    """The production profile costs at least libsodium's MODERATE (3 passes, 256 MiB)."""
    assert at_least_moderate(kdf.PRODUCTION), kdf.PRODUCTION
    assert not at_least_moderate(FAST_FOR_TESTS)  # the check can fail


def test_calibrated_kdf_parameters_are_at_least_moderate() -> None:
    """What calibrate() picks at enrolment (one real calibration, ~0.5-1 s) is at least MODERATE."""
    chosen = kdf.calibrate()
    assert at_least_moderate(chosen), chosen
    assert chosen.opslimit <= kdf.MAX_OPSLIMIT


@pytest.mark.production_kdf
def test_enrolment_calibrates_whatever_the_environment_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """No environment variable selects the fast test profile (tests get it in-process, from
    tests/conftest.py): the old switch, in any spelling, still gets calibrated cost."""
    calibrated = KdfParams(7, 256 * kdf.MIB)
    monkeypatch.setattr(kdf, "calibrate", lambda *a, **k: calibrated)
    for value in ("1", "0", "", "true", "yes", " 1"):
        monkeypatch.setenv("COCDESK_INSECURE_FAST_KDF", value)
        assert kdf.enrolment_params() == calibrated, value
    monkeypatch.delenv("COCDESK_INSECURE_FAST_KDF")
    assert kdf.enrolment_params() == calibrated


# -- downgrades --------------------------------------------------------------------------------
# Stronger than the test profile (so it can be lowered) and still fast (1 MiB, 3 passes).
STORED = KdfParams(opslimit=3, memlimit=1024 * 1024)
DOWNGRADES = [
    KdfParams(1, STORED.memlimit),
    KdfParams(STORED.opslimit, 8192),
    KdfParams(1, 8192),
    KdfParams(0, 8192),  # below anything libsodium accepts
]


@pytest.fixture
def strong_desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk.create(
        tmp_path / "vault", "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=STORED, clock=lambda: FROZEN
    )
    yield desk
    desk.close()


def write_params(desk: Desk, params: KdfParams, checksum: bytes | None = None) -> None:
    """The attacker lowers the stored cost (and, as a forger, rewrites the unkeyed checksum)."""
    conn = sqlite3.connect(desk.path, isolation_level=None)
    try:
        conn.execute(
            "UPDATE members SET opslimit = ?, memlimit = ? WHERE id = 1", [params.opslimit, params.memlimit]
        )
        if checksum is not None:
            conn.execute("UPDATE members SET checksum = ? WHERE id = 1", [checksum])
    finally:
        conn.close()


def forged_checksum(row: member_store.MemberRow, params: KdfParams) -> bytes:
    """The checksum a forger computes for the lowered row (it is unkeyed: anyone can)."""
    return member_store._checksum(replace(row, key=replace(row.key, params=params)))


def refused(unlock: Callable[[], object]) -> str:
    try:
        unlock()
    except (WrongPassphrase, IntegrityFailure) as exc:
        return type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - anything else is a failure of this test
        return f"raised {type(exc).__name__}: {exc}"
    return "UNLOCKED"


@pytest.mark.parametrize("lowered", DOWNGRADES, ids=lambda p: f"ops{p.opslimit}-mem{p.memlimit}")
def test_lowering_the_stored_kdf_cost_is_refused_by_the_checksum(
    strong_desk: Desk, lowered: KdfParams
) -> None:
    """A plain edit of opslimit/memlimit in the members row fails the record checksum: IntegrityFailure."""
    strong_desk.unlock(LEAD, LEAD_PASSPHRASE)  # the control
    write_params(strong_desk, lowered)
    with pytest.raises(IntegrityFailure):
        strong_desk.unlock(LEAD, LEAD_PASSPHRASE)


@pytest.mark.parametrize("lowered", DOWNGRADES, ids=lambda p: f"ops{p.opslimit}-mem{p.memlimit}")
def test_lowering_the_kdf_cost_with_a_forged_checksum_still_opens_nothing(
    strong_desk: Desk, lowered: KdfParams
) -> None:
    """With the unkeyed checksum recomputed the row reads as sound, yet unlocking with the right
    passphrase fails (WrongPassphrase or IntegrityFailure) and never yields a session."""
    row = member_store.by_name(strong_desk.db, LEAD)
    assert row is not None and row.key.params == STORED
    write_params(strong_desk, lowered, forged_checksum(row, lowered))
    forged = member_store.by_name(strong_desk.db, LEAD)
    assert forged is not None and forged.key.params == lowered  # the forgery passes the checksum
    assert refused(lambda: strong_desk.unlock(LEAD, LEAD_PASSPHRASE)) in (
        "WrongPassphrase",
        "IntegrityFailure",
    )


@pytest.mark.parametrize("lowered", DOWNGRADES[:3], ids=lambda p: f"ops{p.opslimit}-mem{p.memlimit}")
def test_kdf_parameters_are_bound_in_the_wrapped_keys_associated_data(
    strong_desk: Desk, lowered: KdfParams, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if the lowered parameters yielded the very same key-encryption key (as if the KDF ignored
    them), the wrapped key refuses to open: the stored parameters are part of its associated data."""
    real_derive = kdf.derive
    monkeypatch.setattr(member_keys.kdf, "derive", lambda pw, salt, params: real_derive(pw, salt, STORED))
    strong_desk.unlock(LEAD, LEAD_PASSPHRASE)  # the control: with the stored parameters it opens
    row = member_store.by_name(strong_desk.db, LEAD)
    assert row is not None
    write_params(strong_desk, lowered, forged_checksum(row, lowered))
    assert refused(lambda: strong_desk.unlock(LEAD, LEAD_PASSPHRASE)) == "WrongPassphrase"
