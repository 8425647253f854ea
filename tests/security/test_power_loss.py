"""Battery item 1 (SECURITY.md): power loss in the middle of saves.

How it works:
1. `powerloss/shim.c` is compiled and LD_PRELOADed into one run of
   `powerloss/writer.py`, which opens the vault with cocdesk's
   `open_database` and commits a fixed series of transactions. The shim logs
   every write, truncate, sync, close and unlink on the database files, and the
   writer's "ACK n" after each COMMIT returns, all in one ordered log.
2. For each seed we cut the power after a random op `k` and build the files
   the disk could hold: per file, everything up to its last sync before `k`,
   plus a random subset (in order) of the writes after that sync, some of them
   torn at 512-byte sector boundaries. No -shm file: after a reboot SQLite
   rebuilds the wal-index from the WAL.
3. SQLite opens that image: `integrity_check` must say ok, and the logical
   state must be exactly the state after the last acknowledged commit (or the
   one commit in flight at `k`). An older state is a lost acknowledged commit;
   any other state is a torn transaction and counts as an integrity failure.

Not simulated: directory entries (a created or unlinked file is taken to be
durable at once), reordering of writes across a sync, lying disks, and
corruption of data that was already synced.
"""

from __future__ import annotations

import importlib.util
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

POWERLOSS_DIR = Path(__file__).parent / "powerloss"
DB_NAME = "vault.db"
WAL_NAME = f"{DB_NAME}-wal"
ACK_FILE = "acks"

FULL_SEEDS = 400
NORMAL_SEEDS = 300
# Each write not yet covered by a sync reaches the disk with this probability...
KEEP_UNSYNCED = 0.5
# ...and a kept write is torn (only some of its sectors land) with this one.
TEAR = 0.25
SECTOR = 512

OP_WRITE, OP_TRUNCATE, OP_SYNC, OP_CLOSE, OP_UNLINK, OP_OPEN = range(1, 7)
OP_ACK = 100  # not a shim op: the parser turns writes to the ack file into these
_HEAD = struct.Struct("<BH")
_ARGS = struct.Struct("<qq")


@dataclass(frozen=True)
class Op:
    """One logged file operation (or acknowledgement), in the order it happened."""

    kind: int
    name: str  # file name inside the watched directory
    arg: int  # write offset, truncate length, O_TRUNC flag or ACK number
    data: bytes = b""


@dataclass(frozen=True)
class Recording:
    """The op log of one writer run and the state digest after each commit."""

    ops: list[Op]
    digests: list[str]  # digests[n] is the state right after commit n


@dataclass
class Verdicts:
    """What the replay found, one entry per failing seed."""

    seeds: int = 0
    seeds_after_an_ack: int = 0  # cuts with at least one acknowledged commit to lose
    integrity_failures: list[str] = field(default_factory=list)
    lost_commits: list[str] = field(default_factory=list)


