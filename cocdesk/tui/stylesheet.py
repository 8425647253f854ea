"""The app's one stylesheet, read in two parts: the unlock screen's rules, then the rest.

Parsing CSS is most of what the first frame costs beyond a bare Textual app; the
unlock screen needs a few dozen lines of this file, so those are parsed before it
is drawn and the rest just after (BENCHMARKS.md: first paint).
"""

from __future__ import annotations

from pathlib import Path

PATH = Path(__file__).with_name("cocdesk.tcss")
# The comment in cocdesk.tcss that ends the first frame's rules.
FIRST_FRAME_END = "/* == The rules above draw the first frame"


def parts(text: str) -> tuple[str, str]:
    """(the first frame's rules, the rest). The rest starts with as many blank lines as
    the first part has, so a CSS error in it names its real line in the file."""
    first, mark, rest = text.partition(FIRST_FRAME_END)
    if not mark:
        return text, ""
    return first, "\n" * first.count("\n") + mark + rest


def read() -> tuple[str, str]:
    return parts(PATH.read_text(encoding="utf-8"))
