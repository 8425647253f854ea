"""Battery item 3 (SECURITY.md): no plaintext of a sealed field on disk, ever.

Every string in every sealed field gets its own random marker (plus the
report's version marker that `sample_report` weaves into each string). Case A
is saved, edited three times, backed up, then purged; case B (the control)
stays. The files are scanned for every marker in UTF-8, UTF-16LE and base64
(standard and URL-safe, at all three alignments, of both encodings):

- the vault folder (db, -wal, -shm, -journal and anything else in it) and
  the backups, while the vault is open and after it is closed;
- again after a child writer (`case_writer.py churn`: add, edit x3, purge)
  is killed with SIGKILL — before and after the vault is re-opened.

A backup taken before the purge legitimately still holds case A *sealed*;
plaintext must appear nowhere. Exports are decrypted by design, so an export
(of case B, and the refused export of purged case A) is scanned only for the
markers of the purged case.
"""

from __future__ import annotations

import base64
import io
import random
import secrets
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from cocdesk.cli import main as cli_main
from cocdesk.domain.report import SEALED_KEYS, Report, parse_report, sealed_values
from cocdesk.service import CaseService, Desk, Session
from cocdesk.service.copies import backup
from cocdesk.service.handoff import HandoffService
from cocdesk.service.integrity import verify
from cocdesk.vault.kdf import FAST_FOR_TESTS
from tests.conftest import LEAD, LEAD_PASSPHRASE, sample_report
from tests.security.case_writer import kill9, spawn, wait_ready

EVENT = "PyColorado 2026"
EDITS = 3


# -- the scanner ---------------------------------------------------------------------------------
def _b64_fragments(raw: bytes) -> set[bytes]:
    """Base64 text that must occur wherever `raw` was base64-encoded, whatever the alignment.

    In any base64 stream, `raw` starts at byte 0, 1 or 2 of a 3-byte group; for
    each case, the whole groups from there on encode to a fixed run of text.
    """
    found: set[bytes] = set()
    for skip in range(3):
        usable = (len(raw) - skip) // 3 * 3
        chunk = raw[skip : skip + usable]
        found.add(base64.b64encode(chunk))
        found.add(base64.urlsafe_b64encode(chunk))
    return found


def patterns(marker: str) -> dict[bytes, str]:
    """Every byte string that betrays `marker`, mapped to the encoding's name."""
    utf8, utf16 = marker.encode("utf-8"), marker.encode("utf-16-le")
    found = {utf8: "utf-8", utf16: "utf-16le"}
    found.update({p: "base64(utf-8)" for p in _b64_fragments(utf8)})
    found.update({p: "base64(utf-16le)" for p in _b64_fragments(utf16)})
    return found


@dataclass(frozen=True)
class Hit:
    file: str
    marker: str
    label: str
    encoding: str
    offset: int


def scan(files: Iterable[Path], markers: dict[str, str]) -> list[Hit]:
    """Every occurrence of any marker (label = where the marker was put) in any of the files."""
    table = [(p, enc, m, label) for m, label in markers.items() for p, enc in patterns(m).items()]
    hits: list[Hit] = []
    for path in files:
        data = path.read_bytes()
        for pattern, encoding, marker, label in table:
            at = data.find(pattern)
            if at >= 0:
                hits.append(Hit(path.name, marker, label, encoding, at))
    return hits


def files_under(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file())


# -- reports with a distinct marker in every string ---------------------------------------------------
def new_marker() -> str:
    # 24 random hex digits: a chance collision with other bytes in the files is out of the question.
    return "mk" + secrets.token_hex(12)


