"""One case, decrypted, as JSON (exact) or Markdown (for people)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cocdesk.domain.steps import Steps, to_data
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
        "first_contact": [{"item": t.item, "at": t.at} for t in view.first_contact],
        "notes": [{"at": n.at, "by": n.who, "text": n.text} for n in view.notes],
        **steps_data(view.steps),
        "conflicts": [c.to_data() for c in view.conflicts],
        "stepped_out_elsewhere": list(view.stepped_out_elsewhere),
        "timeline": [{"at": t.at, "who": t.who, "what": t.what} for t in view.timeline],
    }
    # ASCII JSON: \u escapes keep every value exact, and no byte of it (C1 controls,
    # bidi overrides) can drive the terminal it is printed to.
    return json.dumps(data, ensure_ascii=True, indent=2)


def steps_data(steps: Steps) -> dict[str, Any]:
    """The records after intake, each null until its step has happened."""
    records = ("meeting", "decision", "talk", "reporter_followup", "appeal", "announcement", "public_summary")
    data: dict[str, Any] = {}
    for name in records:
        record = getattr(steps, name)
        data[name] = None if record is None else to_data(record)
    data["messages"] = {name: text for name, text in steps.messages}
    return data


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
    line("## First contact checklist")
    for tick in view.first_contact:
        line(f"- [x] {tick.at} {tick.item}")
    if not view.first_contact:
        line("Nothing ticked.")
    line()
    line("## Notes")
    for n in view.notes:
        line(f"- {n.at} {n.who}:")
        block(n.text)
    if not view.notes:
        line("—")
    _steps_markdown(view.steps, playbook, line, block)
    if view.conflicts:
        line()
        line("## Conflicting versions from bundles (the record above is ours)")
        for c in view.conflicts:
            line(f"- {c.what}, from {c.source} at {c.at}:")
            block(c.shown)
    if view.stepped_out_elsewhere:
        line()
        line("## Stepped out elsewhere (a bundle's record, not applied here)")
        for said in view.stepped_out_elsewhere:
            line(f"- {said}")
    line()
    line("## Timeline")
    for t in view.timeline:
        line(f"- {t.at} {t.who}: {t.what}")
    return "\n".join(out) + "\n"


def _steps_markdown(
    steps: Steps, playbook: Playbook, line: Callable[..., None], block: Callable[[str], None]
) -> None:
    m = steps.meeting
    if m is not None:
        line()
        line("## Response meeting")
        line(f"Recorded {m.at} by {m.by}.")
        for person in m.attendees:
            state = (
                "conflict of interest declared; stepped out"
                if person.conflict
                else ("present" if person.present else "absent")
            )
            line(f"- {person.name}: {state}")
        for o in m.objectives:
            line(f"- [{'x' if o.done else ' '}] {o.text}" + (f" — {o.note}" if o.note else ""))
        line(f"- Speaks with the reported person: {m.talk_lead or '—'}")
        line(f"- Follows up with the reporter: {m.reporter_followup or '—'}")
        line(f"- Follows up with others affected: {m.others_followup or '—'}")
        line(f"- By: {m.followup_by or '—'}")
    d = steps.decision
    if d is not None:
        line()
        line("## Decision")
        line(f"Recorded {d.at} by {d.by}. Outcome: {d.outcome.value}.")
        if d.referred_to:
            line(f"- Referred to: {d.referred_to}")
        for action in d.actions:
            details = f" — {action.details}" if action.details else ""
            line(f"- {action.code}: {playbook.action_label(action.code)}{details}")
        line("Rationale:")
        block(d.rationale)
    t = steps.talk
    if t is not None:
        line()
        line("## Talk with the reported person")
        line(f"Recorded {t.at} by {t.by}; held {t.held_on or 'date not given'}.")
        line(f"- Told what was reported: {'yes' if t.told_what_reported else 'no'}")
        line(f"- Told the actions: {'yes' if t.actions_told else 'no'}")
        line(f"- Apology offered: {_yes(t.apology_offered)}; passed on: {_yes(t.apology_passed_on)}")
        line("Their side of the story:")
        block(t.their_side)
        if t.note:
            line("Note:")
            block(t.note)
    f = steps.reporter_followup
    if f is not None:
        line()
        line("## Follow-up with the reporter")
        line(f"Recorded {f.at} by {f.by}; held {f.held_on or 'date not given'}.")
        line(f"- Told the outcome: {'yes' if f.told_outcome else 'no'}")
        if f.note:
            block(f.note)
    a = steps.appeal
    if a is not None:
        line()
        line("## Appeal")
        line(f"Received {a.received_on} (recorded {a.at} by {a.by}).")
        block(a.text)
        if a.open:
            line("Open: the report and its actions stand meanwhile.")
        else:
            line(
                f"Answered {a.answered_at} by {a.answered_by}; "
                f"the decision {'stands' if a.stands else 'was changed'}."
            )
            block(a.answer)
    n = steps.announcement
    if n is not None:
        line()
        line("## Announcement")
        state = f"made {n.made_at} by {n.made_by}" if n.made_at else ("ready" if n.ready_at else "draft")
        line(f"State: {state}.")
        block(n.draft)
        if n.upset_note:
            line("Note for attendees who were upset:")
            block(n.upset_note)
    p = steps.public_summary
    if p is not None and p.text:
        line()
        line("## Public summary (the case's line in the transparency report)")
        line(f"Saved {p.at} by {p.by}.")
        block(p.text)
    for name, text in steps.messages:
        line()
        line(f"## Message: {name}")
        block(text)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"
