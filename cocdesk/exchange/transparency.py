"""The transparency report as JSON (for programs, DESIGN.md's shape) or Markdown (for people).

Only counts, the playbook's own labels and the public summaries that passed
the privacy check reach it: never a name, contact, badge, location or account.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from cocdesk.domain.status import Status
from cocdesk.domain.tally import UNCATEGORISED
from cocdesk.domain.text import visible
from cocdesk.domain.transparency import TransparencyReport
from cocdesk.playbook import Playbook


def to_json(report: TransparencyReport) -> str:
    """`{"event", "total", "by_category", "by_status", "by_action"}`, keys sorted."""
    # ASCII JSON: \u escapes keep the event's name exact, and no byte of it can drive a terminal.
    return json.dumps(report.to_data(), ensure_ascii=True, indent=2, sort_keys=True)


def to_markdown(report: TransparencyReport, playbook: Playbook) -> str:
    """A title, the counts in three tables, and one line per case written by the team."""
    tally = report.tally
    out = [
        f"# Transparency report: {_text(report.event)}",
        "",
        f"Reports received: {report.count(tally.total)}",
    ]
    if report.small_counts_below:
        below = report.small_counts_below
        out += [
            "",
            f'Counts from 1 to {below - 1} are shown as "fewer than {below}", '
            "so that a small number cannot point at anyone; where the other counts of a "
            "table would give one away by subtraction, the smallest of them is withheld too.",
        ]

    by_category, by_status, by_action = (report.table(p) for p in ("by_category", "by_status", "by_action"))
    out += ["", "## By category", ""]
    categories = _ordered(tally.by_category, playbook.category_codes)
    out += _table(
        ("Category", "Code", "Reports"),
        [(_category_label(code, playbook), f"`{code}`", by_category[code]) for code, _ in categories],
        "No reports.",
    )

    out += ["", "## By status", ""]
    statuses = _ordered(tally.by_status, [s.value for s in Status])
    out += _table(
        ("Status", "Reports"),
        [(code.replace("_", " ").capitalize(), by_status[code]) for code, _ in statuses],
        "No reports.",
    )

    out += ["", "## By action taken", "", "A report may lead to several actions, or to none.", ""]
    actions = _ordered(tally.by_action, playbook.action_codes)
    out += _table(
        ("Action", "Code", "Reports"),
        [(playbook.action_label(code), f"`{code}`", by_action[code]) for code, _ in actions],
        "No actions taken.",
    )

    out += ["", "## In brief", "", "One line per case, written by the response team.", ""]
    out += [f"- {_text(line)}" for line in report.summaries] or ["No summaries were written."]
    if report.left_out or report.unreadable:
        out.append("")
    if report.left_out:
        out.append(f"Left out — names a person: {_many(report.left_out, 'summary', 'summaries')}.")
    if report.unreadable:
        out.append(
            f"Not read — recused: the summaries of {_many(report.unreadable, 'case', 'cases')} "
            "to which the member who made this report holds no key."
        )
    return "\n".join(out) + "\n"


def _ordered(counts: Mapping[str, int], order: Iterable[str]) -> list[tuple[str, int]]:
    """The codes in the playbook's (or the lifecycle's) order, any others after them, sorted."""
    known = [code for code in order if counts.get(code)]
    others = sorted(code for code in counts if code not in known and counts[code])
    return [(code, counts[code]) for code in (*known, *others)]


def _table(header: tuple[str, ...], rows: list[tuple[object, ...]], empty: str) -> list[str]:
    if not rows:
        return [empty]
    rule = "|".join("---:" if i == len(header) - 1 else "---" for i in range(len(header)))
    lines = ["| " + " | ".join(header) + " |", f"|{rule}|"]
    lines += ["| " + " | ".join(_cell(str(v)) for v in row) + " |" for row in rows]
    return lines


def _many(n: int, one: str, more: str) -> str:
    return f"{n} {one if n == 1 else more}"


def _category_label(code: str, playbook: Playbook) -> str:
    return "Not categorised yet" if code == UNCATEGORISED else playbook.category_label(code)


def _cell(text: str) -> str:
    # A label from an event's playbook may hold "|", which would end the cell.
    return _text(text).replace("|", "\\|")


def _text(text: str) -> str:
    """One line with every character visible: `cat` of the file cannot drive a terminal."""
    return visible(" ".join(text.splitlines()), keep="")
