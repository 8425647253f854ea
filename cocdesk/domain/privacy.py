"""The privacy check of announcements and public summaries (PROCEDURE.md §9).

Every person in a case is described by "mention" values: their full name and
each word of it, badge, affiliation, appearance, e-mail addresses and other
contact details, each normalised. A draft is checked by normalising every run
of one to four of its words the same way and looking for a match among the
mention values of every case the member holds (decrypted in memory, never
indexed: an index of single name words would let anyone holding the event key
test a list of names against every case).
"""

from __future__ import annotations

import re
import unicodedata

from cocdesk.domain.identifiers import emails_in, emails_written, normalise_badge, normalise_name

MENTION = "mention"
LONGEST_RUN = 4
# Words that name no one by themselves; a name such as "the security guy" is
# still matched in full, but "the" alone never blocks an announcement.
COMMON = frozenset(
    (
        "a",
        "an",
        "and",
        "the",
        "of",
        "at",
        "in",
        "on",
        "to",
        "for",
        "from",
        "by",
        "with",
        "or",
        "mr",
        "ms",
        "mrs",
        "mx",
        "dr",
        "sir",
        "madam",
        "guy",
        "man",
        "woman",
        "person",
        "people",
        "someone",
        "somebody",
        "unknown",
        "staff",
        "security",
        "speaker",
        "attendee",
        "volunteer",
        "organiser",
        "organizer",
        "friend",
        "team",
        "member",
    )
)
WORD = re.compile(r"\S+")
POSSESSIVE = re.compile(r"['\u2019\u02bc]s\b", re.IGNORECASE)


def fold(text: str) -> str:
    """One spelling for the check: accents dropped ("José" is "Jose"), possessives too
    ("Smith's talk" names Smith). Applied to the names and to the draft alike."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return POSSESSIVE.sub("", bare)


def mention_values(name: str = "", badge: str = "", *details: str) -> list[str]:
    """The normalised strings under which one person is indexed for the privacy check."""
    found: list[str] = []
    name, badge, details = fold(name), fold(badge), tuple(fold(d) for d in details)
    full = normalise_name(name)
    if full:
        found.append(full)
        found.extend(w for w in full.split() if len(w) >= 2 and w not in COMMON)
    for text in (badge, *details):
        found.extend(_forms(text))
        found.extend(emails_in(text))
    return [v for v in dict.fromkeys(found) if v]


def _forms(text: str) -> list[str]:
    forms = [normalise_name(text)]
    if any(ch.isdigit() for ch in text):
        forms.append(normalise_badge(text))
    return [f for f in forms if f and f not in COMMON]


def candidates(text: str) -> list[tuple[str, str]]:
    """(words as written, normalised form) for every run of 1–4 words, and e-mail addresses."""
    words = [m.group(0) for m in WORD.finditer(text)]
    found: list[tuple[str, str]] = []
    for size in range(1, LONGEST_RUN + 1):
        for start in range(len(words) - size + 1):
            phrase = " ".join(words[start : start + size])
            found.extend((phrase, form) for form in _forms(fold(phrase)))
    found.extend(emails_written(text))  # as written, so a flag quotes the text
    return list(dict.fromkeys(found))


def flagged(text: str, mentioned: set[str]) -> list[str]:
    """The words of `text` (as written, first seen first) whose forms are among `mentioned`."""
    return list(dict.fromkeys(phrase for phrase, form in candidates(text) if form in mentioned))
