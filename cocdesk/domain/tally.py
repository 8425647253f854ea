"""Anonymised counts of cases: what a transparency report publishes.

Pure data: counts by category, status and action code, nothing that could
name anyone. A purge folds the purged cases' counts into a kept tally, so the
report still counts cases whose every sealed word is gone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class Counted:
    """The plain facts of one case that a count uses."""

    category: str
    status: str
    actions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tally:
    total: int = 0
    by_category: Mapping[str, int] = field(default_factory=dict)
    by_status: Mapping[str, int] = field(default_factory=dict)
    by_action: Mapping[str, int] = field(default_factory=dict)

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            total=self.total + other.total,
            by_category=_sum(self.by_category, other.by_category),
            by_status=_sum(self.by_status, other.by_status),
            by_action=_sum(self.by_action, other.by_action),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_category": dict(sorted(self.by_category.items())),
            "by_status": dict(sorted(self.by_status.items())),
            "by_action": dict(sorted(self.by_action.items())),
        }


def count(cases: Iterable[Counted]) -> Tally:
    """Each case counts once for its category and status, and once for each action taken."""
    total = 0
    categories: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    for case in cases:
        total += 1
        categories[case.category or UNCATEGORISED] += 1
        statuses[case.status] += 1
        actions.update(set(case.actions))
    return Tally(total, dict(categories), dict(statuses), dict(actions))


def from_data(data: object) -> Tally:
    """Read a stored tally; ValueError names what is wrong with it."""
    if not isinstance(data, dict):
        raise ValueError("a tally must be an object")
    total = data.get("total")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise ValueError("a tally's total must be a count")
    parts: list[dict[str, int]] = []
    for name in ("by_category", "by_status", "by_action"):
        counts = data.get(name)
        if not isinstance(counts, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in counts.items()
        ):
            raise ValueError(f"a tally's {name} must map codes to counts")
        parts.append(dict(counts))
    return Tally(total, *parts)


def _sum(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return dict(Counter(a) + Counter(b))