def _load_writer_module() -> ModuleType:
    # The writer is a script run under LD_PRELOAD; the test imports it only to
    # share `state_digest`, so both sides hash the state the same way.
    spec = importlib.util.spec_from_file_location("powerloss_writer", POWERLOSS_DIR / "writer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_writer = _load_writer_module()
state_digest: Callable[[sqlite3.Connection], str] = _writer.state_digest


def parse_log(raw: bytes, watched: Path) -> Recording:
    """Decode the shim's binary log into ops (paths made relative to `watched`)."""
    ops: list[Op] = []
    digests: list[str] = []
    prefix = str(watched) + "/"
    pos = 0
    while pos < len(raw):
        kind, path_len = _HEAD.unpack_from(raw, pos)
        pos += _HEAD.size
        path = raw[pos : pos + path_len].decode()
        pos += path_len
        arg, length = _ARGS.unpack_from(raw, pos)
        pos += _ARGS.size
        data = b""
        if kind == OP_WRITE:
            data = raw[pos : pos + length]
            pos += length
        assert path.startswith(prefix), path
        name = path[len(prefix) :]
        if name == ACK_FILE:
            if kind == OP_WRITE:
                # One os.write per acknowledgement: b"ACK <n> <digest>\n".
                _, n, digest = data.decode().split()
                assert int(n) == len(digests), "acknowledgements out of order"
                digests.append(digest)
                ops.append(Op(OP_ACK, name, int(n)))
            continue
        ops.append(Op(kind, name, arg, data))
    return Recording(ops, digests)


def _apply(image: bytearray, op: Op, rng: random.Random | None = None) -> None:
    """Apply a write or truncate to a file image; with `rng`, tear the write by sector."""
    if op.kind == OP_TRUNCATE:
        del image[op.arg :]
        image.extend(bytes(max(0, op.arg - len(image))))
        return
    pieces = [(op.arg, op.data)]
    if rng is not None and len(op.data) > SECTOR:
        # Sector-aligned pieces (by file offset), each landing or not.
        cuts = list(range(op.arg - op.arg % SECTOR + SECTOR, op.arg + len(op.data), SECTOR))
        bounds = [op.arg, *cuts, op.arg + len(op.data)]
        pieces = [
            (start, op.data[start - op.arg : end - op.arg])
            for start, end in zip(bounds, bounds[1:], strict=False)
            if rng.random() < 0.5
        ]
    for offset, data in pieces:
        if len(image) < offset:
            image.extend(bytes(offset - len(image)))
        image[offset : offset + len(data)] = data


def crash_image(ops: list[Op], k: int, rng: random.Random) -> dict[str, bytearray]:
    """The files a power cut right after ops[:k] could leave on disk."""
    # Each file's writes, truncates and syncs since it was (last) created.
    history: dict[str, list[Op]] = {}
    for op in ops[:k]:
        if op.kind == OP_UNLINK:
            history.pop(op.name, None)
        elif op.kind == OP_OPEN:
            history.setdefault(op.name, [])
            if op.arg:  # opened with O_TRUNC
                history[op.name].append(Op(OP_TRUNCATE, op.name, 0))
        elif op.kind in (OP_WRITE, OP_TRUNCATE, OP_SYNC):
            history.setdefault(op.name, []).append(op)
    images: dict[str, bytearray] = {}
    for name, file_ops in history.items():
        last_sync = max((i for i, op in enumerate(file_ops) if op.kind == OP_SYNC), default=-1)
        image = bytearray()
        for i, op in enumerate(file_ops):
            if op.kind == OP_SYNC:
                continue
            if i < last_sync:
                _apply(image, op)  # made durable by a later sync
            elif rng.random() < KEEP_UNSYNCED:
                _apply(image, op, rng if rng.random() < TEAR else None)
        images[name] = image
    return images


def recover(images: dict[str, bytearray], workdir: Path) -> tuple[list[str], str]:
    """Write the images to `workdir`, open them as SQLite does after a reboot.

    Returns the integrity_check rows and the state digest.
    """
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir()
    for name, image in images.items():
        (workdir / name).write_bytes(image)
    conn = sqlite3.connect(workdir / DB_NAME, isolation_level=None)
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        return rows, state_digest(conn)
    except sqlite3.DatabaseError as exc:
        return [f"{type(exc).__name__}: {exc}"], ""
    finally:
        conn.close()


def replay(recording: Recording, seeds: range, workdir: Path) -> Verdicts:
    """Cut the power once per seed and judge what SQLite recovers."""
    ops = recording.ops
    # Where each possible state sits in the commit sequence (-1: before the schema).
    position = {"absent": -1} | {digest: n for n, digest in enumerate(recording.digests)}
    ack_positions = [i for i, op in enumerate(ops) if op.kind == OP_ACK]
    verdicts = Verdicts()
    for seed in seeds:
        rng = random.Random(seed)
        k = rng.randrange(len(ops) + 1)
        last_ack = sum(1 for i in ack_positions if i < k) - 1
        integrity, digest = recover(crash_image(ops, k, rng), workdir)
        verdicts.seeds += 1
        verdicts.seeds_after_an_ack += last_ack >= 0
        where = f"seed {seed}: crash after op {k}/{len(ops)}, last ack {last_ack}"
        recovered = position.get(digest)
        if integrity != ["ok"]:
            verdicts.integrity_failures.append(f"{where}: {integrity[:3]}")
        elif recovered is None:
            # Not the state after any commit: a half-applied transaction.
            verdicts.integrity_failures.append(f"{where}: state matches no commit")
        elif recovered < last_ack:
            verdicts.lost_commits.append(f"{where}: recovered commit {recovered}")
        elif recovered > last_ack + 1:
            # Only one transaction can be in flight past the last ACK.
            verdicts.integrity_failures.append(f"{where}: recovered future commit {recovered}")
    return verdicts


@pytest.fixture(scope="session")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The recording shim, compiled once per test session."""
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is needed to build the power-loss recording shim (LD_PRELOAD)")
    out = tmp_path_factory.mktemp("shim") / "powerloss_shim.so"
    subprocess.run(
        [gcc, "-shared", "-fPIC", "-O2", "-o", str(out), str(POWERLOSS_DIR / "shim.c"), "-ldl"],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


def record(shim: Path, base: Path, mode: str) -> Recording:
    """Run the writer once under the shim and parse what it logged."""
    watched = (base / "vault").resolve()
    watched.mkdir(parents=True)
    log = base / "ops.log"
    env = {
        **os.environ,
        "LD_PRELOAD": str(shim),
        "POWERLOSS_DIR": str(watched),
        "POWERLOSS_LOG": str(log),
    }
    subprocess.run(
        [sys.executable, str(POWERLOSS_DIR / "writer.py"), str(watched / DB_NAME), mode],
        env=env,
        check=True,
        timeout=120,
    )
    return parse_log(log.read_bytes(), watched)


@pytest.fixture(scope="session")
def full_recording(shim: Path, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """One run of the workload with cocdesk's settings (WAL + synchronous=FULL)."""
    return record(shim, tmp_path_factory.mktemp("full"), "full")


@pytest.fixture(scope="session")
def normal_recording(shim: Path, tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """The same workload with synchronous=NORMAL, which SQLite says can lose commits."""
    return record(shim, tmp_path_factory.mktemp("normal"), "normal")


def test_recording_captures_wal_and_database_io(full_recording: Recording) -> None:
    """The log holds what the simulation needs, so a clean replay means something.

    Writes and syncs on both the database and its WAL, every acknowledgement,
    checkpoints copying WAL pages into the database, and WAL truncation.
    """
    ops = full_recording.ops

    def where(kind: int, name: str) -> list[int]:
        return [i for i, op in enumerate(ops) if op.kind == kind and op.name == name]

    for name in (DB_NAME, WAL_NAME):
        assert where(OP_WRITE, name), f"no writes to {name} logged"
        assert where(OP_SYNC, name), f"no syncs of {name} logged"
    acks = [i for i, op in enumerate(ops) if op.kind == OP_ACK]
    assert [ops[i].arg for i in acks] == list(range(_writer.TRANSACTIONS + 1))
    # Checkpoints: the database file is written and synced again after the WAL
    # came into use, several times before the last acknowledgement.
    first_wal_write = where(OP_WRITE, WAL_NAME)[0]
    db_syncs_mid_run = [i for i in where(OP_SYNC, DB_NAME) if first_wal_write < i < acks[-1]]
    assert len(db_syncs_mid_run) >= 3, "too few checkpoints during the run"
    assert where(OP_TRUNCATE, WAL_NAME), "the TRUNCATE checkpoint was not logged"


def test_wal_full_survives_power_loss_without_corruption_or_lost_commits(
    full_recording: Recording, tmp_path: Path
) -> None:
    """WAL + synchronous=FULL (cocdesk's setting): after a power cut at any of
    >= 300 random points, every image passes integrity_check and holds every
    acknowledged commit, exactly, with no half-applied transaction."""
    verdicts = replay(full_recording, range(FULL_SEEDS), tmp_path / "image")
    assert verdicts.seeds_after_an_ack >= 300
    assert verdicts.integrity_failures == []
    assert verdicts.lost_commits == []


def test_harness_catches_lost_commits_under_synchronous_normal(
    normal_recording: Recording, tmp_path: Path
) -> None:
    """Proof the harness can fail: with synchronous=NORMAL, which does not sync
    the WAL at commit, the same replay finds acknowledged commits that are gone
    after the power cut (and still no corruption: WAL stays consistent)."""
    verdicts = replay(normal_recording, range(NORMAL_SEEDS), tmp_path / "image")
    assert verdicts.integrity_failures == []
    assert len(verdicts.lost_commits) > 0
