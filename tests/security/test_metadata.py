"""Battery item 16 (SECURITY.md): what the database file alone reveals, without a passphrase.

`REVEALS` lists every column of every table and what its stored bytes tell a
holder of the file. A new column fails the first test until it is listed here
(and in README's "How the data is kept"); a sealed value stored at its own
length, instead of a padded bucket, fails the second; a read recorded with the
reader in the clear fails the third.

What stays visible, said plainly: counts (cases, members, notes, people named,
recusals, audit entries), times, statuses, categories, urgency, decision outcomes
and action codes, member names and roles, who holds which case key, who stepped
out of which case, who wrote each change (the audit's actor), the audit's kinds
and times, which cases name the same identifier (equal blind-index tags), the
playbook and settings, and sealed lengths rounded up to 64, 256, 1,024 bytes or
the next power of two. Not visible: any sealed word, a value's exact length, and
who opened or exported which case (sealed under the event key).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cocdesk.domain.report import ReportedPerson, Reporter
from cocdesk.domain.roles import Role
from cocdesk.domain.steps import Decision, Outcome
from cocdesk.paths import database_path
from cocdesk.service import CaseService, Desk, TeamService
from cocdesk.service.access import AccessService
from cocdesk.service.drafts import DraftService
from cocdesk.service.integrity import verify
from cocdesk.service.steps import StepService
from cocdesk.vault.aead import NONCE_BYTES
from cocdesk.vault.kdf import FAST_FOR_TESTS
from cocdesk.vault.padding import is_bucket
from tests.conftest import FROZEN, LEAD, LEAD_PASSPHRASE, sample_report, use_fast_kdf
from tests.security.attacker import attacker

PLAIN = "plain: readable as it is"
KEYED = "a keyed MAC or hash: fixed size; says nothing without the event key but whether two are equal"
PADDED = "sealed, padded: its length is a bucket (64, 256, 1,024 bytes, then powers of two) + 40"
FIXED = "sealed, one size for every row (empty for a removed member)"
RANDOM = "random bytes (salt, public key): no meaning"
TAG = "blind-index tag: equal tags mean two cases name the same identifier; how many each names"

REVEALS: dict[tuple[str, str], str] = {
    ("_sqlite_migrations", "id"): PLAIN,
    ("_sqlite_migrations", "migration_set"): PLAIN,
    ("_sqlite_migrations", "name"): PLAIN,
    ("_sqlite_migrations", "applied_at"): PLAIN + " (when the vault was made or upgraded)",
    ("meta", "key"): PLAIN,
    ("meta", "value"): PLAIN + " (see META_KEYS)",
    ("members", "id"): PLAIN,
    ("members", "name"): PLAIN + " (the team's names)",
    ("members", "role"): PLAIN,
    ("members", "public_key"): RANDOM,
    ("members", "wrapped_key"): FIXED,
    ("members", "salt"): RANDOM,
    ("members", "opslimit"): PLAIN + " (the passphrase's key-derivation cost)",
    ("members", "memlimit"): PLAIN,
    ("members", "checksum"): KEYED,
    ("members", "mac"): KEYED,
    ("members", "created_at"): PLAIN,
    ("members", "active"): PLAIN + " (who was removed)",
    ("event_keys", "member_id"): PLAIN,
    ("event_keys", "sealed"): FIXED,
    ("cases", "id"): PLAIN,
    ("cases", "seq"): PLAIN,
    ("cases", "created_at"): PLAIN,
    ("cases", "updated_at"): PLAIN,
    ("cases", "status"): PLAIN,
    ("cases", "category"): PLAIN,
    ("cases", "urgent"): PLAIN,
    ("cases", "holder"): PLAIN,
    ("cases", "mac"): KEYED,
    ("cases", "fields"): PLAIN + " (the names of its sealed fields: how many notes, which steps)",
    ("cases", "outcome"): PLAIN,
    ("cases", "actions"): PLAIN + " (the decision's action codes)",
    ("cases", "uid"): RANDOM,
    ("cases", "state"): KEYED + " (the case's state hash, summed into the vault's seal)",
    ("case_keys", "case_id"): PLAIN + " (who holds which case's key)",
    ("case_keys", "member_id"): PLAIN,
    ("case_keys", "sealed"): FIXED,
    ("case_fields", "case_id"): PLAIN,
    ("case_fields", "field"): PLAIN,
    ("case_fields", "ciphertext"): PADDED,
    ("blind_index", "case_id"): PLAIN,
    ("blind_index", "tag"): TAG,
    ("audit", "seq"): PLAIN,
    ("audit", "at"): PLAIN,
    ("audit", "member_id"): PLAIN + " (who wrote a change; empty for a read: see test 3)",
    ("audit", "kind"): PLAIN,
    ("audit", "case_id"): PLAIN,
    ("audit", "detail"): "plain digits (whose recusal, removal, re-enrolment), a field name "
    "(a bundle's conflicting edit), or, for a read, the reader sealed and padded",
    ("audit", "hash"): KEYED,
    ("drafts", "member_id"): PLAIN + " (who has an unsaved report)",
    ("drafts", "updated_at"): PLAIN,
    ("drafts", "sealed"): PADDED,
    ("drafts", "case_id"): PLAIN,
    ("step_drafts", "member_id"): PLAIN,
    ("step_drafts", "updated_at"): PLAIN,
    ("step_drafts", "sealed"): PADDED,
    ("step_drafts", "case_id"): PLAIN,
    ("recusals", "case_id"): PLAIN + " (who stepped out of which case; never why)",
    ("recusals", "member_id"): PLAIN,
    ("recusals", "at"): PLAIN,
    ("recusals", "mac"): KEYED,
}

# The settings, each plain text (the meta MAC and the audit head are keyed).
META_KEYS = {
    "event_name",
    "created_at",
    "playbook",  # the procedure's text, with whatever names the event put in it
    "playbook_source",
    "meta_mac",  # keyed
    "audit_head",  # entry count + keyed hash
    "last_case_seq",
    "last_member",  # who unlocked last on this laptop
    "announcement_delegates",  # member ids
    "vault_id",  # random
    "purged_uids",  # keyed tags of purged cases: how many were purged
    "purged_tally",  # the kept counts of purged cases, by category, status and action
    "compact_pending",
    "vault_seal",  # keyed: the sum of the cases' state hashes and the tables' hashes, MACed
    "sealed_since",  # when the vault was first sealed
}

SEAL_OVERHEAD = NONCE_BYTES + 16  # nonce + Poly1305 tag: 40 bytes
READS = ("case.opened", "case.exported")


@pytest.fixture(scope="module")
def vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A vault with a bit of everything: a team of four (one removed), reports of every shape
    (named and anonymous reporters, one and three reported people, a long account), notes,
    a decision, a recusal, drafts, and reads (opened, exported) by different members."""
    folder = tmp_path_factory.mktemp("metadata") / "vault"
    with pytest.MonkeyPatch.context() as mp:
        use_fast_kdf(mp)  # (module-scoped: built before the per-test fixture lowers the floor)
        return _build(folder)


