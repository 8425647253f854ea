"""The sealed file of bundles and ban lists: opens only for its recipient, whole and unchanged."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.public import PrivateKey

from cocdesk.errors import IntegrityFailure
from cocdesk.vault import envelope

SENDER, RECIPIENT, STRANGER = PrivateKey.generate(), PrivateKey.generate(), PrivateKey.generate()
PAYLOAD = b'{"cases": "a secret account"}'
BLOB = envelope.seal("bundle", SENDER, bytes(RECIPIENT.public_key), PAYLOAD)


def test_the_recipient_opens_it_and_learns_who_sealed_it() -> None:
    opened = envelope.open_("bundle", RECIPIENT, BLOB)
    assert opened.payload == PAYLOAD
    assert opened.sender == bytes(SENDER.public_key)


def test_no_plaintext_is_in_the_file() -> None:
    assert b"secret" not in BLOB


def test_anyone_else_is_told_it_is_not_for_them() -> None:
    with pytest.raises(IntegrityFailure, match="sealed to another key .*, not to yours"):
        envelope.open_("bundle", STRANGER, BLOB)


def test_a_bundle_is_not_a_ban_list() -> None:
    with pytest.raises(IntegrityFailure, match="this file is a cocdesk bundle, not a ban list"):
        envelope.open_("banlist", RECIPIENT, BLOB)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_every_changed_byte_is_refused(data: st.DataObject) -> None:
    at = data.draw(st.integers(0, len(BLOB) - 1))
    bit = data.draw(st.integers(0, 7))
    changed = bytearray(BLOB)
    changed[at] ^= 1 << bit
    with pytest.raises(IntegrityFailure):
        envelope.open_("bundle", RECIPIENT, bytes(changed))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(BLOB) - 1))
def test_every_truncation_is_refused(length: int) -> None:
    with pytest.raises(IntegrityFailure):
        envelope.open_("bundle", RECIPIENT, BLOB[:length])


def test_a_cut_off_file_says_so() -> None:
    with pytest.raises(IntegrityFailure, match="the bundle is truncated"):
        envelope.open_("bundle", RECIPIENT, BLOB[:-5])


def test_a_forged_sender_key_does_not_open() -> None:
    # Swap in another sender's public key: the box no longer opens.
    start = 16 + 32
    forged = BLOB[:start] + bytes(STRANGER.public_key) + BLOB[start + 32 :]
    with pytest.raises(IntegrityFailure, match="changed or damaged"):
        envelope.open_("bundle", RECIPIENT, forged)
