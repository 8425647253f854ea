"""A member's X25519 key pair, the private half wrapped under their passphrase."""

from __future__ import annotations

from dataclasses import dataclass

from nacl.public import PrivateKey

from cocdesk.errors import IntegrityFailure, WrongPassphrase
from cocdesk.vault import aead, kdf


@dataclass(frozen=True)
class WrappedKey:
    """Everything stored for a member's key: public half, wrapped private half, KDF inputs."""

    public_key: bytes
    wrapped: bytes
    salt: bytes
    params: kdf.KdfParams


def _associated(member_id: int, public_key: bytes, params: kdf.KdfParams) -> bytes:
    # The KDF parameters are bound in: lowering them in the database to make
    # guessing cheaper makes the key fail to open (a downgrade is refused).
    return b"|".join(
        (
            b"cocdesk/v1/member",
            str(member_id).encode(),
            public_key,
            str(params.opslimit).encode(),
            str(params.memlimit).encode(),
        )
    )


def create(member_id: int, passphrase: str, params: kdf.KdfParams) -> WrappedKey:
    """Make a new key pair and wrap its private half under `passphrase`."""
    private = PrivateKey.generate()
    return wrap(member_id, private, passphrase, params)


def wrap(member_id: int, private: PrivateKey, passphrase: str, params: kdf.KdfParams) -> WrappedKey:
    """Wrap an existing private key (used on creation and on a passphrase change)."""
    salt = kdf.new_salt()
    kek = kdf.derive(passphrase, salt, params)
    public = bytes(private.public_key)
    wrapped = aead.seal(kek, bytes(private), _associated(member_id, public, params))
    return WrappedKey(public_key=public, wrapped=wrapped, salt=salt, params=params)


def check_floor(record: WrappedKey, floor: kdf.KdfParams | None = None) -> None:
    """Refuse a record whose key derivation costs less than `floor` (None: kdf.FLOOR).

    Checked before deriving: the parameters are bound into the wrapping, so a record
    below the floor was written that way, by a weak enrolment or a forger; either way
    its passphrase is cheap to guess and the record is not trusted.
    """
    if kdf.below_floor(record.params, floor):
        least = kdf.FLOOR if floor is None else floor
        raise IntegrityFailure(
            "the member's key-derivation parameters are below the floor "
            f"(at least {least.memlimit // kdf.MIB} MiB and opslimit {least.opslimit}); refused"
        )


def unwrap(member_id: int, record: WrappedKey, passphrase: str) -> PrivateKey:
    """Open a member's private key (the caller has checked the record for damage)."""
    # Bounds a forged record cannot exceed: a huge cost would hang unlock (a denial of service).
    if not (1 <= record.params.opslimit <= 32 and 8192 <= record.params.memlimit <= 1 << 30):
        raise IntegrityFailure("the member's key parameters are out of range")
    kek = kdf.derive(passphrase, record.salt, record.params)
    try:
        raw = aead.open_(kek, record.wrapped, _associated(member_id, record.public_key, record.params), "key")
    except IntegrityFailure:
        raise WrongPassphrase("wrong passphrase") from None
    private = PrivateKey(raw)
    if bytes(private.public_key) != record.public_key:
        raise IntegrityFailure("the member's public key does not match their private key")
    return private
