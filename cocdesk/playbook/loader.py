"""Loading and validating a playbook TOML file.

A bad file gets one error naming the file, the line and the key, so an
organiser can fix it at the venue without reading Python.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from cocdesk.domain.text import first_hidden, visible
from cocdesk.errors import BadPlaybook

DEFAULT_NAME = "default.toml"
CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# The strings that are whole texts written over several lines: only these may hold a line
# break or a tab. Every other string is one line on the screen.
MULTI_LINE = ("templates.", "confidentiality.text")
# TOML's short escapes, to find the line of a character written as one.
SHORT_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


@dataclass(frozen=True)
class Choice:
    """A coded option (category, action, role) with its human label."""

    code: str
    label: str
    details: str = ""  # what to write beside it (an action's details), if anything
    details_required: bool = False


@dataclass(frozen=True)
class Playbook:
    event_name: str
    emergency_number: str
    quiet_room: str
    crisis_contacts: tuple[str, ...]
    members: tuple[str, ...]
    idle_lock_minutes: int
    acknowledge_within_hours: int
    decide_within_days: int
    retention_days: int
    roles: tuple[Choice, ...]
    confidentiality: str
    safety_title: str
    safety_steps: tuple[str, ...]
    intake_guidance: tuple[str, ...]
    do: tuple[str, ...]
    dont: tuple[str, ...]
    meeting_objectives: tuple[str, ...]
    talk_guidance: tuple[str, ...]
    appeal_guidance: tuple[str, ...]
    public_guidance: tuple[str, ...]
    categories: tuple[Choice, ...]
    actions: tuple[Choice, ...]
    source: str
    organiser_contact: str = "the conference organisers"
    templates: tuple[tuple[str, str], ...] = ()  # (name, text): messages the team adapts
    # The transparency report shows a count from 1 to this minus one as "fewer than N"; 0 is off.
    small_counts_below: int = 0

    def template(self, name: str) -> str:
        return dict(self.templates).get(name, "")

    @property
    def action_details(self) -> dict[str, str]:
        """Each action code, with the details it requires ("" when optional)."""
        return {a.code: (a.details if a.details_required else "") for a in self.actions}

    def action_label(self, code: str) -> str:
        return next((a.label for a in self.actions if a.code == code), code)

    @property
    def category_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.categories)

    @property
    def action_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.actions)

    def category_label(self, code: str) -> str:
        return next((c.label for c in self.categories if c.code == code), code)


class _Reader:
    """Typed access to the parsed TOML that reports file, line and key on error."""

    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source
        self.lines = text.splitlines()

    def fail(self, key: str, problem: str) -> BadPlaybook:
        line = self._line_of(key)
        where = f"{self.source}, line {line}" if line else self.source
        return BadPlaybook(f"{where}: {key}: {problem}")

    def _line_of(self, key: str) -> int | None:
        # tomllib gives no positions for values, so find the key's own line:
        # the last name of the dotted path, looked for after its table header.
        parts = re.split(r"[.\[\]]+", key)
        parts = [p for p in parts if p and not p.isdigit()]
        if not parts:
            return None
        table, name = parts[:-1], parts[-1]
        start = 0
        if table:
            header = re.compile(r"^\s*\[\[?\s*" + re.escape(".".join(table)) + r"\s*\]\]?")
            index = re.search(r"\[(\d+)\]", key)
            wanted = int(index.group(1)) if index else 0
            seen = -1
            for i, line in enumerate(self.lines):
                if header.match(line):
                    seen += 1
                    start = i
                    if seen == wanted:
                        break
        pattern = re.compile(r"^\s*" + re.escape(name) + r"\s*=")
        for i in range(start, len(self.lines)):
            if pattern.match(self.lines[i]):
                return i + 1
        return start + 1 if table else None

    def refuse_hidden(self, value: object, path: str = "") -> None:
        """Refuse a control or format character in any string of the file, keys included.

        Playbook text is shown to every member (first contact, the decision form, the
        messages): an ESC in it would reach the terminal as an OSC 52 clipboard write,
        an OSC 8 link or a CSI 2J, and a bidi override would make it say something else.
        """
        if isinstance(value, dict):
            for key, item in value.items():
                where = f"{path}.{key}" if path else str(key)
                self._check_text(str(key), where, "")
                self.refuse_hidden(item, where)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.refuse_hidden(item, f"{path}[{i}]")
        elif isinstance(value, str):
            self._check_text(value, path, "\n\t" if path.startswith(MULTI_LINE) else "")

    def _check_text(self, text: str, path: str, keep: str) -> None:
        ch = first_hidden(text, keep)
        if ch is None:
            return
        code = f"U+{ord(ch):04X}"
        if ch in "\n\t":
            problem = f"{code} ({'a line break' if ch == chr(10) else 'a tab'}) in a one-line text"
        else:
            problem = f"{code} is a control or invisible format character, which playbook text may not hold"
        line = self._line_of_character(path, ch)
        where = f"{self.source}, line {line}" if line else self.source
        raise BadPlaybook(f"{where}: {visible(path, keep='')}: {problem}")  # a key can be hostile too

    def _line_of_character(self, path: str, ch: str) -> int | None:
        """The line holding `ch`, as itself or as a TOML escape, from the key's own line on
        (a list's item or a multi-line string can sit lines below its key)."""
        start = self._line_of(path)
        escapes = [f"\\u{ord(ch):04x}", f"\\U{ord(ch):08x}".lower(), SHORT_ESCAPES.get(ch, "")]
        for i in range((start or 1) - 1, len(self.lines)):
            line = self.lines[i]
            if ch in line or any(e and e in line.lower() for e in escapes):
                return i + 1
        return start

    def table(self, data: dict[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key.rsplit(".", 1)[-1])
        if not isinstance(value, dict):
            raise self.fail(key, "missing table" if value is None else "must be a table")
        return value

    def string(self, data: dict[str, Any], key: str, path: str) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(path, "must be a non-empty string")
        return value

    def integer(self, data: dict[str, Any], key: str, path: str, low: int, high: int) -> int:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(path, f"must be a whole number from {low} to {high}")
        return value

    def strings(
        self, data: dict[str, Any], key: str, path: str, allow_empty: bool = False
    ) -> tuple[str, ...]:
        value = data.get(key)
        if not isinstance(value, list) or (not value and not allow_empty):
            raise self.fail(path, "must be a non-empty list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{path}[{i}]", "must be a non-empty string")
        return tuple(value)

    def choices(self, data: dict[str, Any], key: str) -> tuple[Choice, ...]:
        value = data.get(key)
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"needs at least one [[{key}]] entry")
        found: list[Choice] = []
        for i, item in enumerate(value):
            path = f"{key}[{i}]"
            if not isinstance(item, dict):
                raise self.fail(path, "must be a table")
            code = self.string(item, "code", f"{path}.code")
            if not CODE.match(code):
                raise self.fail(f"{path}.code", f"'{code}' must be lowercase letters, digits and -")
            if any(c.code == code for c in found):
                raise self.fail(f"{path}.code", f"'{code}' is listed twice")
            details = item.get("details", "")
            if not isinstance(details, str):
                raise self.fail(f"{path}.details", "must be a string")
            required = item.get("details_required", False)
            if not isinstance(required, bool) or (required and not details.strip()):
                raise self.fail(
                    f"{path}.details_required", "must be true or false, and true only with details"
                )
            label = self.string(item, "label", f"{path}.label")
            found.append(Choice(code, label, details, required))
        return tuple(found)


def parse_playbook(text: str, source: str, *, stored: bool = False) -> Playbook:
    """Parse and validate playbook TOML text; `source` names it in errors.

    `stored`: the text a vault holds, checked when the vault was made. A vault made
    before control characters were refused keeps opening (refusing it would lock the
    team out of its cases); the app shows every playbook string through
    tui/literal.py, which makes such a character visible instead of sending it.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadPlaybook(f"{source}: not valid TOML: {exc}") from None
    r = _Reader(text, source)
    if not stored:
        r.refuse_hidden(data)
    if data.get("format") != 1:
        raise r.fail("format", "must be 1 (the playbook format this cocdesk reads)")
    event = r.table(data, "event")
    timing = r.table(data, "timing")
    first = r.table(data, "first_contact")
    safety = r.table(data, "safety")
    roles = r.choices(data, "roles")
    missing = {"responder", "lead", "chair"} - {c.code for c in roles}
    if missing:
        raise r.fail("roles", f"must include the role '{sorted(missing)[0]}'")
    emergency = r.string(event, "emergency_number", "event.emergency_number")
    quiet_room = r.string(event, "quiet_room", "event.quiet_room")

    def fill(lines: tuple[str, ...]) -> tuple[str, ...]:
        # Event facts are written into the procedure's sentences where it names them.
        return tuple(
            line.replace("{emergency_number}", emergency).replace("{quiet_room}", quiet_room)
            for line in lines
        )

    return Playbook(
        event_name=r.string(event, "name", "event.name"),
        emergency_number=emergency,
        quiet_room=quiet_room,
        crisis_contacts=r.strings(event, "crisis_contacts", "event.crisis_contacts"),
        members=r.strings(event, "members", "event.members", allow_empty=True),
        idle_lock_minutes=r.integer(timing, "idle_lock_minutes", "timing.idle_lock_minutes", 1, 240),
        acknowledge_within_hours=r.integer(
            timing, "acknowledge_within_hours", "timing.acknowledge_within_hours", 1, 24 * 30
        ),
        decide_within_days=r.integer(timing, "decide_within_days", "timing.decide_within_days", 1, 365),
        retention_days=r.integer(timing, "retention_days", "timing.retention_days", 1, 3650),
        roles=roles,
        confidentiality=r.string(r.table(data, "confidentiality"), "text", "confidentiality.text"),
        safety_title=r.string(safety, "title", "safety.title"),
        safety_steps=fill(r.strings(safety, "steps", "safety.steps")),
        intake_guidance=r.strings(r.table(data, "intake"), "guidance", "intake.guidance"),
        do=fill(r.strings(first, "do", "first_contact.do")),
        dont=fill(r.strings(first, "dont", "first_contact.dont")),
        meeting_objectives=r.strings(r.table(data, "meeting"), "objectives", "meeting.objectives"),
        talk_guidance=r.strings(r.table(data, "talk"), "guidance", "talk.guidance"),
        appeal_guidance=r.strings(r.table(data, "appeals"), "guidance", "appeals.guidance"),
        public_guidance=r.strings(r.table(data, "public"), "guidance", "public.guidance"),
        categories=r.choices(data, "categories"),
        actions=r.choices(data, "actions"),
        source=source,
        organiser_contact=_optional_string(r, event, "organiser_contact", "event.organiser_contact")
        or "the conference organisers",
        templates=_templates(r, data),
        small_counts_below=_small_counts(r, r.table(data, "public")),
    )


TEMPLATE_NAMES = ("reporter", "reported", "announcement", "upset")


def _small_counts(r: _Reader, public: dict[str, Any]) -> int:
    """The transparency report's threshold for small counts; absent means off (0)."""
    if "small_counts_below" not in public:
        return 0
    return r.integer(public, "small_counts_below", "public.small_counts_below", 0, 100)


def _optional_string(r: _Reader, data: dict[str, Any], key: str, path: str) -> str:
    return r.string(data, key, path) if key in data else ""


def _templates(r: _Reader, data: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The message templates; an event's file may leave them out and use the default's."""
    if "templates" not in data:
        # An event's file, or a playbook stored by an older cocdesk, takes the
        # shipped default's; only the shipped file itself must carry them.
        if r.text == default_text():
            raise r.fail("templates", "missing table")
        return load_default().templates
    table = r.table(data, "templates")
    return tuple((name, r.string(table, name, f"templates.{name}")) for name in TEMPLATE_NAMES)


def default_text() -> str:
    return resources.files("cocdesk.playbook").joinpath(DEFAULT_NAME).read_text("utf-8")


def load_default() -> Playbook:
    return parse_playbook(default_text(), DEFAULT_NAME)


def load_file(path: Path) -> tuple[Playbook, str]:
    """Read and validate an event's playbook file; returns it with its text."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise BadPlaybook(f"{path}: cannot read the playbook: {reason}") from None
    return parse_playbook(text, str(path)), text
