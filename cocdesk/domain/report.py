"""A report as taken at intake, and the parser for the report JSON of DESIGN.md.

The parser is strict on shape (unknown keys and wrong types are named in the
error) and exact on content: every string is kept byte for byte, markup and
control characters included; displaying them safely is the UI's job.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from cocdesk.domain.identifiers import person_identifiers
from cocdesk.domain.privacy import MENTION, mention_values
from cocdesk.errors import BadReport


@dataclass(frozen=True)
class Reporter:
    name: str = ""
    contact: str = ""
    anonymous: bool = False
    identification_concerns: str = ""


@dataclass(frozen=True)
class ReportedPerson:
    name: str = ""
    badge: str = ""
    affiliation: str = ""
    appearance: str = ""


@dataclass(frozen=True)
class Witness:
    name: str = ""
    contact: str = ""


@dataclass(frozen=True)
class Report:
    description: str
    taken_by: str = ""
    transcribed: bool = False
    reporter: Reporter = field(default_factory=Reporter)
    incident_at: str = ""
    location: str = ""
    ongoing: bool = False
    circumstances: str = ""
    category: str = ""
    reported: tuple[ReportedPerson, ...] = ()
    witnesses: tuple[Witness, ...] = ()
    reporter_suggestions: str = ""
    urgent: bool = False

    def to_json(self) -> dict[str, Any]:
        """The report in the JSON shape of DESIGN.md (every key present)."""
        data = asdict(self)
        data["reported"] = [asdict(p) for p in self.reported]
        data["witnesses"] = [asdict(w) for w in self.witnesses]
        return {key: data[key] for key in REPORT_KEYS}

    def identifiers(self) -> list[tuple[str, str]]:
        """Identifiers of the reported people, for the blind index."""
        found: list[tuple[str, str]] = []
        for person in self.reported:
            found.extend(person_identifiers(person.name, person.badge, person.affiliation))
        return list(dict.fromkeys(found))

    def mentions(self) -> list[tuple[str, str]]:
        """Every person named in the report, for the privacy check of public texts.

        Never indexed: single words of names would let anyone with the event key
        test a list of names against every case. The check decrypts instead.
        """
        values: list[str] = []
        r = self.reporter
        values += mention_values(r.name, "", r.contact)
        for p in self.reported:
            values += mention_values(p.name, p.badge, p.affiliation, p.appearance)
        for w in self.witnesses:
            values += mention_values(w.name, "", w.contact)
        values += mention_values("", "", self.location)  # where it happened, as a whole
        return [(MENTION, v) for v in dict.fromkeys(values)]


REPORT_KEYS = (
    "taken_by",
    "transcribed",
    "reporter",
    "incident_at",
    "location",
    "ongoing",
    "description",
    "circumstances",
    "category",
    "reported",
    "witnesses",
    "reporter_suggestions",
    "urgent",
)
# Kept in the clear so the queue can sort and count without a key (DESIGN.md).
PLAIN_KEYS = frozenset({"category", "urgent"})
SEALED_KEYS = tuple(k for k in REPORT_KEYS if k not in PLAIN_KEYS)


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise BadReport(f"{where} must be a string, not {_kind(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON allows one as an escape) is not text.
        raise BadReport(f"{where} holds an invalid character (a lone surrogate)") from None
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise BadReport(f"{where} must be true or false, not {_kind(value)}")
    return value


def _kind(value: object) -> str:
    return {
        type(None): "null",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def _object(value: object, where: str, allowed: Collection[str]) -> Mapping[str, object]:
    if not isinstance(value, dict):
        raise BadReport(f"{where} must be an object, not {_kind(value)}")
    unknown = [k for k in value if k not in allowed]
    if unknown:
        raise BadReport(f"{where} has an unknown key '{_printable(unknown[0])}'")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise BadReport(f"{where} must be a list, not {_kind(value)}")
    return value


def parse_report(data: object, categories: Collection[str]) -> Report:
    """Build a Report from decoded JSON, or raise BadReport naming what is wrong."""
    top = _object(data, "the report", REPORT_KEYS)
    if "description" not in top:
        raise BadReport("description is missing (it is the one required key)")
    description = _str(top["description"], "description")
    if not description.strip():
        raise BadReport("description is empty")

    def text(key: str) -> str:
        return _str(top[key], key) if key in top else ""

    def flag(key: str) -> bool:
        return _bool(top[key], key) if key in top else False

    reporter = Reporter()
    if "reporter" in top:
        raw = _object(top["reporter"], "reporter", Reporter.__dataclass_fields__)
        reporter = Reporter(
            name=_str(raw.get("name", ""), "reporter.name"),
            contact=_str(raw.get("contact", ""), "reporter.contact"),
            anonymous=_bool(raw.get("anonymous", False), "reporter.anonymous"),
            identification_concerns=_str(
                raw.get("identification_concerns", ""), "reporter.identification_concerns"
            ),
        )

    reported: list[ReportedPerson] = []
    for i, item in enumerate(_list(top.get("reported", []), "reported")):
        where = f"reported[{i}]"
        raw = _object(item, where, ReportedPerson.__dataclass_fields__)
        reported.append(ReportedPerson(**{k: _str(v, f"{where}.{k}") for k, v in raw.items()}))

    witnesses: list[Witness] = []
    for i, item in enumerate(_list(top.get("witnesses", []), "witnesses")):
        where = f"witnesses[{i}]"
        raw = _object(item, where, Witness.__dataclass_fields__)
        witnesses.append(Witness(**{k: _str(v, f"{where}.{k}") for k, v in raw.items()}))

    category = text("category")
    if category and category not in categories:
        raise BadReport(f"category '{_printable(category)}' is not a category of this playbook")

    return Report(
        description=description,
        taken_by=text("taken_by"),
        transcribed=flag("transcribed"),
        reporter=reporter,
        incident_at=text("incident_at"),
        location=text("location"),
        ongoing=flag("ongoing"),
        circumstances=text("circumstances"),
        category=category,
        reported=tuple(reported),
        witnesses=tuple(witnesses),
        reporter_suggestions=text("reporter_suggestions"),
        urgent=flag("urgent"),
    )


def _printable(text: str, limit: int = 40) -> str:
    """A category code echoed in an error: short, and with no control characters."""
    shown = "".join(ch if ch.isprintable() else "?" for ch in text[:limit])
    return shown + ("…" if len(text) > limit else "")


def sealed_values(report: Report) -> dict[str, object]:
    """The report's sealed parts, one JSON value per field name."""
    data = report.to_json()
    return {key: data[key] for key in SEALED_KEYS}


def from_parts(sealed: Mapping[str, object], category: str, urgent: bool) -> Report:
    """Rebuild a Report from decrypted field values and the plain columns."""
    data: dict[str, object] = dict(sealed)
    data["category"] = category
    data["urgent"] = urgent
    reporter = data.get("reporter") or {}
    assert isinstance(reporter, dict)
    return Report(
        description=str(data["description"]),
        taken_by=str(data.get("taken_by", "")),
        transcribed=bool(data.get("transcribed", False)),
        reporter=Reporter(**reporter),
        incident_at=str(data.get("incident_at", "")),
        location=str(data.get("location", "")),
        ongoing=bool(data.get("ongoing", False)),
        circumstances=str(data.get("circumstances", "")),
        category=category,
        reported=tuple(ReportedPerson(**p) for p in _dicts(data.get("reported"))),
        witnesses=tuple(Witness(**w) for w in _dicts(data.get("witnesses"))),
        reporter_suggestions=str(data.get("reporter_suggestions", "")),
        urgent=urgent,
    )


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
