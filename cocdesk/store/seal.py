"""The vault's seal: one MAC over the latest state of every record, kept current by each write.

Each record MAC (a case row, a member, the settings, the audit head) proves that
cocdesk wrote that row once; none proves it is the *latest* one. Someone who holds
the file and an older copy of it could put back a case's rows, one older
ciphertext, an older audit head, or delete one member's key copy, and every MAC
would still check. The seal binds them together:

- each case has a state hash (keyed, under the event key): its row, its sealed
  fields, key copies, blind-index tags and recusals. It is kept in `cases.state`;
- the seal (in `meta`, under its own MAC) holds the sum of every case's state
  and a hash of each other sealed table: the settings (with the audit head and
  the counters), the members, their copies of the event key.

Putting back any part of the file from an older copy then disagrees with the
seal, unless *everything* is put back — a whole older file, which only
`restore` may do and which this laptop's own record of the vault can catch.

The seal is kept current without any writer having to remember it: on an
unlocked connection, temporary triggers (never stored in the file) note what each
write transaction touches, and `store.connection.write` calls `before_commit`,
which re-hashes only what changed. Before the first change to a case or table in
a transaction, its current state is checked against the seal, so a change made
in the file while cocdesk was open is refused instead of sealed in.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlite_utils

from cocdesk.errors import IntegrityFailure
from cocdesk.store import connection, meta
from cocdesk.store.encoding import canonical
from cocdesk.vault.keyed_hash import EventKeys, same

KEY = "vault_seal"
PENDING = "pending"  # set by the migration that added the seal: sealed at the next unlock
SEALED_SINCE = "sealed_since"  # in the MACed settings: a vault once sealed is never 'pending' again
MODULUS = 1 << 256
CASE_COLUMNS = (
    "id, seq, created_at, updated_at, status, category, urgent, holder, mac, fields, outcome, actions, uid"
)
# What else is sealed, each table in a fixed order. Drafts are not: each is sealed to
# its one member and replaced as they type; the audit log has its chain and its head
# (a settings row).
TABLES = {
    "meta": f"SELECT key, value FROM meta WHERE key NOT IN ('{KEY}', '{meta.COMPACT_PENDING}') ORDER BY key",
    "members": "SELECT * FROM members ORDER BY id",
    "event_keys": "SELECT member_id, sealed FROM event_keys ORDER BY member_id",
}
CASE_PARTS = ("case_fields", "case_keys", "blind_index", "recusals")
# Everything stored for a case besides its record and fields, in one read, in a fixed order.
_OTHER_PARTS = (
    "SELECT 1, member_id, sealed, NULL FROM case_keys WHERE case_id = ?1 "
    "UNION ALL SELECT 2, tag, NULL, NULL FROM blind_index WHERE case_id = ?1 "
    "UNION ALL SELECT 3, member_id, at, mac FROM recusals WHERE case_id = ?1 "
    "ORDER BY 1, 2"
)
ROLLED_BACK = {
    "cases": "the cases are not the ones this vault last sealed: a case's rows were put back "
    "from an older copy of the file, or a case was removed",
    "meta": "the vault's settings are not the ones it last sealed: older settings or an older "
    "audit-log head were copied back, or the newest audit entries cut off",
    "members": "the team's records are not the ones this vault last sealed: a member's record "
    "was put back from an older copy of the file",
    "event_keys": "the members' copies of the event key are not the ones this vault last sealed",
}


# -- hashing --------------------------------------------------------------------------
def case_state(
    db: sqlite_utils.Database, keys: EventKeys, case_id: str, fields: Mapping[str, bytes] | None = None
) -> bytes | None:
    """The keyed hash of everything stored for one case (None if it has no row).

    `fields`: the case's sealed fields as the caller just read them (spares a read).
    """
    return _states(db, keys, case_id, fields)[0]


def _states(
    db: sqlite_utils.Database, keys: EventKeys, case_id: str, fields: Mapping[str, bytes] | None = None
) -> tuple[bytes | None, bytes | None]:
    """(the case's state as its rows are now, the state stored with it): one read of the record."""
    row = db.execute(f"SELECT {CASE_COLUMNS}, state FROM cases WHERE id = ?", [case_id]).fetchone()
    if row is None:
        return None, None
    if fields is None:
        fields = {str(f): bytes(c) for f, c in db.execute(_FIELDS, [case_id])}
    others = db.execute(_OTHER_PARTS, [case_id]).fetchall()
    parts: list[object] = ["case", *row[:-1], len(fields)]
    for name in sorted(fields):
        parts += (name, fields[name])
    parts.append(len(others))
    for other in others:
        parts += other
    return keys.state_hash(canonical(parts)), _state_value(row[-1])


_FIELDS = "SELECT field, ciphertext FROM case_fields WHERE case_id = ?"


def table_state(db: sqlite_utils.Database, keys: EventKeys, table: str) -> bytes:
    rows = db.execute(TABLES[table]).fetchall()
    return keys.state_hash(canonical((table, len(rows), *(value for r in rows for value in r))))


def _as_int(state: bytes | None) -> int:
    return int.from_bytes(state, "big") if state else 0


def _state_value(stored: object) -> bytes | None:
    # Anything but the 32 bytes cocdesk writes (a damaged file may hold text there) is no state.
    return stored if isinstance(stored, bytes) and len(stored) == 32 else None


# -- the seal record ---------------------------------------------------------------------
@dataclass
class Seal:
    cases: int
    tables: dict[str, bytes]

    def mac(self, keys: EventKeys) -> bytes:
        ordered = [(t, self.tables.get(t, b"")) for t in TABLES]
        return keys.record_mac(canonical(("vault-seal", self.cases, *(v for pair in ordered for v in pair))))


def read_seal(db: sqlite_utils.Database, keys: EventKeys) -> Seal | None:
    """The stored seal, its MAC checked; None while a migrated vault awaits its first seal."""
    text = meta.get(db, KEY)
    if text == PENDING and meta.get(db, SEALED_SINCE) is None:
        return None
    if text is None or text == PENDING:
        raise IntegrityFailure("the vault's seal is missing: it was removed outside cocdesk")
    try:
        data = json.loads(text)
        found = Seal(int(data["cases"], 16), {t: bytes.fromhex(data[t]) for t in TABLES})
        mac = bytes.fromhex(data["mac"])
    except (ValueError, KeyError, TypeError):
        raise IntegrityFailure("the vault's seal is damaged") from None
    if not same(found.mac(keys), mac):
        raise IntegrityFailure("the vault's seal was altered outside cocdesk")
    return found


def _write_seal(db: sqlite_utils.Database, keys: EventKeys, s: Seal) -> None:
    data = {"cases": format(s.cases, "x"), **{t: s.tables[t].hex() for t in TABLES}}
    data["mac"] = s.mac(keys).hex()
    meta.put(db, KEY, json.dumps(data, sort_keys=True))


def establish(db: sqlite_utils.Database, keys: EventKeys, at: str) -> None:
    """Seal the vault as it stands (a new vault, or one migrated from before the seal).

    Inside the caller's write transaction. Every case's state is computed afresh.
    """
    total = 0
    for (case_id,) in db.execute("SELECT id FROM cases ORDER BY seq").fetchall():
        state = case_state(db, keys, str(case_id))
        db.execute("UPDATE cases SET state = ? WHERE id = ?", [state, case_id])
        total = (total + _as_int(state)) % MODULUS
    if meta.get(db, SEALED_SINCE) is None:
        meta.put(db, SEALED_SINCE, at)
        meta.seal(db, keys)
    _write_seal(db, keys, Seal(total, {t: table_state(db, keys, t) for t in TABLES}))


def needs_establishing(db: sqlite_utils.Database) -> bool:
    return meta.get(db, KEY) == PENDING and meta.get(db, SEALED_SINCE) is None


# -- checking ---------------------------------------------------------------------------
def problems(
    db: sqlite_utils.Database, keys: EventKeys, each_case: bool, skip: frozenset[str] = frozenset()
) -> list[str]:
    """What disagrees with the seal, one line each. `each_case` re-hashes every case (verify).

    Without it (on unlock) only the stored case states are summed: that catches a
    case put back whole from an older copy; a case whose rows were mixed is caught
    when it is opened, and by verify. Cases in `skip` were checked or reported already.
    """
    try:
        sealed = read_seal(db, keys)
    except IntegrityFailure as exc:
        return [str(exc)]
    if sealed is None:
        return []
    # The settings first: older ones bring an older seal, which then disagrees with everything.
    found = [
        ROLLED_BACK[table]
        for table in TABLES
        if not same(table_state(db, keys, table), sealed.tables.get(table, b""))
    ]
    total = 0
    for case_id, stored in db.execute("SELECT id, state FROM cases ORDER BY seq").fetchall():
        stored_state = _state_value(stored)
        total = (total + _as_int(stored_state)) % MODULUS
        if each_case and str(case_id) not in skip:
            actual = case_state(db, keys, str(case_id))
            if stored_state is None or actual is None or not same(actual, stored_state):
                found.append(case_problem(str(case_id)))
    if total != sealed.cases:
        found.append(ROLLED_BACK["cases"])
    return found


def case_problem(case_id: str) -> str:
    return (
        f"{case_id} does not match its sealed state: a sealed field, key copy, index tag or "
        "recusal was replaced with an older one, added or deleted outside cocdesk"
    )


def check(db: sqlite_utils.Database, keys: EventKeys) -> None:
    """Raise IntegrityFailure on the first disagreement with the seal (the quick check of unlock)."""
    found = problems(db, keys, each_case=False)
    if found:
        raise IntegrityFailure(found[0])


def check_case(
    db: sqlite_utils.Database, keys: EventKeys, case_id: str, fields: Mapping[str, bytes] | None = None
) -> None:
    """Raise IntegrityFailure unless the case's rows are the ones cocdesk last wrote.

    `fields`: the case's sealed fields, if the caller just read them all.
    """
    if _touched_now(db, case_id):
        return  # (changed in this transaction: its state before was checked at the first change)
    actual, stored = _states(db, keys, case_id, fields)
    if actual is not None and (stored is None or not same(actual, stored)) and not needs_establishing(db):
        raise IntegrityFailure(case_problem(case_id))


def _touched_now(db: sqlite_utils.Database, case_id: str) -> bool:
    keeper = _keepers.get(db)
    return keeper is not None and keeper.writing and case_id in keeper.before


# -- keeping it current --------------------------------------------------------------------
@dataclass
class _Keeper:
    """The seal's bookkeeping on one unlocked connection (one per connection, shared by sessions)."""

    keys: EventKeys
    users: int = 0
    # Per transaction: each touched case's state before its first change.
    before: dict[str, int] = field(default_factory=dict)
    sealed: Seal | None = None  # the seal as this transaction found it (read and checked once)
    writing: bool = False  # inside `write` (not a read, nor a change made outside cocdesk)
    failure: IntegrityFailure | None = None

    def first_touch(self, db: sqlite_utils.Database, what: str) -> int:
        """Called by a trigger before the first change to a case or table in a transaction."""
        try:
            kind, _, name = what.partition(":")
            if needs_establishing(db):
                return 0
            if kind == "c":
                actual, stored = _states(db, self.keys, name)
                if actual is not None and (stored is None or not same(actual, stored)):
                    raise IntegrityFailure(case_problem(name))
                if self.writing:
                    self.before[name] = _as_int(stored)
            else:
                sealed = self._seal(db)
                if sealed is not None and not same(table_state(db, self.keys, name), sealed.tables[name]):
                    raise IntegrityFailure(ROLLED_BACK[name])
            return 0
        except IntegrityFailure as exc:
            # SQLite turns a function's exception into a generic error: keep ours for write().
            self.failure = exc
            raise

    def begin(self, db: sqlite_utils.Database) -> None:
        # Only what this transaction changes is sealed: a change made on this connection
        # outside `write` (never by cocdesk) stays unsealed, and so is caught.
        db.execute("DELETE FROM temp.cocdesk_touched")
        self.before.clear()
        self.sealed = None
        self.writing = True

    def end(self, db: sqlite_utils.Database) -> None:
        """The write transaction committed or rolled back."""
        self.writing = False
        self.before.clear()
        self.sealed = None

    def _seal(self, db: sqlite_utils.Database) -> Seal | None:
        if self.sealed is None:
            self.sealed = read_seal(db, self.keys)
        return self.sealed

    def before_commit(self, db: sqlite_utils.Database) -> None:
        touched = [str(r[0]) for r in db.execute("SELECT what FROM temp.cocdesk_touched")]
        if not touched:
            return
        if needs_establishing(db):
            db.execute("DELETE FROM temp.cocdesk_touched")
            return
        sealed = self._seal(db)
        if sealed is None:  # pragma: no cover - needs_establishing said otherwise
            return
        for what in touched:
            kind, _, name = what.partition(":")
            if kind == "c":
                state = case_state(db, self.keys, name)
                if state is not None:
                    db.execute("UPDATE cases SET state = ? WHERE id = ?", [state, name])
                sealed.cases = (sealed.cases - self.before.get(name, 0) + _as_int(state)) % MODULUS
            else:
                sealed.tables[name] = table_state(db, self.keys, name)
        _write_seal(db, self.keys, sealed)
        db.execute("DELETE FROM temp.cocdesk_touched")
        self.before.clear()
        self.sealed = None

    def take_failure(self) -> IntegrityFailure | None:
        failure, self.failure = self.failure, None
        return failure


# By Database object, weakly: a closed connection's keeper goes with it.
_keepers: weakref.WeakKeyDictionary[sqlite_utils.Database, _Keeper] = weakref.WeakKeyDictionary()
_keepers_lock = threading.Lock()


def _trigger_sql() -> list[str]:
    """Temporary triggers (this connection only, never in the file) that note each change."""
    statements = ["CREATE TEMP TABLE IF NOT EXISTS cocdesk_touched (what TEXT PRIMARY KEY)"]

    def note(name: str, table: str, when: str, label: str, extra_when: str = "", of: str = "") -> None:
        condition = f"NOT EXISTS (SELECT 1 FROM temp.cocdesk_touched WHERE what = {label})"
        if extra_when:
            condition = f"({extra_when}) AND {condition}"
        statements.append(
            f"CREATE TEMP TRIGGER IF NOT EXISTS {name} BEFORE {when}{of} ON main.{table} "
            f"WHEN {condition} BEGIN SELECT cocdesk_first_touch({label}); "
            f"INSERT OR IGNORE INTO cocdesk_touched VALUES ({label}); END"
        )

    case_columns = " OF " + ", ".join(c.strip() for c in CASE_COLUMNS.split(","))
    note("cocdesk_seal_cases_i", "cases", "INSERT", "'c:' || NEW.id")
    note("cocdesk_seal_cases_u", "cases", "UPDATE", "'c:' || OLD.id", of=case_columns)
    note("cocdesk_seal_cases_d", "cases", "DELETE", "'c:' || OLD.id")
    for part in CASE_PARTS:
        note(f"cocdesk_seal_{part}_i", part, "INSERT", "'c:' || NEW.case_id")
        note(f"cocdesk_seal_{part}_u", part, "UPDATE", "'c:' || OLD.case_id")
        note(f"cocdesk_seal_{part}_d", part, "DELETE", "'c:' || OLD.case_id")
    skip = f"%s.key NOT IN ('{KEY}', '{meta.COMPACT_PENDING}')"
    note("cocdesk_seal_meta_i", "meta", "INSERT", "'t:meta'", skip % "NEW")
    note("cocdesk_seal_meta_u", "meta", "UPDATE", "'t:meta'", skip % "NEW")
    note("cocdesk_seal_meta_d", "meta", "DELETE", "'t:meta'", skip % "OLD")
    for table in ("members", "event_keys"):
        for when, short in (("INSERT", "i"), ("UPDATE", "u"), ("DELETE", "d")):
            note(f"cocdesk_seal_{table}_{short}", table, when, f"'t:{table}'")
    return statements


TRIGGER_NAMES_SQL = (
    "SELECT name FROM temp.sqlite_master WHERE type = 'trigger' AND name LIKE 'cocdesk_seal_%'"
)


def attach(db: sqlite_utils.Database, keys: EventKeys) -> None:
    """Keep the seal current for every write on this connection, while a member is unlocked."""
    conn = db.conn
    with _keepers_lock:
        keeper = _keepers.get(db)
        if keeper is None:
            keeper = _keepers[db] = _Keeper(keys)

            def first_touch(what: str) -> int:
                return keeper.first_touch(db, what)

            conn.create_function("cocdesk_first_touch", 1, first_touch)
            for statement in _trigger_sql():
                conn.execute(statement)
            connection.set_commit_hook(db, keeper)
        keeper.users += 1


def detach(db: sqlite_utils.Database) -> None:
    """The last member on this connection locked: drop the triggers and the key they held."""
    conn = db.conn
    with _keepers_lock:
        keeper = _keepers.get(db)
        if keeper is None:
            return
        keeper.users -= 1
        if keeper.users > 0:
            return
        del _keepers[db]
        connection.set_commit_hook(db, None)
        try:
            for (name,) in conn.execute(TRIGGER_NAMES_SQL).fetchall():
                conn.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
            conn.create_function("cocdesk_first_touch", 1, None)
        except sqlite3.ProgrammingError:
            pass  # the connection is already closed: its triggers went with it
