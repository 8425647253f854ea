"""Issue 14 item 10: the playbook loader refuses control and format characters in every
string (ESC of an OSC 52 clipboard write, BEL, C1 CSI, bidi overrides, zero-width and
line separators), naming file, line and key; a line break or a tab only where a text
spans lines (the message templates, the confidentiality text)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from cocdesk.cli import main
from cocdesk.errors import BadPlaybook
from cocdesk.playbook import parse_playbook
from cocdesk.playbook.loader import default_text

DO_LINE = '  "Offer a quiet, private place to sit ({quiet_room}).",'
LABEL_LINE = 'label = "Harassment, intimidation, stalking"'
TEMPLATE = 'upset = """We are sorry that this happened at {event}.'

# One of each class, as TOML escapes (how a hostile file would write most of them).
FORBIDDEN = [
    ("\\u001b", "U+001B", "ESC (C0 control): starts CSI 2J, OSC 52, OSC 8"),
    ("\\u0007", "U+0007", "BEL (C0 control): ends an OSC"),
    ("\\u0000", "U+0000", "NUL (C0 control)"),
    ("\\u007f", "U+007F", "DEL"),
    ("\\u009b", "U+009B", "C1 CSI"),
    ("\\u0085", "U+0085", "C1 next line"),
    ("\\u202e", "U+202E", "bidi override (Cf)"),
    ("\\u2066", "U+2066", "bidi isolate (Cf)"),
    ("\\u200b", "U+200B", "zero-width space (Cf)"),
    ("\\u00ad", "U+00AD", "soft hyphen (Cf)"),
    ("\\ufeff", "U+FEFF", "byte-order mark inside a string (Cf)"),
    ("\\U000E0041", "U+E0041", "tag character (Cf)"),
    ("\\u2028", "U+2028", "line separator (Zl)"),
    ("\\u2029", "U+2029", "paragraph separator (Zp)"),
    ("\\r", "U+000D", "carriage return"),
    ("\\n", "U+000A", "a line break in a one-line string"),
    ("\\t", "U+0009", "a tab in a one-line string"),
]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.mark.parametrize(("escape", "code", "what"), FORBIDDEN, ids=[f[2] for f in FORBIDDEN])
def test_each_forbidden_class_is_refused_in_a_list_item(escape: str, code: str, what: str) -> None:
    text = default_text()
    assert DO_LINE in text
    bad = text.replace(DO_LINE, DO_LINE.replace("Offer a quiet", f"Offer{escape} a quiet"), 1)
    with pytest.raises(BadPlaybook) as caught:
        parse_playbook(bad, "event.toml")
    message = str(caught.value)
    line = line_of(bad, f"Offer{escape} a quiet")
    assert message.startswith(f"event.toml, line {line}: first_contact.do[1]: "), message
    assert code in message and "\n" not in message


@pytest.mark.parametrize(("escape", "code", "what"), [FORBIDDEN[0], FORBIDDEN[6]], ids=["ESC", "RLO"])
@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        (LABEL_LINE, 'label = "Harass{}ment, intimidation, stalking"', "categories[2].label"),
        ('quiet_room = "Ask', 'quiet_room = "Ask{}', "event.quiet_room"),
        ('details = "Whom to avoid"', 'details = "Whom{} to avoid"', "actions[2].details"),
        ('title = "Safety first"', 'title = "Safety{} first"', "safety.title"),
    ],
)
def test_labels_event_facts_details_and_titles_are_checked_too(
    escape: str, code: str, what: str, old: str, new: str, key: str
) -> None:
    text = default_text()
    assert old in text, old
    bad = text.replace(old, new.format(escape), 1)
    with pytest.raises(BadPlaybook) as caught:
        parse_playbook(bad, "event.toml")
    line = line_of(bad, new.format(escape))
    assert str(caught.value).startswith(f"event.toml, line {line}: {key}: "), str(caught.value)
    assert code in str(caught.value)


def test_a_raw_format_character_is_named_by_its_own_line() -> None:
    """A bidi override typed as the character itself (TOML allows it raw) in a multi-line list."""
    text = default_text()
    bad = text.replace(DO_LINE, DO_LINE.replace("Offer a quiet", "Offer\u202e a quiet"), 1)
    with pytest.raises(BadPlaybook) as caught:
        parse_playbook(bad, "event.toml")
    assert f"line {line_of(bad, 'Offer' + chr(0x202E))}: first_contact.do[1]" in str(caught.value)


def test_a_hostile_key_is_refused_too() -> None:
    """Unknown keys are ignored by the loader, but not a key that carries escape codes."""
    text = default_text() + '\n[extra]\n"x\\u001b]52;c;aGk=\\u0007" = "y"\n'
    with pytest.raises(BadPlaybook, match="U\\+001B"):
        parse_playbook(text, "event.toml")


def test_line_breaks_and_tabs_are_kept_where_a_text_spans_lines() -> None:
    text = default_text()
    assert TEMPLATE in text
    text = text.replace(TEMPLATE, TEMPLATE.replace("sorry", "sorry\\n\\tvery"), 1)
    text = text.replace('[confidentiality]\ntext = "', '[confidentiality]\ntext = "Line one.\\n\\t', 1)
    p = parse_playbook(text, "event.toml")
    assert "sorry\n\tvery" in p.template("upset")
    assert p.confidentiality.startswith("Line one.\n\t")
    with pytest.raises(BadPlaybook, match="templates.upset: .*U\\+001B"):
        parse_playbook(text.replace("sorry\\n", "sorry\\u001b"), "event.toml")


def test_plain_unicode_is_welcome() -> None:
    """Accents, other scripts, emoji (with their variation selector) and dashes are text."""
    written = "Belästigung — 嫌がらせ — \\u26a0\\ufe0f \\U0001f469\\U0001f3fd"  # TOML escapes
    text = default_text().replace(LABEL_LINE, f'label = "{written}"', 1)
    label = parse_playbook(text, "event.toml").category_label("harassment")
    assert label == "Belästigung — 嫌がらせ — \u26a0\ufe0f \U0001f469\U0001f3fd"


def test_init_refuses_it_in_one_line_and_makes_no_vault(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    playbook = tmp_path / "event.toml"
    text = default_text().replace(LABEL_LINE, 'label = "Harassment\\u001b]52;c;aGk=\\u0007"', 1)
    playbook.write_text(text, "utf-8")
    monkeypatch.setenv("COCDESK_PASSPHRASE", "pw-12345678")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "--data-dir",
            str(tmp_path / "v"),
            "init",
            "--event",
            "E",
            "--member",
            "M",
            "--playbook",
            str(playbook),
        ],
        out=out,
        err=err,
    )
    said = err.getvalue()
    assert code == 1 and said.count("\n") == 1 and "Traceback" not in said, said
    assert (
        f"{playbook}, line {line_of(text, 'Harassment')}: categories[2].label: " in said and "U+001B" in said
    )
    assert "\x1b" not in said and "\x07" not in said
    assert not (tmp_path / "v" / "cocdesk.db").exists()
