"""The contents of a handoff bundle, and the public-key file that says whom to seal it to.

A bundle's payload is JSON (sealed by vault/envelope.py before it touches a
disk). Everything read from one is checked here before any of it is written:
a bundle is authenticated, but anyone who has your public key can make one,
and a sender's software may be wrong. Messages never repeat a bundle's values.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cocdesk.domain.status import Status
from cocdesk.errors import CocdeskError, IntegrityFailure
from cocdesk.exchange.files import read_file
from cocdesk.vault.envelope import fingerprint

# /3 adds the sender vault's bundle number; a /2 bundle (no number) could be
# replayed over newer ones, so it is refused: the sender exports again.
FORMAT = "cocdesk-bundle/3"
KEY_PREFIX = "cocdesk-public-key:"
STAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
# Far beyond any real event's archive, and small enough that a hostile bundle
# cannot turn into gigabytes of sealed rows.
MAX_CASES = 50_000
MAX_ITEMS = 10_000  # notes, timeline entries, people named stepping out, per case
MAX_TEXT = 1_000_000  # characters in any one value
SHORT = 400  # names, ids, labels


# -- public keys -----------------------------------------------------------------------
def public_key_text(public_key: bytes, member: str, event: str) -> str:
    """The file a member hands out so others can seal bundles and ban lists to them."""
    return (
        f"# cocdesk public key of {member} ({event}); fingerprint {fingerprint(public_key)}\n"
        f"{KEY_PREFIX}{base64.b64encode(public_key).decode('ascii')}\n"
    )


def read_public_key(path: Path) -> bytes:
    """The public key in a key file (from `cocdesk member pubkey`), with one clear line if none."""
    raw = read_file(path, "public key file", limit=64 * 1024)
    return parse_public_key(raw.decode("utf-8", errors="replace"), str(path))


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
    updated_at: str
    facts: dict[str, Any]  # status, category, urgent, outcome, actions
    fields: dict[str, Any]  # sealed fields by name; "notes" and "conflicts" are lists
    timeline: list[dict[str, str]]  # {at, who, what, where, vault}
    stepped_out: list[str]  # names of members who declared a conflict of interest


@dataclass(frozen=True)
class Bundle:
    event: str
    vault: str  # the sending vault's random id
    sender: str
    created_at: str
    # The sending vault's count of bundles made, one more each time: a receiver never
    # lets a lower number (an older bundle, replayed) move a case it took from that key.
    seq: int
    cases: list[BundledCase]


def to_bytes(bundle: Bundle) -> bytes:
    data = {
        "format": FORMAT,
        "event": bundle.event,
        "vault": bundle.vault,
        "sender": bundle.sender,
        "created_at": bundle.created_at,
        "seq": bundle.seq,
        "cases": [
            {
                "uid": c.uid,
                "id": c.id,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
                "facts": c.facts,
                "fields": c.fields,
                "timeline": c.timeline,
                "stepped_out": c.stepped_out,
            }
            for c in bundle.cases
        ],
    }
    return json.dumps(data, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def from_bytes(raw: bytes, allowed_fields: frozenset[str]) -> Bundle:
    """Read a payload; anything malformed is refused as damage (exit 4), naming where."""
    try:
        data = json.loads(raw.decode("ascii"))
        _strings_ok(data)
        return _bundle(data, allowed_fields)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise IntegrityFailure("the bundle's contents are not valid") from None
    except _Malformed as exc:
        raise IntegrityFailure(f"the bundle's contents are malformed ({exc})") from None
    except (KeyError, TypeError, ValueError):
        raise IntegrityFailure(
            "the bundle's contents are malformed (a part is missing or of the wrong kind)"
        ) from None


class _Malformed(Exception):
    """What is wrong, in words that never repeat a value from the bundle."""


def _strings_ok(data: Any, depth: int = 0) -> None:
    """Every text is real Unicode (no lone surrogate) and of a sane length; nesting is shallow."""
    if depth > 40:
        raise _Malformed("nested too deeply")
    if isinstance(data, str):
        if len(data) > MAX_TEXT:
            raise _Malformed("a text is too long")
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            raise _Malformed("a text holds an invalid character") from None
    elif isinstance(data, dict):
        for key, value in data.items():
            _strings_ok(key, depth + 1)
            _strings_ok(value, depth + 1)
    elif isinstance(data, list):
        for value in data:
            _strings_ok(value, depth + 1)


def _bundle(data: Any, allowed: frozenset[str]) -> Bundle:
    if isinstance(data, dict) and data.get("format") == "cocdesk-bundle/2":
        raise _Malformed("made by an older cocdesk, without a bundle number: ask for it again")
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _Malformed("not a cocdesk bundle of a known format")
    cases = data["cases"]
    if not isinstance(cases, list) or len(cases) > MAX_CASES:
        raise _Malformed("cases must be a list of a sane length")
    parsed = [_case(c, allowed, n) for n, c in enumerate(cases, 1)]
    if len({c.uid for c in parsed}) != len(parsed):
        raise _Malformed("a case appears twice")
    return Bundle(
        _text(data["event"], "event"),
        _uid(data["vault"], "vault"),
        _text(data["sender"], "sender"),
        _stamp(data["created_at"], "created_at"),
        _seq(data["seq"]),
        parsed,
    )


def _case(data: Any, allowed: frozenset[str], n: int) -> BundledCase:
    where = f"case {n}"
    if not isinstance(data, dict):
        raise _Malformed(f"{where} must be an object")
    facts = data["facts"]
    if not isinstance(facts, dict) or set(facts) != {"status", "category", "urgent", "outcome", "actions"}:
        raise _Malformed(f"{where} has malformed facts")
    if facts["status"] not in {s.value for s in Status}:
        raise _Malformed(f"{where} has an unknown status")
    for name in ("category", "outcome"):
        _text(facts[name], f"{where} {name}")
    if not isinstance(facts["urgent"], bool):
        raise _Malformed(f"{where} urgent must be true or false")
    actions = facts["actions"]
    if not isinstance(actions, list) or not all(isinstance(a, str) and len(a) <= SHORT for a in actions):
        raise _Malformed(f"{where} actions must be a list of codes")
    fields = data["fields"]
    if not isinstance(fields, dict):
        raise _Malformed(f"{where} fields must be an object")
    if set(fields) - allowed:
        raise _Malformed(f"{where} has a field cocdesk does not know")
    for name in ("notes", "conflicts", "first_contact"):
        value = fields.get(name, [])
        if (
            not isinstance(value, list)
            or len(value) > MAX_ITEMS
            or not all(isinstance(v, dict) for v in value)
        ):
            raise _Malformed(f"{where} {name} must be a list of records")
    timeline = data["timeline"]
    keys = {"at", "who", "what", "where", "vault"}
    if (
        not isinstance(timeline, list)
        or len(timeline) > MAX_ITEMS
        or not all(isinstance(t, dict) and set(t) == keys for t in timeline)
    ):
        raise _Malformed(f"{where} has a malformed timeline")
    for t in timeline:
        _stamp(t["at"], f"{where} timeline")
        _uid(t["vault"], f"{where} timeline")
        for part in ("who", "what", "where"):
            _text(t[part], f"{where} timeline")
    stepped_out = data["stepped_out"]
    if not isinstance(stepped_out, list) or len(stepped_out) > MAX_ITEMS:
        raise _Malformed(f"{where} stepped_out must be a list of names")
    return BundledCase(
        _uid(data["uid"], f"{where} uid"),
        _text(data["id"], f"{where} id"),
        _stamp(data["created_at"], f"{where} created_at"),
        _stamp(data["updated_at"], f"{where} updated_at"),
        facts,
        fields,
        timeline,
        [_text(name, f"{where} stepped_out") for name in stepped_out],
    )


def _uid(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) != 32 or any(ch not in "0123456789abcdef" for ch in value):
        raise _Malformed(f"{where} is not a cocdesk id")
    return value


def _seq(value: Any) -> int:
    if type(value) is not int or not 0 < value < 2**53:
        raise _Malformed("seq is not a bundle number")
    return value


def _stamp(value: Any, where: str) -> str:
    """A time as cocdesk writes them (UTC, to the second), so every screen can show it."""
    if not isinstance(value, str) or not STAMP.match(value):
        raise _Malformed(f"{where} is not a time like 2026-05-02T14:30:00Z")
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Malformed(f"{where} is not a real date") from None
    return value


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > SHORT:
        raise _Malformed(f"{where} must be a short text")
    return value
