"""The contents of a handoff bundle, and the public-key file that says whom to seal it to.

A bundle's payload is JSON (sealed by vault/envelope.py before it touches a
disk). Everything read from one is checked here before any of it is written:
a bundle is authenticated, but a sender's software may still be wrong.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cocdesk.domain.status import Status
from cocdesk.errors import CocdeskError, IntegrityFailure
from cocdesk.vault.envelope import fingerprint

FORMAT = "cocdesk-bundle/1"
KEY_PREFIX = "cocdesk-public-key:"


# -- public keys -----------------------------------------------------------------------
def public_key_text(public_key: bytes, member: str, event: str) -> str:
    """The file a member hands out so others can seal bundles and ban lists to them."""
    return (
        f"# cocdesk public key of {member} ({event}); fingerprint {fingerprint(public_key)}\n"
        f"{KEY_PREFIX}{base64.b64encode(public_key).decode('ascii')}\n"
    )


def parse_public_key(text: str, source: str) -> bytes:
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(KEY_PREFIX):
            try:
                key = base64.b64decode(line.removeprefix(KEY_PREFIX), validate=True)
            except (binascii.Error, ValueError):
                break
            if len(key) == 32:
                return key
            break
    raise CocdeskError(f"{source} holds no cocdesk public key (make one with `cocdesk member pubkey`)")


# -- the payload -----------------------------------------------------------------------
@dataclass(frozen=True)
class BundledCase:
    uid: str
    id: str  # the sender's case id, for the people reading the timeline
    created_at: str
    facts: dict[str, Any]  # status, category, urgent, outcome, actions
    fields: dict[str, Any]  # sealed fields by name; "notes" and "conflicts" are lists
    timeline: list[dict[str, str]]  # {at, who, what, where}


@dataclass(frozen=True)
class Bundle:
    event: str
    sender: str
    created_at: str
    cases: list[BundledCase]


def to_bytes(bundle: Bundle) -> bytes:
    data = {
        "format": FORMAT,
        "event": bundle.event,
        "sender": bundle.sender,
        "created_at": bundle.created_at,
        "cases": [
            {
                "uid": c.uid,
                "id": c.id,
                "created_at": c.created_at,
                "facts": c.facts,
                "fields": c.fields,
                "timeline": c.timeline,
            }
            for c in bundle.cases
        ],
    }
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def from_bytes(raw: bytes, allowed_fields: frozenset[str]) -> Bundle:
    """Read a payload; anything malformed is refused as damage (exit 4), naming where."""
    try:
        data = json.loads(raw.decode("ascii"))
        return _bundle(data, allowed_fields)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise IntegrityFailure("the bundle's contents are not valid") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrityFailure(f"the bundle's contents are malformed ({exc})") from None


def _bundle(data: Any, allowed: frozenset[str]) -> Bundle:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a cocdesk bundle of a known format")
    cases = data["cases"]
    if not isinstance(cases, list):
        raise ValueError("cases must be a list")
    parsed = [_case(c, allowed, n) for n, c in enumerate(cases, 1)]
    if len({c.uid for c in parsed}) != len(parsed):
        raise ValueError("a case appears twice")
    return Bundle(
        _text(data["event"], "event"),
        _text(data["sender"], "sender"),
        _text(data["created_at"], "created_at"),
        parsed,
    )


def _case(data: Any, allowed: frozenset[str], n: int) -> BundledCase:
    where = f"case {n}"
    if not isinstance(data, dict):
        raise ValueError(f"{where} must be an object")
    uid = _text(data["uid"], f"{where} uid")
    if len(uid) != 32 or any(ch not in "0123456789abcdef" for ch in uid):
        raise ValueError(f"{where} has a malformed uid")
    facts = data["facts"]
    if not isinstance(facts, dict) or set(facts) != {"status", "category", "urgent", "outcome", "actions"}:
        raise ValueError(f"{where} has malformed facts")
    Status(facts["status"])  # ValueError for an unknown status
    for name in ("category", "outcome"):
        _text(facts[name], f"{where} {name}")
    if not isinstance(facts["urgent"], bool):
        raise ValueError(f"{where} urgent must be true or false")
    if not isinstance(facts["actions"], list) or not all(isinstance(a, str) for a in facts["actions"]):
        raise ValueError(f"{where} actions must be a list of codes")
    fields = data["fields"]
    if not isinstance(fields, dict):
        raise ValueError(f"{where} fields must be an object")
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValueError(f"{where} has an unknown field {unknown[0][:40]!r}")
    timeline = data["timeline"]
    if not isinstance(timeline, list) or not all(
        isinstance(t, dict)
        and set(t) == {"at", "who", "what", "where"}
        and all(isinstance(v, str) for v in t.values())
        for t in timeline
    ):
        raise ValueError(f"{where} has a malformed timeline")
    return BundledCase(
        uid,
        _text(data["id"], f"{where} id"),
        _text(data["created_at"], f"{where} created_at"),
        facts,
        fields,
        timeline,
    )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > 400:
        raise ValueError(f"{where} must be a short text")
    return value
