"""The ban list for next year: keyed tags of people under a ban, and nothing else.

`export` collects the reported people of every case whose decision includes
the `ban` action and was not changed on appeal (among the cases this member
holds), and writes only keyed BLAKE2b tags of their normalised names and e-mail
addresses under a fresh random key, sealed with that key to whoever will hold
the list (vault/envelope.py). Badge numbers are left out: next year's badge 12
is someone else. No case, no name, no count per case leaves. `check` opens the
list with the holder's own key and answers yes or no, saying whose key sealed it.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from pathlib import Path

from cocdesk.domain.identifiers import emails_in, normalise_name
from cocdesk.domain.roles import may_hand_on_banlist
from cocdesk.errors import IntegrityFailure, NotAMember, RuleRefused, UsageProblem
from cocdesk.exchange.files import write_new
from cocdesk.service.access import stepped_out_key
from cocdesk.service.cases import CaseService
from cocdesk.service.session import Session
from cocdesk.store import audit, meta
from cocdesk.store import cases as case_store
from cocdesk.store.connection import write
from cocdesk.vault import envelope, sealed_keys
from cocdesk.vault.keyed_hash import ban_tag

FORMAT = "cocdesk-banlist/1"
BAN = "ban"
KINDS = ("name", "email")  # what identifies a person next year (a badge number does not)


@dataclass(frozen=True)
class Written:
    people: int  # distinct identifiers written (a person may have a name and a badge)
    cases: int
    left_out: int  # cases with a ban this member cannot open (stepped out)


@dataclass(frozen=True)
class Answer:
    listed: bool
    event: str  # whose list it is
    made_at: str
    sealed_by: str  # the fingerprint of the key that sealed it: check it is last year's team


class BanlistService:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.cases = CaseService(session)

    def export(self, recipient: bytes, target: Path) -> Written:
        s = self.session
        reason = may_hand_on_banlist(s.role)
        if reason:
            raise RuleRefused(reason)
        db = s.db
        with write(db):
            banned = [r for r in case_store.all_rows(db, s.event_keys) if BAN in r.actions]
            held = set(case_store.sealed_keys_for(db, s.member_id))
            readable = [r for r in banned if r.id in held]
            list_key = sealed_keys.new_secret()
            tags: set[bytes] = set()
            listed: list[str] = []
            for row in readable:
                view = self.cases.open_case(row.id)
                appeal = view.steps.appeal
                if appeal is not None and not appeal.open and not appeal.stands:
                    continue  # the chair changed the decision on appeal: the ban is not carried on
                listed.append(row.id)
                for kind, value in view.report.identifiers():
                    if kind in KINDS:
                        tags.add(ban_tag(list_key, kind, value))
            # The list says who in a case is banned: as for a bundle, never to a member
            # who stepped out of one of those cases.
            out_of = stepped_out_key(s, listed, recipient)
            if out_of is not None:
                raise NotAMember(f"that key belongs to a member who stepped out of {out_of}")
            event = meta.get(db, "event_name") or s.playbook.event_name
            payload = {
                "format": FORMAT,
                "event": event,
                "created_at": s.now(),
                "key": base64.b64encode(list_key).decode("ascii"),
                "tags": sorted(base64.b64encode(t).decode("ascii") for t in tags),
            }
            raw = json.dumps(payload, separators=(",", ":")).encode("ascii")
            audit.append(db, s.event_keys, s.now(), s.member_id, "banlist.exported")
            # Inside the transaction: no audit entry for a list that was never written.
            write_new(target, envelope.seal("banlist", s.private_key, recipient, raw))
        return Written(len(tags), len(readable), len(banned) - len(readable))

    def check(self, blob: bytes, who: str) -> Answer:
        if not who.strip():
            raise UsageProblem("give a name, badge number or e-mail address to check")
        opened = envelope.open_("banlist", self.session.private_key, blob)
        try:
            data = json.loads(opened.payload.decode("ascii"))
            if data.get("format") != FORMAT:
                raise ValueError
            list_key = base64.b64decode(data["key"], validate=True)
            if len(list_key) != sealed_keys.SECRET_BYTES:
                raise ValueError
            tags = {base64.b64decode(t, validate=True) for t in data["tags"]}
            event, made_at = str(data["event"])[:200], str(data["created_at"])[:40]
        except (
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            binascii.Error,
            UnicodeDecodeError,
            RecursionError,
        ):
            raise IntegrityFailure("the ban list's contents are malformed") from None
        asked = [("name", normalise_name(who))] + [("email", e) for e in emails_in(who)]
        listed = any(ban_tag(list_key, kind, value) in tags for kind, value in asked if value)
        return Answer(listed, event, made_at, envelope.fingerprint(opened.sender))