def marked_report(version: str, markers: dict[str, str]) -> Report:
    """`sample_report(version marker)` with a further distinct marker appended to every sealed string.

    Each marker is recorded in `markers` (marker -> "version:field.path").
    """
    version_marker = new_marker()
    markers[version_marker] = f"{version}:every field"
    data = sample_report(version_marker).to_json()

    def mark(value: object, where: str) -> object:
        if isinstance(value, str):
            m = new_marker()
            markers[m] = f"{version}:{where}"
            return f"{value} {m}"
        if isinstance(value, dict):
            return {k: mark(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [mark(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    for key in SEALED_KEYS:
        data[key] = mark(data[key], key)
    return parse_report(data, {data["category"]})


def string_leaves(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in string_leaves(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in string_leaves(v)]
    return []


# -- the tests -------------------------------------------------------------------------------------
def test_scanner_finds_markers_in_every_encoding_and_inside_a_sqlite_file(tmp_path: Path) -> None:
    """Proof the scan can catch a leak: plaintext markers in each encoding and alignment are found."""
    markers = {new_marker(): f"canary{i}" for i in range(12)}
    items = list(markers)
    blob = io.BytesIO()
    rng = random.Random(7)
    expected: dict[str, str] = {}
    for i, marker in enumerate(items[:8]):
        lead_in = rng.randbytes(i % 3)  # base64 of the marker starts at every alignment
        encoded = {
            "utf-8": marker.encode(),
            "utf-16le": marker.encode("utf-16-le"),
            "base64(utf-8)": base64.b64encode(lead_in + marker.encode()),
            "base64(utf-16le)": base64.urlsafe_b64encode(lead_in + marker.encode("utf-16-le")),
        }
        name = list(encoded)[i % len(encoded)]
        blob.write(rng.randbytes(rng.randrange(1, 200)))
        blob.write(encoded[name])
        expected[marker] = name
    raw_file = tmp_path / "raw.bin"
    raw_file.write_bytes(blob.getvalue())
    found = {h.marker: h.encoding for h in scan([raw_file], markers)}
    assert found == expected

    # And inside a real SQLite file, in the main file and in its WAL.
    db_file = tmp_path / "canary.db"
    conn = sqlite3.connect(db_file)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (a TEXT, b BLOB)")
    conn.commit()
    conn.execute("INSERT INTO t VALUES (?, ?)", (f"name {items[8]}", items[9].encode("utf-16-le")))
    conn.execute("INSERT INTO t VALUES (?, ?)", (base64.b64encode(items[10].encode()).decode(), b""))
    conn.commit()
    wal_hits = scan([tmp_path / "canary.db-wal"], {m: "" for m in items[8:11]})
    conn.close()  # checkpoints the WAL into the main file
    in_db = {h.marker for h in scan([db_file], {m: "" for m in items[8:12]})}
    assert {h.marker for h in wal_hits} == set(items[8:11])
    assert in_db == set(items[8:11])  # items[11] was never written: no false hit


def test_marked_report_puts_a_distinct_marker_in_every_sealed_field() -> None:
    """Coverage of the scan: every sealed field that can hold text holds its own marker."""
    markers: dict[str, str] = {}
    report = marked_report("v0", markers)
    values = sealed_values(report)
    assert set(values) == set(SEALED_KEYS)
    per_field = {m: label.split(":", 1)[1] for m, label in markers.items()}
    for key in SEALED_KEYS:
        leaves = string_leaves(values[key])
        if not leaves:
            # A sealed yes/no (e.g. `transcribed`) cannot carry a marker; nothing else may lack one.
            assert isinstance(values[key], bool), f"{key} holds no text to mark"
            continue
        for leaf in leaves:
            own = [m for m, where in per_field.items() if m in leaf and where != "every field"]
            assert len(own) == 1, f"{key}: {leaf!r} has no marker of its own"
            assert any(m in leaf for m, where in per_field.items() if where == "every field")
    assert len(set(markers)) == len(markers)


def _export(vault: Path, case_id: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setenv("COCDESK_PASSPHRASE", LEAD_PASSPHRASE)
    monkeypatch.setenv("COCDESK_MEMBER", LEAD)
    out, err = io.StringIO(), io.StringIO()
    code = cli_main(["--data-dir", str(vault), "export", case_id, "--format", "json"], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _unlock(vault: Path) -> tuple[Desk, Session]:
    desk = Desk.open(vault)
    return desk, desk.unlock(LEAD, LEAD_PASSPHRASE)


def _describe(hits: list[Hit]) -> str:
    return "; ".join(f"{h.file}@{h.offset}: {h.label} as {h.encoding}" for h in hits[:20])


@pytest.mark.slow
def test_no_marker_of_a_sealed_field_reaches_any_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """0 marker hits (any encoding) in db, -wal, -shm, -journal, backups, bundles: open, closed, after kill -9."""
    vault, backups, exports = tmp_path / "vault", tmp_path / "backups", tmp_path / "exports"
    backups.mkdir()
    exports.mkdir()
    a_markers: dict[str, str] = {}
    b_markers: dict[str, str] = {}
    hits: dict[str, list[Hit]] = {}
    seen: set[str] = set()

    def check(phase: str, markers: dict[str, str]) -> None:
        found = files_under(vault, backups)
        seen.update(p.name for p in found)
        hits[phase] = scan(found, markers)

    desk = Desk.create(vault, EVENT, LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS)
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    cases = CaseService(session)
    case_a = cases.add_report(marked_report("A.v0", a_markers))
    for edit in range(1, EDITS + 1):
        latest = marked_report(f"A.v{edit}", a_markers)
        cases.update_report(case_a, latest)
    assert cases.open_case(case_a).report == latest
    case_b = cases.add_report(marked_report("B.v0", b_markers))
    for edit in range(1, EDITS + 1):
        cases.update_report(case_b, marked_report(f"B.v{edit}", b_markers))
    all_markers = a_markers | b_markers
    check("open, before the purge", all_markers)

    backup(desk, session, backups / "before-purge.db")
    # A handoff bundle of both cases, sealed to someone else: the whole cases, none in the clear.
    HandoffService(session).export(bytes(PrivateKey.generate().public_key), backups / "handoff.sealed")
    code, text, err = _export(vault, case_b, monkeypatch)
    assert code == 0, err
    assert any(m in text for m in b_markers), "the export should be decrypted (sanity check of the scan)"
    (exports / "case-b.json").write_text(text, encoding="utf-8")

    cases.purge(case_a)
    backup(desk, session, backups / "after-purge.db")
    code, text, err = _export(vault, case_a, monkeypatch)
    assert code != 0, "a purged case must not export"
    (exports / "purged-case-a.out").write_text(text + err, encoding="utf-8")
    code, text, err = _export(vault, case_b, monkeypatch)
    assert code == 0, err
    (exports / "case-b-after-purge.json").write_text(text, encoding="utf-8")
    hits["exports (for the purged case)"] = scan(files_under(exports), a_markers)

    check("open, after the purge", all_markers)
    assert {"cocdesk.db", "cocdesk.db-wal", "cocdesk.db-shm"} <= seen, f"scanned only {sorted(seen)}"
    desk.close()
    check("closed", all_markers)

    # A child writer churns (add, edit x3, purge every other case) and is killed mid-way.
    stderr_path = tmp_path / "churn.err"
    proc = spawn("churn", vault, new_marker(), "--autocheckpoint", "4", stderr_path=stderr_path)
    wait_ready(proc, stderr_path)
    time.sleep(random.Random(2026).uniform(0.4, 0.7))
    log = kill9(proc)
    assert log.used, f"the child saved nothing before the kill: {stderr_path.read_text()[-2000:]}"
    assert log.acked, "the child acknowledged no save before the kill"
    child_markers = {m: f"child:{m}" for m in log.used}
    every = all_markers | child_markers
    check("after kill -9, before restart", every)

    desk, session = _unlock(vault)
    check("restarted, open", every)
    assert verify(session) == []
    live = {c.id for c in CaseService(session).list_cases()}
    assert case_a not in live and case_b in live
    # A kill after a purge committed but before "PURGED" was printed (e.g. during its
    # VACUUM) leaves the case before the newest one gone: that one, and only it, may be missing.
    order = list(log.acked)
    missing = set(order) - log.purged - live
    assert missing <= set(order[-2:-1]), f"acknowledged cases missing after restart: {sorted(missing)}"
    desk.close()
    check("restarted, closed", every)

    assert {"before-purge.db", "after-purge.db", "handoff.sealed"} <= seen
    print(f"scanned {sorted(seen)}; child before the kill: {len(log.acked)} saves, {len(log.purged)} purges")
    failures = {phase: _describe(h) for phase, h in hits.items() if h}
    assert failures == {}, f"plaintext found: {failures}"


def test_purge_leaves_no_ciphertext_or_sealed_key_of_the_case(tmp_path: Path) -> None:
    """Crypto-shred: after purge, none of the case's stored blobs (old versions included) remain on disk."""
    desk = Desk.create(tmp_path / "vault", EVENT, LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS)
    session = desk.unlock(LEAD, LEAD_PASSPHRASE)
    cases = CaseService(session)
    keep = cases.add_report(sample_report(new_marker()))
    gone = cases.add_report(sample_report(new_marker()))
    blobs: set[bytes] = set()

    def remember() -> None:
        db = session.db
        for table, column in (("case_fields", "ciphertext"), ("case_keys", "sealed"), ("blind_index", "tag")):
            rows = db.execute(f"SELECT {column} FROM {table} WHERE case_id = ?", [gone])
            blobs.update(bytes(r[0]) for r in rows)

    remember()
    for _ in range(EDITS):
        cases.update_report(gone, sample_report(new_marker()))
        remember()
    rows = session.db.execute("SELECT ciphertext FROM case_fields WHERE case_id = ?", [keep])
    kept = {bytes(r[0]) for r in rows}
    assert blobs and not blobs & kept
    # A blind-index tag is a keyed hash of one normalised word or name: a word
    # both reports share ("example", "smith") has the same tag in the control
    # case, which rightly keeps it. Every other tag of the purged case must go.
    rows = session.db.execute("SELECT tag FROM blind_index WHERE case_id = ?", [keep])
    still_indexed = {bytes(r[0]) for r in rows}
    gone_tags = {
        bytes(r[0]) for r in session.db.execute("SELECT tag FROM blind_index WHERE case_id = ?", [gone])
    }
    assert gone_tags - still_indexed, "the purged case has tags of its own to look for"
    blobs -= still_indexed
    cases.purge(gone)
    folder = tmp_path / "vault"
    open_left = [(p.name, len(b)) for p in files_under(folder) for b in blobs if b in p.read_bytes()]
    desk.close()
    closed_left = [(p.name, len(b)) for p in files_under(folder) for b in blobs if b in p.read_bytes()]
    assert open_left == [], f"purged bytes remain while open: {open_left}"
    assert closed_left == [], f"purged bytes remain after close: {closed_left}"
    # The control case's ciphertexts are still there: the search itself works.
    data = (folder / "cocdesk.db").read_bytes()
    assert all(b in data for b in kept)
