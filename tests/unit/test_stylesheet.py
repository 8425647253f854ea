"""The one stylesheet, read in two parts: the unlock screen's rules before the first frame."""

from __future__ import annotations

from cocdesk.tui import stylesheet


def test_the_first_part_styles_the_unlock_screen_and_nothing_after_it() -> None:
    first, rest = stylesheet.read()
    assert "UnlockScreen {" in first and "#unlock-box" in first
    assert "SetupScreen" not in first and "QueueScreen" not in first
    assert "SetupScreen {" in rest and "QueueScreen" in rest


def test_the_two_parts_are_the_whole_file_and_keep_its_line_numbers() -> None:
    text = stylesheet.PATH.read_text(encoding="utf-8")
    first, rest = stylesheet.parts(text)
    padding = first.count("\n")
    assert rest[:padding] == "\n" * padding and first + rest[padding:] == text
    # A rule in the second part keeps the line it has in the file, for CSS errors.
    line = next(i for i, row in enumerate(text.splitlines()) if row.startswith("SetupScreen {"))
    assert rest.splitlines()[line].startswith("SetupScreen {")


def test_without_the_mark_the_whole_file_comes_first() -> None:
    assert stylesheet.parts("Screen { color: red; }\n") == ("Screen { color: red; }\n", "")


def test_both_parts_parse_without_an_error() -> None:
    """The second part is parsed after the first frame, where an error would not be shown
    as Textual shows one in CSS_PATH at start-up: so it is parsed here."""
    from textual.app import App
    from textual.css.stylesheet import Stylesheet

    sheet = Stylesheet(variables=App().get_css_variables())
    first, rest = stylesheet.read()
    sheet.add_source(first, read_from=(str(stylesheet.PATH), ""))
    sheet.add_source(rest, read_from=(str(stylesheet.PATH), "after the first frame"))
    sheet.parse()
    assert len(sheet.rules) > 50
