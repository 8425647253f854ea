"""What each kind of audit entry means, in words for the case timeline."""

from __future__ import annotations

LABELS = {
    "vault.created": "vault created",
    "vault.backup": "backup written",
    "member.added": "team member added",
    "case.reported": "report taken",
    "case.edited": "report edited",
    "case.purged": "case purged (crypto-shredded)",
    "case.note": "note added",
}


def label(kind: str) -> str:
    if kind.startswith("case.status."):
        return "status → " + kind.removeprefix("case.status.").replace("_", " ")
    return LABELS.get(kind, kind)