def _build(folder: Path) -> Path:
    desk = Desk.create(
        folder, "PyColorado 2026", LEAD, LEAD_PASSPHRASE, params=FAST_FOR_TESTS, clock=lambda: FROZEN
    )
    try:
        robin = desk.unlock(LEAD, LEAD_PASSPHRASE)
        team = TeamService(robin)
        for name, role in (
            ("Kim", Role.RESPONDER),
            ("Avery", Role.CHAIR),
            ("Jo", Role.LEAD),
            ("Lee", Role.RESPONDER),
        ):
            team.add_member(name, role, f"{name} passphrase", FAST_FOR_TESTS)
        team.remove_member("Lee")
        cases = CaseService(robin)
        cases.add_report(sample_report("one", reporter=Reporter(name="Al")))
        cases.add_report(sample_report("two", reporter=Reporter(name="", anonymous=True)))
        people = tuple(ReportedPerson(name=f"Person {i} Example-Longname", badge=f"B-{i}") for i in range(3))
        cases.add_report(
            sample_report(
                "three",
                reporter=Reporter(name="Alexandra Bartholomew-Smythe", contact="alexandra@example.org"),
                reported=people,
                description="a long account. " * 200,
            )
        )
        cases.add_note("C-0001", "called the venue")
        cases.add_note("C-0003", "a longer note " * 30)
        StepService(robin).decide("C-0002", Decision(Outcome.REFERRED, referred_to="venue security"))
        kim = desk.unlock("Kim", "Kim passphrase")
        AccessService(kim).declare_conflict("C-0003")
        AccessService(kim).record_opened("C-0001")
        AccessService(robin).record_opened("C-0003")
        AccessService(desk.unlock("Jo", "Jo passphrase")).record_exported("C-0002")
        DraftService(robin).save({"description": "half-typed"})
        DraftService(robin, "step").save({"case": "C-0001", "step": "meeting", "notes": "half " * 100})
        assert verify(robin) == []
    finally:
        desk.close()
    return database_path(folder)


