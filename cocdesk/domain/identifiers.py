"""Normalising identifiers (names, badges, e-mail addresses) before blind indexing."""

from __future__ import annotations

import re
import unicodedata

EMAIL = re.compile(r"[^\s<>(),;:\"']+@[^\s<>(),;:\"']+\.[^\s<>(),;:\"']+")


def normalise_name(text: str) -> str:
    """Same person, same string: case, accents' forms, punctuation and spacing folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    kept = "".join(ch if ch.isalnum() else " " for ch in folded)
    return " ".join(kept.split())


def normalise_badge(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def emails_in(text: str) -> list[str]:
    return [normalised for _, normalised in emails_written(text)]


def emails_written(text: str) -> list[tuple[str, str]]:
    """Each e-mail address in `text`: (as written, normalised)."""
    return [(m.group(0).rstrip("."), m.group(0).casefold().rstrip(".")) for m in EMAIL.finditer(text)]


def person_identifiers(name: str = "", badge: str = "", *other_text: str) -> list[tuple[str, str]]:
    """The (kind, normalised value) pairs worth indexing for one person."""
    found: list[tuple[str, str]] = []
    if n := normalise_name(name):
        found.append(("name", n))
    if b := normalise_badge(badge):
        found.append(("badge", b))
    for text in (name, badge, *other_text):
        found.extend(("email", e) for e in emails_in(text))
    # Keep first occurrences, drop repeats: each identifier counts once per case.
    return list(dict.fromkeys(found))
