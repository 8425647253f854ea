"""The vault: key derivation, member keys, sealed keys, field sealing, keyed hashes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from cocdesk.errors import IntegrityFailure, WrongPassphrase
from cocdesk.vault import aead, kdf, member_keys, padding, sealed_keys
from cocdesk.vault.fields import associated_data, open_field, seal_field
from cocdesk.vault.keyed_hash import EventKeys

KEY = bytes(range(32))
field_names = st.sampled_from(["description", "reporter", "location", "note:3"])
case_ids = st.integers(1, 99999).map(lambda n: f"C-{n:04d}")


@settings(max_examples=200)
@given(st.binary(max_size=4096), case_ids, field_names)
def test_any_plaintext_round_trips_through_field_sealing(plain: bytes, case_id: str, field: str) -> None:
    blob = seal_field(KEY, case_id, field, plain)
    assert open_field(KEY, case_id, field, blob) == plain
    assert len(blob) == padding.bucket(len(plain) + padding.HEADER) + aead.NONCE_BYTES + 16


def test_a_sealed_fields_length_is_its_bucket_not_its_value() -> None:
    """Unpadded, a ciphertext was the value + 40 bytes: a name's length, anonymous or not."""
    sizes = {len(seal_field(KEY, "C-0001", "reporter", b"x" * n)) - 40 for n in range(0, 5000, 7)}
    assert sizes == {64, 256, 1024, 2048, 4096, 8192}
    short = seal_field(KEY, "C-0001", "reporter", b'{"name":"Al","anonymous":false}')
    long = seal_field(KEY, "C-0001", "reporter", b'{"name":"Alexandra Bartholomew-Smythe","anonymous":false}')
    anonymous = seal_field(KEY, "C-0001", "reporter", b'{"name":"","anonymous":true}')
    assert len(short) == len(long) == len(anonymous) == 64 + 40


@pytest.mark.parametrize("value", [b'"Ana"', b"", b"[]", b'{"name":"x"}' * 40])
def test_a_field_sealed_before_padding_still_opens(value: bytes) -> None:
    """Today's vaults hold unpadded ciphertexts (ASCII JSON): they open as they are, no migration."""
    legacy = aead.seal(KEY, value, associated_data("C-0001", "reporter"))
    assert open_field(KEY, "C-0001", "reporter", legacy) == value


@pytest.mark.parametrize("inner", [b"\xff\x00\x00\x00\x09ab", b"\xff\x00\x00\x00\x02ab\x01", b"\xff\x00\x00"])
def test_bad_padding_inside_a_valid_seal_is_refused(inner: bytes) -> None:
    blob = aead.seal(KEY, inner, associated_data("C-0001", "reporter"))
    with pytest.raises(IntegrityFailure, match="^C-0001 field reporter is damaged"):
        open_field(KEY, "C-0001", "reporter", blob)


@settings(max_examples=100)
@given(st.binary(min_size=1, max_size=256), case_ids, case_ids, field_names, field_names)
def test_a_sealed_field_opens_only_under_its_own_case_and_field(
    plain: bytes, case_a: str, case_b: str, field_a: str, field_b: str
) -> None:
    blob = seal_field(KEY, case_a, field_a, plain)
    if (case_a, field_a) == (case_b, field_b):
        assert open_field(KEY, case_b, field_b, blob) == plain
    else:
        with pytest.raises(IntegrityFailure):
            open_field(KEY, case_b, field_b, blob)


def test_sealing_twice_gives_different_ciphertexts() -> None:
    assert seal_field(KEY, "C-0001", "description", b"x") != seal_field(KEY, "C-0001", "description", b"x")


def test_associated_data_names_schema_case_and_field() -> None:
    assert associated_data("C-0007", "location") == b"cocdesk/v1|C-0007|location"


def test_a_truncated_or_wrong_key_blob_is_an_integrity_failure_naming_no_content() -> None:
    blob = seal_field(KEY, "C-0001", "description", b"secret words")
    with pytest.raises(IntegrityFailure, match="too short"):
        open_field(KEY, "C-0001", "description", blob[:10])
    with pytest.raises(IntegrityFailure) as caught:
        open_field(bytes(32), "C-0001", "description", blob)
    assert "secret" not in str(caught.value)


