"""Battery item 6 (SECURITY.md): sealed data moved to where it does not belong is refused.

Everything sealed is bound to its place: a field's ciphertext to its case id and
field name (AEAD associated data), a sealed case key to its case id (a label
inside the box) and to its recipient (SealedBox), the event key to its recipient.
Here an attacker with the file moves valid ciphertexts between rows with plain
SQL; each move must be refused with IntegrityFailure (100 %), never show another
field's, case's or member's plaintext, and never raise anything else.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path

import pytest

from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.cases import Tick
from cocdesk.service.integrity import verify
from cocdesk.vault import sealed_keys
from cocdesk.vault.fields import open_field
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report
from tests.security.attacker import attacker

RESPONDER = "Kim"
RESPONDER_PASSPHRASE = "a different passphrase for Kim"
PASSPHRASES = {LEAD: LEAD_PASSPHRASE, RESPONDER: RESPONDER_PASSPHRASE}
LEAD_ID, RESPONDER_ID = 1, 2
NAMES = {LEAD_ID: LEAD, RESPONDER_ID: RESPONDER}
REFUSED = "refused"


@dataclass
class Vault:
    desk: Desk
    path: Path
    cases: tuple[str, str]

    def as_member(self, member_id: int) -> CaseService:
        """A fresh unlock (no case key cached from before the edit)."""
        name = NAMES[member_id]
        return CaseService(self.desk.unlock(name, PASSPHRASES[name]))


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[Vault]:
    """A lead and a responder who both hold two cases, each case with a checklist and two notes."""
    folder = tmp_path / "vault"
    desk = Desk.create(
        folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    TeamService(session).add_member(RESPONDER, Role.RESPONDER, RESPONDER_PASSPHRASE, params=FAST_FOR_TESTS)
    service = CaseService(session)
    ticks = (Tick("offered a quiet room", session.now()),)
    first = service.add_report(sample_report("one"), ticks)
    second = service.add_report(sample_report("two", category="threat"), ticks)
    for case_id in (first, second):
        service.add_note(case_id, f"first note on {case_id}")
        service.add_note(case_id, f"second note on {case_id}")
    yield Vault(desk=desk, path=database_path(folder), cases=(first, second))
    desk.close()


def outcome(read: Callable[[], object]) -> str:
    try:
        read()
    except IntegrityFailure:
        return REFUSED
    except Exception as exc:  # noqa: BLE001 - any other exception is the failure being counted
        return f"raised {type(exc).__name__}: {exc}"
    return "ACCEPTED: showed data from the wrong place"


# -- the attacker's moves, each undone after its attempt ---------------------------------------
Cell = tuple[str, str, dict[str, object]]  # (table, column, WHERE column = value ...)


def get(conn: sqlite3.Connection, cell: Cell) -> bytes:
    table, column, where = cell
    clause = " AND ".join(f"{k} = ?" for k in where)
    row = conn.execute(f"SELECT {column} FROM {table} WHERE {clause}", list(where.values())).fetchone()
    assert row is not None and isinstance(row[0], bytes), f"no blob at {cell}"
    return bytes(row[0])


def put(conn: sqlite3.Connection, cell: Cell, value: bytes) -> None:
    table, column, where = cell
    clause = " AND ".join(f"{k} = ?" for k in where)
    changed = conn.execute(f"UPDATE {table} SET {column} = ? WHERE {clause}", [value, *where.values()])
    assert changed.rowcount == 1


def attempt(path: Path, moves: list[tuple[Cell, Cell]], read: Callable[[], object]) -> str:
    """Copy each source blob over its target (all at once: a copy, or a swap), read, restore."""
    with attacker(path) as conn:
        originals = {repr(target): (target, get(conn, target)) for _, target in moves}
        sources = [(get(conn, source), target) for source, target in moves]
        assert any(value != originals[repr(t)][1] for value, t in sources), "the move must change something"
        for value, target in sources:
            put(conn, target, value)
        try:
            return outcome(read)
        finally:
            for target, value in originals.values():
                put(conn, target, value)


def field(case_id: str, name: str) -> Cell:
    return ("case_fields", "ciphertext", {"case_id": case_id, "field": name})


def case_key(case_id: str, member_id: int) -> Cell:
    return ("case_keys", "sealed", {"case_id": case_id, "member_id": member_id})


def event_key(member_id: int) -> Cell:
    return ("event_keys", "sealed", {"member_id": member_id})


def field_names(v: Vault, case_id: str) -> list[str]:
    with attacker(v.path) as conn:
        return [
            r[0]
            for r in conn.execute("SELECT field FROM case_fields WHERE case_id = ? ORDER BY field", [case_id])
        ]


def assert_all_refused(results: Counter[str], expected: int) -> None:
    assert sum(results.values()) == expected
    assert results == Counter({REFUSED: expected}), dict(results)


def assert_intact(v: Vault) -> None:
    """Every move was undone: the vault verifies and both members open both cases."""
    for member_id in NAMES:
        service = v.as_member(member_id)
        for case_id in v.cases:
            service.open_case(case_id)
    assert verify(v.as_member(LEAD_ID).session) == []


# -- field ciphertexts ---------------------------------------------------------------------
def test_field_ciphertext_moved_to_the_same_field_of_another_case_is_refused(vault: Vault) -> None:
    """Each field of C-0002 copied onto the same field of C-0001 (and back, and swapped) is refused."""
    one, two = vault.cases
    names = field_names(vault, one)
    assert names == field_names(vault, two) and len(names) >= 14  # 11 report fields, checklist, 2 notes
    results: Counter[str] = Counter()
    for name in names:
        for source, target, reader in ((two, one, one), (one, two, two)):
            results[
                attempt(vault.path, [(field(source, name), field(target, name))], _open(vault, reader))
            ] += 1
        swap = [(field(one, name), field(two, name)), (field(two, name), field(one, name))]
        for reader in (one, two):
            results[attempt(vault.path, swap, _open(vault, reader))] += 1
    assert_all_refused(results, 4 * len(names))
    assert_intact(vault)


def test_field_ciphertext_moved_to_another_field_of_the_same_case_is_refused(vault: Vault) -> None:
    """Every field copied onto every other field of the same case (same key), and every swap, is refused."""
    one = vault.cases[0]
    names = field_names(vault, one)
    results: Counter[str] = Counter()
    for source, target in permutations(names, 2):
        results[attempt(vault.path, [(field(one, source), field(one, target))], _open(vault, one))] += 1
    for a, b in zip(names, names[1:], strict=False):
        swap = [(field(one, a), field(one, b)), (field(one, b), field(one, a))]
        results[attempt(vault.path, swap, _open(vault, one))] += 1
    assert_all_refused(results, len(names) * (len(names) - 1) + len(names) - 1)
    assert_intact(vault)


def test_field_binding_refuses_a_move_even_under_the_right_key(vault: Vault) -> None:
    """The associated data alone refuses a move: C-0001's ciphertexts, opened with C-0001's own key
    but as another case's or another field's, fail (so a shared key would not help an attacker)."""
    one, two = vault.cases
    session = vault.as_member(LEAD_ID).session
    key = session.case_key(one)
    with attacker(vault.path) as conn:
        blobs = {name: get(conn, field(one, name)) for name in field_names(vault, one)}
    results: Counter[str] = Counter()
    for name, blob in blobs.items():
        open_field(key, one, name, blob)  # the control: in its place it opens
        results[outcome(lambda n=name, b=blob: open_field(key, two, n, b))] += 1
        for other in blobs:
            if other != name:
                results[outcome(lambda o=other, b=blob: open_field(key, one, o, b))] += 1
    assert_all_refused(results, len(blobs) ** 2)


# -- sealed case keys --------------------------------------------------------------------------
def test_sealed_case_key_moved_between_members_is_refused(vault: Vault) -> None:
    """A's sealed copy of a case key written into B's row (and a swap) is refused when B opens the case."""
    results: Counter[str] = Counter()
    for case_id in vault.cases:
        for a, b in ((LEAD_ID, RESPONDER_ID), (RESPONDER_ID, LEAD_ID)):
            results[
                attempt(vault.path, [(case_key(case_id, a), case_key(case_id, b))], _open(vault, case_id, b))
            ] += 1
        swap = [
            (case_key(case_id, LEAD_ID), case_key(case_id, RESPONDER_ID)),
            (case_key(case_id, RESPONDER_ID), case_key(case_id, LEAD_ID)),
        ]
        for member_id in NAMES:
            results[attempt(vault.path, swap, _open(vault, case_id, member_id))] += 1
    assert_all_refused(results, 4 * len(vault.cases))
    assert_intact(vault)


def test_sealed_case_key_copied_to_another_case_for_the_same_member_is_refused(vault: Vault) -> None:
    """A member's sealed key of C-0002 written into their C-0001 row opens (same recipient) but is refused:
    the case id sealed inside it does not match; likewise the other way round and as a swap."""
    one, two = vault.cases
    results: Counter[str] = Counter()
    for member_id in NAMES:
        for source, target in ((two, one), (one, two)):
            move = [(case_key(source, member_id), case_key(target, member_id))]
            results[attempt(vault.path, move, _open(vault, target, member_id))] += 1
        swap = [
            (case_key(one, member_id), case_key(two, member_id)),
            (case_key(two, member_id), case_key(one, member_id)),
        ]
        for target in (one, two):
            results[attempt(vault.path, swap, _open(vault, target, member_id))] += 1
    assert_all_refused(results, 4 * len(NAMES))

    # The label is what refuses it: the box itself opens for its recipient.
    session = vault.as_member(LEAD_ID).session
    with attacker(vault.path) as conn:
        blob = get(conn, case_key(two, LEAD_ID))
    assert len(sealed_keys.open_sealed(session.private_key, two, blob)) == sealed_keys.SECRET_BYTES
    assert outcome(lambda: sealed_keys.open_sealed(session.private_key, one, blob)) == REFUSED
    assert_intact(vault)


# -- the event key ----------------------------------------------------------------------------
def test_event_key_copies_swapped_between_members_are_refused(vault: Vault) -> None:
    """A's sealed copy of the event key in B's row (either way, or swapped) is refused when B unlocks."""
    results: Counter[str] = Counter()
    for a, b in ((LEAD_ID, RESPONDER_ID), (RESPONDER_ID, LEAD_ID)):
        results[attempt(vault.path, [(event_key(a), event_key(b))], _unlock(vault, b))] += 1
    swap = [(event_key(LEAD_ID), event_key(RESPONDER_ID)), (event_key(RESPONDER_ID), event_key(LEAD_ID))]
    for member_id in NAMES:
        results[attempt(vault.path, swap, _unlock(vault, member_id))] += 1
    assert_all_refused(results, 4)
    assert_intact(vault)


# -- record MACs and checksums (the plain columns' seals) ----------------------------------------
def test_record_seals_swapped_between_rows_are_refused(vault: Vault) -> None:
    """Case MACs swapped between cases, member MACs or checksums swapped between members, and audit
    hashes swapped between entries are each refused (the seal is bound to its own row)."""
    one, two = vault.cases
    results: Counter[str] = Counter()

    def swap(table: str, column: str, key: str, a: object, b: object) -> list[tuple[Cell, Cell]]:
        return [
            ((table, column, {key: a}), (table, column, {key: b})),
            ((table, column, {key: b}), (table, column, {key: a})),
        ]

    results[
        attempt(vault.path, swap("cases", "mac", "id", one, two), vault.as_member(LEAD_ID).list_cases)
    ] += 1
    for column in ("mac", "checksum"):
        for member_id in NAMES:
            move = swap("members", column, "id", LEAD_ID, RESPONDER_ID)
            results[attempt(vault.path, move, _unlock(vault, member_id))] += 1
    results[attempt(vault.path, swap("audit", "hash", "seq", 3, 4), _verify(vault))] += 1
    assert_all_refused(results, 6)
    assert_intact(vault)


# -- readers ---------------------------------------------------------------------------------
def _open(v: Vault, case_id: str, member_id: int = LEAD_ID) -> Callable[[], object]:
    return lambda: v.as_member(member_id).open_case(case_id)


def _unlock(v: Vault, member_id: int) -> Callable[[], object]:
    return lambda: v.as_member(member_id)


def _verify(v: Vault) -> Callable[[], object]:
    def read() -> object:
        problems = verify(v.as_member(LEAD_ID).session)
        if problems:
            raise IntegrityFailure(problems[0])
        return problems

    return read
