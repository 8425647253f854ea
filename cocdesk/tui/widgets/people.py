"""Rows of the intake form for reported people and witnesses, any number of each."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label


class PersonRow(Vertical):
    """One reported person: name, badge, affiliation, appearance, and the pattern hint."""

    FIELDS = ("name", "badge", "affiliation", "appearance")
    PLACEHOLDERS = {
        "name": "Name",
        "badge": "Badge number",
        "affiliation": "Affiliation",
        "appearance": "What they look like or wore",
    }

    def __init__(self, values: dict[str, str] | None = None, kind: str = "reported") -> None:
        super().__init__(classes=f"person {kind}")
        self.kind = kind
        self.initial = values or {}

    def fields(self) -> tuple[str, ...]:
        return self.FIELDS if self.kind == "reported" else ("name", "contact")

    def compose(self) -> ComposeResult:
        names = self.fields()
        placeholders = {**self.PLACEHOLDERS, "contact": "How to reach them, or a description"}
        for pair in (names[i : i + 2] for i in range(0, len(names), 2)):
            with Horizontal(classes="pair"):
                for name in pair:
                    yield Input(
                        self.initial.get(name, ""),
                        placeholder=placeholders[name],
                        classes=f"person-{name}",
                        compact=True,
                    )
        if self.kind == "reported":
            yield Label("", classes="pattern")

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f".person-{name}", Input).value for name in self.fields()}

    def set_pattern(self, count: int, escrow: int = 0) -> None:
        if self.kind != "reported":
            return
        text = ""
        if count == 1:
            text = "1 earlier report names this person"
        elif count > 1:
            text = f"{count} earlier reports name this person"
        if escrow:
            # PROCEDURE: a report held in escrow comes back when the behaviour repeats.
            text += f" — {escrow} held in escrow until it happened again"
        self.query_one(".pattern", Label).update(text)