def test_member_key_unwraps_only_with_its_passphrase() -> None:
    record = member_keys.create(1, "pass one", kdf.FAST_FOR_TESTS)
    private = member_keys.unwrap(1, record, "pass one")
    assert bytes(private.public_key) == record.public_key
    with pytest.raises(WrongPassphrase):
        member_keys.unwrap(1, record, "pass two")


def test_member_key_is_bound_to_member_id_and_kdf_parameters() -> None:
    record = member_keys.create(1, "pw", kdf.FAST_FOR_TESTS)
    with pytest.raises(WrongPassphrase):
        member_keys.unwrap(2, record, "pw")
    faster = kdf.KdfParams(opslimit=record.params.opslimit, memlimit=record.params.memlimit + 1024)
    downgraded = member_keys.WrappedKey(record.public_key, record.wrapped, record.salt, faster)
    with pytest.raises(WrongPassphrase):
        member_keys.unwrap(1, downgraded, "pw")


def test_out_of_range_kdf_parameters_are_refused_as_damage() -> None:
    record = member_keys.create(1, "pw", kdf.FAST_FOR_TESTS)
    absurd = member_keys.WrappedKey(record.public_key, record.wrapped, record.salt, kdf.KdfParams(0, 1))
    with pytest.raises(IntegrityFailure):
        member_keys.unwrap(1, absurd, "pw")


def test_rewrapping_keeps_the_key_pair() -> None:
    private = PrivateKey.generate()
    rewrapped = member_keys.wrap(1, private, "new pw", kdf.FAST_FOR_TESTS)
    assert bytes(member_keys.unwrap(1, rewrapped, "new pw")) == bytes(private)


def test_production_kdf_is_at_least_moderate() -> None:
    from nacl import pwhash

    assert kdf.PRODUCTION.opslimit >= pwhash.argon2id.OPSLIMIT_MODERATE
    assert kdf.PRODUCTION.memlimit >= pwhash.argon2id.MEMLIMIT_MODERATE


@pytest.mark.production_kdf
def test_enrolment_always_calibrates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COCDESK_INSECURE_FAST_KDF", "1")  # the old test switch: read by nothing
    monkeypatch.setattr(kdf, "calibrate", lambda: kdf.PRODUCTION)
    assert kdf.enrolment_params() == kdf.PRODUCTION


def test_sealed_key_opens_for_its_recipient_and_label_only() -> None:
    alice, bob = PrivateKey.generate(), PrivateKey.generate()
    secret = sealed_keys.new_secret()
    blob = sealed_keys.seal_to(bytes(alice.public_key), "C-0001", secret)
    assert sealed_keys.open_sealed(alice, "C-0001", blob) == secret
    with pytest.raises(IntegrityFailure):
        sealed_keys.open_sealed(bob, "C-0001", blob)
    with pytest.raises(IntegrityFailure, match="belongs to something else"):
        sealed_keys.open_sealed(alice, "C-0002", blob)


def test_keyed_hashes_depend_on_the_event_secret_and_purpose() -> None:
    a, b = EventKeys(bytes(32)), EventKeys(bytes([1]) * 32)
    assert a.blind_tag("name", "sam smith") == a.blind_tag("name", "sam smith")
    assert a.blind_tag("name", "sam smith") != b.blind_tag("name", "sam smith")
    assert a.blind_tag("name", "12") != a.blind_tag("badge", "12")
    assert a.audit_link(b"", b"x") != a.record_mac(b"x")
    assert len(a.blind_tag("name", "x")) == 16


KNOWN_BLIND_TAG = "cbae7a5868d88d0972ca47508e80f825"
KNOWN_RECORD_MAC = "1c2d3a99f3975031eeb9482ddccab009572c171aed04fceee363f14e4e3ce208"


def test_event_keys_give_the_tags_they_always_gave() -> None:
    """Fixed values: a change to how tags and MACs are made would orphan every vault already made."""
    keys = EventKeys(bytes(range(32)))
    assert keys.blind_tag("name", "sam smith").hex() == KNOWN_BLIND_TAG
    assert keys.record_mac(b"C-0001").hex() == KNOWN_RECORD_MAC
