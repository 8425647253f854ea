"""Merging a case from a handoff bundle into the copy already here (three-way, per field).

Pure rules, no I/O. Each field of a case is compared three ways: the value
here, the value in the bundle, and the *base* — what the last bundle from
anywhere said about that field (kept sealed with the case as a digest). So:

- the same on both sides: nothing to do;
- changed only in the bundle (here still equals the base): take the bundle's;
- changed only here (the bundle still carries the base): keep ours;
- changed on both sides: keep ours **and** keep the bundle's as a conflicting
  version, shown on the timeline. Nothing is silently dropped.

Notes are a log, not a value: both sides' notes are kept (a union).
A field the bundle does not carry is left alone: a bundle never deletes.

A sender this case was never exchanged with (no base) is not trusted to fill
anything in: what it has that we lack, or that differs, is kept as a
conflicting version, never written into the record.

Nor is a field the caller `held`: one whose value in the bundle would move the
case backwards (an older status or decision, say). Three-way merging alone would
take it whenever ours still equals the base; held, it is only kept beside ours.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field


def digest(value: object) -> str:
    """A stable fingerprint of a value (kept inside the sealed base, never in the clear)."""
    text = json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Conflict:
    """A value from a bundle that disagreed with an edit made here; ours was kept."""

    field: str
    value: object
    source: str  # "Robin, PyColorado 2026"
    at: str  # when the bundle was made

    def to_data(self) -> dict[str, object]:
        return {"field": self.field, "value": self.value, "from": self.source, "at": self.at}

    @property
    def shown(self) -> str:
        """The kept version as one text: a text as it is, anything else as compact JSON."""
        if isinstance(self.value, str):
            return self.value
        return json.dumps(self.value, ensure_ascii=False, sort_keys=True)

    @property
    def what(self) -> str:
        return self.field.replace("_", " ")


@dataclass(frozen=True)
class Merged:
    take: dict[str, object] = field(default_factory=dict)  # fields to write from the bundle
    conflicts: tuple[Conflict, ...] = ()  # new conflicting versions to keep
    base: dict[str, str] = field(default_factory=dict)  # the base after this merge

    @property
    def changed(self) -> bool:
        return bool(self.take or self.conflicts)


def merge(
    here: Mapping[str, object],
    incoming: Mapping[str, object],
    base: Mapping[str, str],
    known: tuple[Conflict, ...],
    source: str,
    at: str,
    logs: frozenset[str] = frozenset(),
    trusted: bool = True,
    held: frozenset[str] = frozenset(),
) -> Merged:
    """What to write so `here` takes in `incoming`; `known` are conflicts already kept.

    `trusted` is False for a sender never exchanged with about this case; `held`
    names fields whose incoming value is never taken (it would move the case back).
    """
    take: dict[str, object] = {}
    conflicts: list[Conflict] = []
    new_base = dict(base)
    seen = {(c.field, digest(c.value)) for c in known}

    def keep_theirs(name: str, value: object) -> None:
        d = digest(value)
        if (name, d) not in seen:
            seen.add((name, d))
            conflicts.append(Conflict(name, value, source, at))

    for name, theirs in incoming.items():
        ours_present = name in here
        ours = here.get(name)
        if name in logs:
            mine = ours if isinstance(ours, list) else []
            union = _union(mine, theirs if isinstance(theirs, list) else [])
            if len(union) == len(mine):
                continue  # nothing new (an empty list is the same as none)
            if trusted:
                take[name] = union
            else:
                keep_theirs(name, union[len(mine) :])
            continue
        d_theirs = digest(theirs)
        if ours_present and digest(ours) == d_theirs:
            new_base[name] = d_theirs
        elif not trusted or (name in held and d_theirs != base.get(name)):
            # A stranger fills nothing in; a held field is never moved back.
            keep_theirs(name, theirs)
            new_base[name] = d_theirs
        elif not ours_present or digest(ours) == base.get(name):
            take[name] = theirs
            new_base[name] = d_theirs
        elif d_theirs == base.get(name):
            pass  # only we changed it since: ours stands
        else:
            keep_theirs(name, theirs)
            new_base[name] = d_theirs
    return Merged(take, tuple(conflicts), new_base)


def _union(ours: list[object], theirs: list[object]) -> list[object]:
    """Ours in order, then each of theirs we do not have yet."""
    out = list(ours)
    kept = {digest(v) for v in ours}
    for value in theirs:
        d = digest(value)
        if d not in kept:
            kept.add(d)
            out.append(value)
    return out
