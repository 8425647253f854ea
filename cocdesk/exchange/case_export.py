"""One case, decrypted, as JSON (exact) or Markdown (for people)."""

from __future__ import annotations

import json
from typing import Any

from cocdesk.domain.text import visible
from cocdesk.playbook import Playbook
from cocdesk.service.cases import CaseView


def to_json(view: CaseView) -> str:
    """Every field exactly as it went in, plus the case's plain facts and timeline."""
    data: dict[str, Any] = {
        "id": view.summary.id,
        "status": view.summary.status.value,
        "created_at": view.summary.created_at,
        "updated_at": view.summary.updated_at,
        "holder": view.summary.holder,
        "report": view.report.to_json(),
        "timeline": [{"at": t.at, "who": t.who, "what": t.what} for t in view.timeline],
    }
    # ASCII JSON: \u escapes keep every value exact, and no byte of it (C1 controls,
    # bidi overrides) can drive the terminal it is printed to.
    return json.dumps(data, ensure_ascii=True, indent=2)


def to_markdown(view: CaseView, playbook: Playbook) -> str:
    """A readable record; control characters are made visible so `cat` cannot be hijacked."""
    r = view.report
    s = view.summary
    out: list[str] = []

    def line(text: str = "") -> None:
        out.append(visible(text, keep=""))

    def block(text: str) -> None:
        out.extend(visible(part, keep="\t") for part in (text or "—").split("\n"))

    line(f"# {s.id} — {playbook.category_label(r.category) if r.category else 'uncategorised'}")
    line()
    line(f"- Status: {s.status.value}")
    line(f"- Urgent: {'yes' if r.urgent else 'no'}")
    line(f"- Taken: {s.created_at} by {r.taken_by or s.holder}")
    line(f"- Written by: {'the responder, transcribed' if r.transcribed else 'the reporter'}")
    line(f"- Incident: {r.incident_at or 'not given'} at {r.location or 'no location given'}")
    line(f"- Still going on: {'yes' if r.ongoing else 'no'}")
    line()
    line("## Reporter")
    if r.reporter.anonymous:
        line("Anonymous report.")
    line(f"- Name: {r.reporter.name or '—'}")
    line(f"- Contact: {r.reporter.contact or '—'}")
    if r.reporter.identification_concerns:
        line(f"- Concerns about being identified: {r.reporter.identification_concerns}")
    line()
    line("## What happened")
    block(r.description)
    line()
    line("## Circumstances")
    block(r.circumstances)
    line()
    line("## Reported people")
    for p in r.reported or ():
        line(
            f"- {p.name or 'unnamed'}; badge {p.badge or '—'}; {p.affiliation or '—'}; {p.appearance or '—'}"
        )
    if not r.reported:
        line("—")
    line()
    line("## Witnesses")
    for w in r.witnesses or ():
        line(f"- {w.name or 'unnamed'}; {w.contact or '—'}")
    if not r.witnesses:
        line("—")
    if r.reporter_suggestions:
        line()
        line("## What the reporter volunteered they would like done")
        block(r.reporter_suggestions)
    line()
    line("## Timeline")
    for t in view.timeline:
        line(f"- {t.at} {t.who}: {t.what}")
    return "\n".join(out) + "\n"
