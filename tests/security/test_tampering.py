"""Battery item 5 (SECURITY.md): someone edits the database file to change the record.

Part A flips every bit of every stored blob of a small vault (a lead and a
responder, two cases with notes and first-contact checklists, one intake draft),
one bit at a time, through an attacker's own SQLite connection, restoring it
after each. The operation that reads that blob (unlock, list_cases, open_case,
DraftService.load, verify) must refuse with IntegrityFailure: never a wrong
plaintext, never another exception. Edits of the plain columns that matter
(status, category, urgency, holder, times, name, role, KDF cost) are refused the
same way. Blind-index tags and deleted field rows have their own tests.

Part B flips 3,000 seeded random bytes of the closed, checkpointed database file
(a fresh copy of the pristine file per flip) and runs the real command line in
process (in two forked workers): `verify`, then, if that passes,
`export C-0001 --format json`. Every run must exit 0 with an export identical to
the pristine one, or exit 4 with one clean line on stderr; never a traceback,
never an internal error, never a wrong plaintext; and a flip that every check
accepts must have left every stored row unchanged. The fixture prints the
distribution of outcomes (run pytest with -s to see it).
"""

from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing
import os
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import cocdesk.service.desk as desk_module
from cocdesk import exit_codes
from cocdesk.cli import main
from cocdesk.domain.roles import Role
from cocdesk.errors import IntegrityFailure
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.cases import Tick
from cocdesk.service.drafts import DraftService
from cocdesk.service.integrity import verify
from cocdesk.vault import kdf
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report
from tests.security.attacker import attacker

RESPONDER = "Kim"
RESPONDER_PASSPHRASE = "a different passphrase for Kim"
PASSPHRASES = {LEAD: LEAD_PASSPHRASE, RESPONDER: RESPONDER_PASSPHRASE}

# Every BLOB column of the schema. A new one must be added here, with a probe.
EXPECTED_BLOB_COLUMNS = {
    ("members", "public_key"),
    ("members", "wrapped_key"),
    ("members", "salt"),
    ("members", "checksum"),
    ("members", "mac"),
    ("event_keys", "sealed"),
    ("cases", "mac"),
    ("cases", "state"),
    ("case_keys", "sealed"),
    ("case_fields", "ciphertext"),
    ("blind_index", "tag"),
    ("audit", "detail"),
    ("audit", "hash"),
    ("drafts", "sealed"),
    ("step_drafts", "sealed"),
    ("recusals", "mac"),
}
# Blobs whose every bit must be caught by the operation that reads them (part A).
# blind_index.tag has its own test below.
REFUSED_BLOB_COLUMNS = sorted(EXPECTED_BLOB_COLUMNS - {("blind_index", "tag")})

REFUSED = "refused"


# -- a small vault ---------------------------------------------------------------------
@dataclass
class SmallVault:
    """A lead (id 1) and a responder (id 2) who both hold both cases."""

    desk: Desk
    path: Path
    case_ids: list[str]
    names: dict[int, str]

    def unlock(self, member_id: int) -> CaseService:
        name = self.names[member_id]
        return CaseService(self.desk.unlock(name, PASSPHRASES[name]))


