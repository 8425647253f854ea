"""What each kind of audit entry means, in words for the case timeline."""

from __future__ import annotations

LABELS = {
    "vault.created": "vault created",
    "vault.backup": "backup written",
    "vault.restored": "vault restored from a backup",
    "member.added": "team member added",
    "member.removed": "team member removed",
    "member.passphrase": "passphrase changed",
    "member.reenrolled": "member re-enrolled with a new key",
    "case.reported": "report taken",
    "case.edited": "report edited",
    "case.purged": "case purged (crypto-shredded)",
    "case.note": "note added",
    "case.meeting": "response meeting recorded",
    "case.recused": "recorded a conflict of interest of {subject}, who stepped out",
    "case.rekeyed": "case re-keyed (a copy of the old key opens nothing now)",
    "case.recusal_lifted": "lifted the recusal of {subject}",
    "case.opened": "case opened",
    "case.exported": "case exported in plaintext (a copy outside the vault)",
    "case.public_summary": "public summary saved (passed the privacy check)",
    "report.transparency": "transparency report made",
    "case.decided": "decision recorded",
    "case.escrow": "held in escrow (nothing happens unless it repeats)",
    "case.referred": "referred elsewhere",
    "case.talk": "talk with the reported person recorded",
    "case.reporter_told": "reporter's follow-up recorded",
    "case.appeal": "appeal received",
    "case.appeal_answered": "chair answered the appeal",
    "case.announcement_draft": "announcement draft saved",
    "case.announcement_ready": "announcement passed the privacy check; ready",
    "case.announced": "announcement made",
    "case.message": "message text saved",
    "member.delegate": "announcement delegate named",
    "case.bundled": "put in a handoff bundle (sealed to one recipient)",
    "case.imported": "taken in from a handoff bundle",
    "case.merged": "updated from a handoff bundle",
    "case.conflict": "a bundle's edit of {subject} disagreed with ours: both versions kept",
}


def label(kind: str, subject: str = "?") -> str:
    """The words for an entry; `subject` names the member an entry is about, if any."""
    if kind.startswith("case.status."):
        return "status → " + kind.removeprefix("case.status.").replace("_", " ")
    return LABELS.get(kind, kind).replace("{subject}", subject)
