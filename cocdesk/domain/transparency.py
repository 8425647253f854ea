"""The transparency report (issue 6): what an event publishes about its cases.

Pure data and rules: the counts (domain/tally.py), the public summaries that
passed the privacy check, and how a small count is withheld. The service
gathers it; exchange/transparency.py writes it out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cocdesk.domain.tally import Tally

SUMMARY_LIMIT = 280  # one short line: about what a post on a social network holds


def summary_problem(text: str) -> str | None:
    """Why `text` cannot be a case's public summary, or None if it can (an empty one clears it)."""
    if len(text.splitlines()) > 1:
        return "a public summary is one line"
    if len(text) > SUMMARY_LIMIT:
        return f"a public summary is at most {SUMMARY_LIMIT} characters"
    return None


def shown(count: int, below: int) -> int | str:
    """A count as published: with the event's threshold on, 1 to below-1 reads "fewer than N".

    A count of one or two in a small community can point at a person; zero cannot.
    """
    if 0 < count < below:
        return f"fewer than {below}"
    return count


WITHHELD = "withheld"


def published(counts: dict[str, int], below: int, sums_to_total: bool) -> dict[str, int | str]:
    """One table's counts as published.

    A count of 1 to below-1 reads "fewer than N". In a table whose counts add up
    to the published total (categories, statuses), one hidden count could be
    worked out by subtraction, so the smallest count still shown is withheld
    too (secondary suppression, as statistics offices do).
    """
    shown_counts: dict[str, int | str] = {code: shown(n, below) for code, n in counts.items()}
    hidden = [code for code, n in counts.items() if 0 < n < below]
    if sums_to_total and hidden:
        visible_counts = sorted((n, code) for code, n in counts.items() if n >= below)
        if visible_counts:
            shown_counts[visible_counts[0][1]] = WITHHELD
    return shown_counts


@dataclass(frozen=True)
class TransparencyReport:
    event: str
    tally: Tally
    summaries: tuple[str, ...] = ()  # each case's public summary, in case order, checked
    left_out: int = 0  # summaries that name, or may name, a person in a case: not published
    unreadable: int = 0  # summaries of cases the reporting member holds no key to
    small_counts_below: int = 0  # 0: every count is published as it is

    def count(self, value: int) -> int | str:
        return shown(value, self.small_counts_below)

    def table(self, part: str) -> dict[str, int | str]:
        """One of by_category, by_status, by_action as published (see `published`)."""
        counts = dict(getattr(self.tally, part))
        # A case counts once by category and once by status; it may take several actions.
        return published(counts, self.small_counts_below, part != "by_action")

    def to_data(self) -> dict[str, Any]:
        """The published JSON (DESIGN.md): event, total and the three counts by code, sorted."""
        data = self.tally.to_data()
        return {
            "event": self.event,
            "total": self.count(data["total"]),
            **{
                part: dict(sorted(self.table(part).items()))
                for part in ("by_category", "by_status", "by_action")
            },
        }