def build_small_vault(folder: Path) -> SmallVault:
    """The vault on disk: lead, responder (added first, so both hold every case), two cases with a
    note and a first-contact checklist each, and the lead's unsaved intake and meeting drafts."""
    desk = Desk.create(
        folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    TeamService(session).add_member(RESPONDER, Role.RESPONDER, RESPONDER_PASSPHRASE, params=FAST_FOR_TESTS)
    service = CaseService(session)
    ticks = (Tick("offered a quiet room", session.now()),)
    first = service.add_report(sample_report("m1"), first_contact=ticks)
    second = service.add_report(sample_report("m2", urgent=True, category="threat", witnesses=()), ticks)
    service.add_note(first, "called the venue m1")
    service.add_note(second, "spoke with the speaker m2")
    responder = desk.unlock(RESPONDER, RESPONDER_PASSPHRASE)
    AccessService(responder).declare_conflict(second)
    DraftService(session).save({"description": "half-typed m3"})
    DraftService(session, "step").save({"case": first, "step": "meeting", "notes": "half-typed m4"})
    names = {1: LEAD, 2: RESPONDER}
    return SmallVault(desk=desk, path=database_path(folder), case_ids=[first, second], names=names)


@pytest.fixture
def small_vault(tmp_path: Path) -> Iterator[SmallVault]:
    vault = build_small_vault(tmp_path / "vault")
    yield vault
    vault.desk.close()


# -- probes: the operation that reads a given row ------------------------------------------
Probe = Callable[[], object]


def probe_for(vault: SmallVault, table: str, row: dict[str, object]) -> Probe:
    """The cocdesk operation that reads `row` of `table`, returning what it shows the user.

    Blobs that unlocking reads (member rows, sealed keys, drafts) are probed with a fresh
    unlock each time, as after a restart. The others are read by a member who unlocked
    before the edit, as in an app left open: the session caches no field, case row or
    audit entry, so each probe reads the edited row from the file (and it halves the run time).
    """
    if table in ("case_fields", "cases", "audit"):
        open_app = vault.unlock(1)
        if table == "case_fields":
            case_id = str(row["case_id"])
            return lambda: open_app.open_case(case_id)
        if table == "cases":
            # The queue reads every record; opening the case also checks its sealed state.
            first = str(row["id"])
            return lambda: (open_app.list_cases(), open_app.open_case(first))

        def verify_as_lead() -> object:
            problems = verify(open_app.session)
            if problems:
                raise IntegrityFailure(problems[0])
            return problems

        return verify_as_lead
    if table == "members":
        member_id = int(row["id"])  # type: ignore[call-overload]

        def unlock_member() -> object:
            s = vault.unlock(member_id).session
            return (s.member_id, s.role, bytes(s.private_key.public_key))

        return unlock_member
    if table == "event_keys":
        member_id = int(row["member_id"])  # type: ignore[call-overload]
        return lambda: vault.unlock(member_id).session.event_keys.blind_tag("name", "probe")
    if table == "case_keys":
        member_id, case_id = int(row["member_id"]), str(row["case_id"])  # type: ignore[call-overload]
        return lambda: vault.unlock(member_id).open_case(case_id)
    if table == "recusals":
        lead_app, case_id = vault.unlock(1), str(row["case_id"])
        return lambda: AccessService(lead_app.session).recused(case_id)
    if table in ("drafts", "step_drafts"):
        member_id = int(row["member_id"])  # type: ignore[call-overload]
        kind = "intake" if table == "drafts" else "step"
        return lambda: DraftService(vault.unlock(member_id).session, kind).load()
    raise AssertionError(f"no probe for table {table}")


def outcome(probe: Probe, pristine: object) -> str:
    """'refused', or what went wrong: a wrong result, an accepted edit, another exception."""
    try:
        got = probe()
    except IntegrityFailure:
        return REFUSED
    except Exception as exc:  # noqa: BLE001 - anything but IntegrityFailure is the failure we count
        return f"raised {type(exc).__name__}: {exc}"
    return "accepted, showing the pristine result" if got == pristine else "WRONG RESULT shown"


def blob_cells(
    conn: sqlite3.Connection, table: str, column: str
) -> list[tuple[int, bytes, dict[str, object]]]:
    """(rowid, stored blob, the whole row) for every row where `column` holds a blob."""
    conn.row_factory = sqlite3.Row
    rows = conn.execute(f"SELECT rowid AS _rowid, * FROM {table} WHERE typeof({column}) = 'blob'").fetchall()
    conn.row_factory = None
    return [(int(r["_rowid"]), bytes(r[column]), dict(r)) for r in rows]


def flip_every_bit(vault: SmallVault, table: str, column: str) -> tuple[int, Counter[str]]:
    """Flip each bit of each blob in turn, probe, restore; return (flips, outcome counts)."""
    results: Counter[str] = Counter()
    flips = 0
    with attacker(vault.path) as conn:
        for rowid, original, row in blob_cells(conn, table, column):
            probe = probe_for(vault, table, row)
            pristine = probe()  # must work before any edit, or the refusals prove nothing
            update = f"UPDATE {table} SET {column} = ? WHERE rowid = ?"
            for i in range(len(original) * 8):
                damaged = bytearray(original)
                damaged[i // 8] ^= 1 << (i % 8)
                conn.execute(update, [bytes(damaged), rowid])
                try:
                    results[outcome(probe, pristine)] += 1
                finally:
                    conn.execute(update, [original, rowid])
                flips += 1
            assert probe() == pristine, f"{table}.{column} rowid {rowid} was not restored"
    return flips, results


# -- part A ----------------------------------------------------------------------------------
def test_schema_blob_columns_are_exactly_the_ones_the_battery_covers(small_vault: SmallVault) -> None:
    """A new BLOB column cannot slip past this battery: the schema's blobs are the known list."""
    with attacker(small_vault.path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        found = {
            (t, col[1])
            for t in tables
            if not t.startswith(("sqlite_", "_sqlite_"))
            for col in conn.execute(f"PRAGMA table_info({t})")
            if str(col[2]).upper() == "BLOB"
        }
    assert found == EXPECTED_BLOB_COLUMNS


@pytest.mark.parametrize(
    ("table", "column"), REFUSED_BLOB_COLUMNS, ids=[f"{t}.{c}" for t, c in REFUSED_BLOB_COLUMNS]
)
def test_every_bit_flip_of_a_stored_blob_is_refused(small_vault: SmallVault, table: str, column: str) -> None:
    """Each single-bit edit of the blob is refused with IntegrityFailure by the operation that reads it."""
    flips, results = flip_every_bit(small_vault, table, column)
    if flips == 0:
        # audit.detail: no code path writes one yet ("where present").
        pytest.skip(f"no row of this vault holds a {table}.{column} blob")
    assert results == Counter({REFUSED: flips}), f"{table}.{column}: {flips} flips gave {dict(results)}"


def test_every_bit_flip_of_a_blind_index_tag_is_detected(small_vault: SmallVault) -> None:
    """An edited blind-index tag is caught: verify() reports it, or the lookup refuses to answer."""
    vault = small_vault
    sample = sample_report("m1")
    identifiers = sample.identifiers()
    service = vault.unlock(1)
    assert service.earlier_reports_naming(identifiers) == 1  # the control: C-0001 names Sam Smith
    undetected = 0
    flips = 0
    with attacker(vault.path) as conn:
        cells = blob_cells(conn, "blind_index", "tag")
        assert cells, "the vault has no blind-index tags to tamper with"
        for rowid, original, _row in cells:
            for i in range(len(original) * 8):
                damaged = bytearray(original)
                damaged[i // 8] ^= 1 << (i % 8)
                conn.execute("UPDATE blind_index SET tag = ? WHERE rowid = ?", [bytes(damaged), rowid])
                try:
                    fresh = vault.unlock(1)
                    try:
                        fresh.earlier_reports_naming(identifiers)
                        problems = verify(fresh.session)
                    except IntegrityFailure:
                        problems = ["refused"]
                    undetected += not problems
                finally:
                    conn.execute("UPDATE blind_index SET tag = ? WHERE rowid = ?", [original, rowid])
                flips += 1
    assert undetected == 0, f"{undetected} of {flips} blind-index tag flips went undetected"


PLAIN_EDITS = [
    ("cases", "status", "closed"),
    ("cases", "category", "outside-scope"),
    ("cases", "urgent", 1),
    ("cases", "holder", 2),
    ("cases", "created_at", "2020-01-01T00:00:00Z"),
    ("cases", "updated_at", "2030-01-01T00:00:00Z"),
    # The decision's outcome and action codes are plain (counted without a key), MACed all the same.
    ("cases", "outcome", "escrow"),
    ("cases", "actions", "ban"),
    ("members", "role", "chair"),
    ("members", "name", "Robyn"),
    ("members", "active", 0),
    ("members", "opslimit", 2),
    ("members", "memlimit", 16384),
]


@pytest.mark.parametrize(
    ("table", "column", "value"), PLAIN_EDITS, ids=[f"{t}.{c}" for t, c, _ in PLAIN_EDITS]
)
def test_editing_a_plain_column_is_refused(
    small_vault: SmallVault, table: str, column: str, value: object
) -> None:
    """Changing a plain column that matters (to another valid value) is refused with IntegrityFailure."""
    vault = small_vault
    key_column, key = ("id", vault.case_ids[0]) if table == "cases" else ("id", 1)
    with attacker(vault.path) as conn:
        before = conn.execute(f"SELECT {column} FROM {table} WHERE {key_column} = ?", [key]).fetchone()[0]
        assert before != value, "the edit must change something"
        conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", [value, key])
        row = {"id": key}
        if table == "cases":
            # Reading the queue and opening the case both check the record.
            probes = [lambda: vault.unlock(1).list_cases(), lambda: vault.unlock(1).open_case(str(key))]
        else:
            probes = [probe_for(vault, table, row)]
        try:
            results = [outcome(p, None) for p in probes]
        finally:
            conn.execute(f"UPDATE {table} SET {column} = ? WHERE {key_column} = ?", [before, key])
    assert results == [REFUSED] * len(probes)
    assert verify(vault.unlock(1).session) == []


DELETED_FIELDS = ["description", "first_contact", "note:0001"]


@pytest.mark.parametrize("field", DELETED_FIELDS)
def test_deleting_a_sealed_field_row_is_refused(small_vault: SmallVault, field: str) -> None:
    """Deleting one sealed field of a case from the file is refused when the case is opened or verified."""
    vault = small_vault
    case_id = vault.case_ids[0]
    with attacker(vault.path) as conn:
        assert conn.execute(
            "DELETE FROM case_fields WHERE case_id = ? AND field = ?", [case_id, field]
        ).rowcount
    service = vault.unlock(1)
    opened = outcome(lambda: service.open_case(case_id), None)
    problems = verify(service.session)
    assert opened == REFUSED or problems, f"open_case: {opened}; verify: {problems}"


# -- part B ----------------------------------------------------------------------------------
RANDOM_FLIPS = 3000
SEED = 20260502
# Two forked workers (the battery's machine has two cores); each runs the CLI in process.
WORKERS = 2


@dataclass(frozen=True)
class FlipRun:
    """What the command line did with one damaged copy of the file."""

    offset: int
    mask: int
    verify_code: int
    verify_err: str
    export_code: int | None = None
    export_err: str = ""
    export_identical: bool | None = None
    # Set only when the lead's verify passed: the tables whose rows differ from the pristine
    # file, and whether the member who reads them refused (responder's verify, drafts).
    changed_tables: tuple[str, ...] = ()
    responder_verify_code: int | None = None
    draft_refused: bool | None = None

    @property
    def codes(self) -> tuple[int, ...]:
        """The exit codes of the lead's `verify` and (if it passed) `export`."""
        return (self.verify_code,) if self.export_code is None else (self.verify_code, self.export_code)

    @property
    def errs(self) -> tuple[tuple[int, str], ...]:
        pairs = [(self.verify_code, self.verify_err)]
        if self.export_code is not None:
            pairs.append((self.export_code, self.export_err))
        return tuple(pairs)

    @property
    def undetected_change(self) -> bool:
        """The stored rows changed, yet every member's verify passes and the export is unchanged."""
        return (
            bool(self.changed_tables)
            and self.export_code == exit_codes.OK
            and self.responder_verify_code == exit_codes.OK
            and not self.draft_refused
        )


def run_cli(folder: Path, member: str, *argv: str) -> tuple[int, str, str]:
    """`cocdesk --data-dir folder ARGV` in process; stray writes to sys.stdout/stderr are captured too."""
    os.environ["COCDESK_MEMBER"] = member
    os.environ["COCDESK_PASSPHRASE"] = PASSPHRASES[member]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(folder), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


Dump = dict[str, list[tuple[object, ...]]]


def table_columns(path: Path) -> dict[str, list[str]]:
    """The pristine file's tables and their columns, to read damaged copies by the same names."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [c[1] for c in conn.execute(f"PRAGMA table_info([{t}])")] for t in sorted(tables)}
    finally:
        conn.close()


def logical_dump(path: Path, columns: dict[str, list[str]]) -> Dump:
    """The schema as stored, and every row of every table by the pristine file's column names.

    Plain sqlite3, text read as bytes, explicit [column] names (no `SELECT *`, whose damaged column
    names may not decode; no "quoted" names, which SQLite would take for string literals if missing).
    """
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.text_factory = bytes
    try:
        dump = {
            "sqlite_master": conn.execute(
                "SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master"
            ).fetchall()
        }
        for table, names in columns.items():
            if table == "_sqlite_migrations":
                # When each migration ran: sqlite-utils' bookkeeping, written at open before any
                # key exists, so nothing can authenticate it; which migrations ran is checked.
                names = [n for n in names if n != "applied_at"]
            select = f"SELECT {', '.join(f'[{n}]' for n in names)} FROM [{table}]"
            dump[table] = conn.execute(select).fetchall()
        return {t: sorted(rows, key=repr) for t, rows in dump.items()}
    finally:
        conn.close()


def a_draft_is_refused(folder: Path) -> bool:
    """Whether loading some member's intake or step draft is refused (drafts are read by no CLI command)."""
    desk = Desk.open(folder)
    try:
        for name, passphrase in PASSPHRASES.items():
            for kind in ("intake", "step"):
                try:
                    DraftService(desk.unlock(name, passphrase), kind).load()
                except IntegrityFailure:
                    return True
        return False
    finally:
        desk.close()


@dataclass(frozen=True)
class Pristine:
    data: bytes
    export: str
    columns: dict[str, list[str]]
    dump: Dump


def place(folder: Path, data: bytes) -> None:
    """A fresh file (new inode, no -wal or -shm) holding `data`."""
    db = database_path(folder)
    for name in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        name.unlink(missing_ok=True)
    db.write_bytes(data)


def one_flip(folder: Path, pristine: Pristine, offset: int, mask: int) -> FlipRun:
    damaged = bytearray(pristine.data)
    damaged[offset] ^= mask
    place(folder, bytes(damaged))
    code, _, err = run_cli(folder, LEAD, "verify")
    if code != exit_codes.OK:
        return FlipRun(offset, mask, code, err)
    # The stored rows are read before the export: an export records that the case
    # was opened (an audit entry), which is the export's own write, not the flip's.
    try:
        dump = logical_dump(database_path(folder), pristine.columns)
        changed = tuple(
            t for t in sorted(set(dump) | set(pristine.dump)) if dump.get(t) != pristine.dump.get(t)
        )
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        # (The sqlite3 module raises UnicodeDecodeError when SQLite's message is not UTF-8.)
        changed = (f"(unreadable: {type(exc).__name__}: {exc})",)
    e_code, e_out, e_err = run_cli(folder, LEAD, "export", "C-0001", "--format", "json")
    identical = e_code == exit_codes.OK and e_out == pristine.export
    if not changed:
        return FlipRun(offset, mask, code, err, e_code, e_err, identical)
    # Some blobs only their owner can authenticate (the responder's sealed keys, a draft):
    # such an edit counts as caught when the member who reads it is refused.
    responder_code, _, _ = run_cli(folder, RESPONDER, "verify")
    return FlipRun(
        offset, mask, code, err, e_code, e_err, identical, changed, responder_code, a_draft_is_refused(folder)
    )


def flip_worker(job: tuple[Path, Pristine, list[tuple[int, int]]]) -> list[FlipRun]:
    folder, pristine, flips = job
    folder.mkdir(parents=True, exist_ok=True)
    return [one_flip(folder, pristine, offset, mask) for offset, mask in flips]


@dataclass(frozen=True)
class FlipCampaign:
    runs: list[FlipRun]
    seconds: float
    file_bytes: int


@pytest.fixture(scope="module")
def random_flips(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlipCampaign]:
    """3,000 seeded random byte flips (XOR with 1-255) of the closed vault file, each run through the CLI."""
    base = tmp_path_factory.mktemp("random-flips")
    with pytest.MonkeyPatch.context() as mp:
        # Module-scoped, so before the autouse fast_kdf fixture: the test KDF cost set here too.
        mp.setattr(kdf, "FLOOR", kdf.FAST_FOR_TESTS)
        mp.setattr(kdf, "enrolment_params", lambda: kdf.FAST_FOR_TESTS)
        # Speed only, behaviour unchanged. Messages stay English; LANGUAGE=C spares argparse a gettext
        # catalogue search per parser (~15 %). parse_playbook is a pure function returning a frozen
        # Playbook: caching it by (text, source) saves the TOML parse of the pristine playbook on every
        # run (~30 %), while a damaged playbook text is new input, parsed (and refused) as before.
        mp.setenv("LANGUAGE", "C")
        mp.setattr(desk_module, "parse_playbook", functools.lru_cache(maxsize=64)(desk_module.parse_playbook))
        for name in ("COCDESK_PASSPHRASE", "COCDESK_MEMBER", "COCDESK_NEW_PASSPHRASE"):
            mp.delenv(name, raising=False)
        vault = build_small_vault(base / "pristine")
        vault.desk.close()  # checkpoint(TRUNCATE) and close: the whole vault is in the one file
        assert not vault.path.with_name(vault.path.name + "-wal").exists()
        data = vault.path.read_bytes()
        work = base / "check"
        work.mkdir()
        place(work, data)
        assert run_cli(work, LEAD, "verify")[0] == exit_codes.OK
        code, export, err = run_cli(work, LEAD, "export", "C-0001", "--format", "json")
        assert (code, err) == (exit_codes.OK, ""), err
        assert run_cli(work, LEAD, "verify")[0] == exit_codes.OK
        assert run_cli(work, RESPONDER, "verify")[0] == exit_codes.OK
        assert not a_draft_is_refused(work)
        columns = table_columns(vault.path)
        pristine = Pristine(data=data, export=export, columns=columns, dump=logical_dump(vault.path, columns))

        rng = random.Random(SEED)
        flips = [(rng.randrange(len(data)), rng.randrange(1, 256)) for _ in range(RANDOM_FLIPS)]
        jobs = [(base / f"worker-{w}", pristine, flips[w::WORKERS]) for w in range(WORKERS)]
        started = time.perf_counter()
        # fork: the workers inherit the environment set above and every imported module.
        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            parts = pool.map(flip_worker, jobs)
        seconds = time.perf_counter() - started
    runs = [parts[i % WORKERS][i // WORKERS] for i in range(RANDOM_FLIPS)]  # runs[i] is flips[i] again
    campaign = FlipCampaign(runs=runs, seconds=seconds, file_bytes=len(data))
    print(f"\n{summary(campaign)}")
    yield campaign


def summary(c: FlipCampaign) -> str:
    verify_codes = Counter(r.verify_code for r in c.runs)
    export_codes = Counter(r.export_code for r in c.runs if r.export_code is not None)
    internal = sum(any("internal error" in e for _, e in r.errs) for r in c.runs)
    multi_line = sum(any(e.count("\n") > 1 for _, e in r.errs) for r in c.runs)
    changed = [r for r in c.runs if r.changed_tables]
    undetected = Counter(t for r in changed if r.undetected_change for t in r.changed_tables)
    return (
        f"{len(c.runs)} random byte flips of a {c.file_bytes}-byte vault in {c.seconds:.1f} s "
        f"({WORKERS} workers): verify exit codes {dict(sorted(verify_codes.items()))}; export exit codes "
        f"{dict(sorted(export_codes.items()))}; internal errors {internal}; multi-line stderr {multi_line}; "
        f"verify passed but stored rows changed {len(changed)} (caught by the responder's verify "
        f"{sum(r.responder_verify_code == exit_codes.INTEGRITY for r in changed)}, by a draft load "
        f"{sum(bool(r.draft_refused) for r in changed)}; undetected, by table {dict(undetected)})"
    )


def describe(runs: list[FlipRun], limit: int = 6) -> str:
    return f"{len(runs)} runs, e.g. " + "; ".join(
        f"@{r.offset}^{r.mask:#04x} -> {r.codes} {r.changed_tables} {(r.export_err or r.verify_err)[:100]!r}"
        for r in runs[:limit]
    )


def test_random_file_flips_never_show_a_wrong_plaintext(random_flips: FlipCampaign) -> None:
    """0 wrong plaintexts: whenever verify passes, the export of C-0001 is the pristine one, or refused."""
    assert len(random_flips.runs) == RANDOM_FLIPS
    wrong = [r for r in random_flips.runs if r.export_code == exit_codes.OK and not r.export_identical]
    assert wrong == [], describe(wrong)


def test_random_file_flips_never_print_a_traceback(random_flips: FlipCampaign) -> None:
    """0 tracebacks: a refused run's stderr starts 'cocdesk: ' with no traceback; a passing run's is empty."""
    bad = [
        r
        for r in random_flips.runs
        if any(
            "Traceback" in err or (err != "" if code == exit_codes.OK else not err.startswith("cocdesk: "))
            for code, err in r.errs
        )
    ]
    assert bad == [], describe(bad)


def _one_clean_line(err: str) -> bool:
    body = err.removesuffix("\n")
    return err.endswith("\n") and all(ch.isprintable() for ch in body)


def test_random_file_flips_report_damage_in_one_clean_line(random_flips: FlipCampaign) -> None:
    """A refused run writes exactly one line of printable text to stderr: no stored text, no escape bytes."""
    bad = [
        r
        for r in random_flips.runs
        if any(code != exit_codes.OK and not _one_clean_line(e) for code, e in r.errs)
    ]
    assert bad == [], describe(bad)


def test_random_file_flips_cause_no_internal_error(random_flips: FlipCampaign) -> None:
    """0 crashes: no damaged file makes the CLI fall through to its last-resort 'internal error'."""
    crashed = [r for r in random_flips.runs if any("internal error" in e for _, e in r.errs)]
    assert crashed == [], describe(crashed)


def test_random_file_flips_exit_ok_or_integrity_failure(random_flips: FlipCampaign) -> None:
    """Every run exits 0 (flip in unused space) or 4 (integrity failure); never 1, 2 or 3."""
    codes = Counter(c for r in random_flips.runs for c in r.codes)
    odd = [r for r in random_flips.runs if set(r.codes) - {exit_codes.OK, exit_codes.INTEGRITY}]
    assert odd == [], f"exit codes {dict(codes)}: {describe(odd)}"


def test_random_file_flips_that_pass_verify_left_the_stored_rows_unchanged(
    random_flips: FlipCampaign,
) -> None:
    """A flip that every member's checks accept landed in unused space: every stored row is unchanged."""
    missed = [r for r in random_flips.runs if r.undetected_change]
    assert missed == [], describe(missed)