def columns(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    tables = [str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {(t, str(c[1])) for t in tables for c in conn.execute(f"PRAGMA table_info({t})")}


def lengths(conn: sqlite3.Connection, table: str, column: str, where: str = "1 = 1") -> list[int]:
    sql = f"SELECT length({column}) FROM {table} WHERE {column} IS NOT NULL AND {where}"
    return [int(r[0]) for r in conn.execute(sql)]


def test_every_column_of_the_file_is_listed_with_what_it_reveals(vault: Path) -> None:
    """A new column (plain or not) cannot appear unnoticed: it must be listed, and said in the README."""
    with attacker(vault) as conn:
        found = columns(conn)
    assert found - REVEALS.keys() == set(), "columns the metadata list does not name"
    assert REVEALS.keys() - found == set(), "listed columns the file does not have"


def test_sealed_values_are_stored_only_at_bucket_lengths(vault: Path) -> None:
    """Unpadded, a ciphertext is its value + 40 bytes: a name's length, anonymous or not, how many
    people. Padded, every sealed value of the file is 64, 256, 1,024 bytes or a power of two, + 40."""
    with attacker(vault) as conn:
        for table, column in (k for k, what in REVEALS.items() if what == PADDED):
            found = lengths(conn, table, column)
            assert found, f"the vault has no {table}.{column} to check"
            odd = sorted({n for n in found if not is_bucket(n - SEAL_OVERHEAD)})
            assert odd == [], f"{table}.{column}: lengths outside the buckets: {odd}"
        sealed_reads = lengths(conn, "audit", "detail", f"kind IN {READS}")
        assert sealed_reads and {n - SEAL_OVERHEAD for n in sealed_reads} == {64}
        for table, column in (k for k, what in REVEALS.items() if what == FIXED):
            sizes = set(lengths(conn, table, column)) - {0}
            assert len(sizes) == 1, f"{table}.{column}: more than one size: {sorted(sizes)}"


def test_a_reporters_name_length_or_anonymity_is_not_in_the_file(vault: Path) -> None:
    """Three reporters: 'Al', anonymous, and a long name with an e-mail address: one stored size."""
    with attacker(vault) as conn:
        sizes = dict(
            conn.execute("SELECT case_id, length(ciphertext) FROM case_fields WHERE field = 'reporter'")
        )
    assert sizes["C-0001"] == sizes["C-0002"] == sizes["C-0003"]


def test_the_file_does_not_say_who_opened_or_exported_which_case(vault: Path) -> None:
    with attacker(vault) as conn:
        reads = conn.execute(f"SELECT member_id, detail FROM audit WHERE kind IN {READS}").fetchall()
        members = {int(r[0]) for r in conn.execute("SELECT id FROM members")}
    assert len(reads) == 3
    assert [member for member, _ in reads] == [None, None, None]
    for _, detail in reads:
        # Not digits (the plain form of a member id in other entries' detail): sealed.
        assert isinstance(detail, bytes) and not detail.isdigit()
        assert all(str(m).encode() != detail for m in members)


def test_the_settings_are_the_known_ones(vault: Path) -> None:
    with attacker(vault) as conn:
        keys = {str(r[0]) for r in conn.execute("SELECT key FROM meta")}
    assert keys - META_KEYS == set(), "settings the metadata list does not name"


def test_plain_audit_details_are_member_ids_or_field_names(vault: Path) -> None:
    """Whose recusal or removal an entry records is plain; nothing else is, but a read's sealed reader."""
    with attacker(vault) as conn:
        rows = conn.execute(
            f"SELECT kind, detail FROM audit WHERE detail IS NOT NULL AND kind NOT IN {READS}"
        )
        details = [(str(kind), bytes(detail)) for kind, detail in rows]
    assert details, "the vault has no plain audit detail to check"
    assert all(d.isdigit() or d.replace(b"_", b"").isalpha() for _, d in details), details
