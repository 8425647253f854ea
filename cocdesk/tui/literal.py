"""The one way stored text reaches the screen: never markup, never a control code.

`Content(str)` is plain text to Textual (a name like `[@click=app.quit]x[/]`
stays those characters), and `visible` first maps control and format
characters (ESC, C1, bidi overrides) to a visible `⟨U+XXXX⟩`.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from cocdesk.domain.text import visible


def literal(text: str, *, multiline: bool = True) -> Content:
    return Content(visible(text, keep="\n\t" if multiline else ""))


def shown(text: str) -> str:
    """Text for an editable field: the same mapping, as a plain string."""
    return visible(text, keep="")


def cell(text: str) -> Text:
    """A table cell: rich Text is literal too, and unlike Content, DataTable measures it."""
    return Text(visible(text, keep=""), no_wrap=True, overflow="ellipsis")


def editable(text: str, *, multiline: bool = False) -> str:
    """Stored text as an editor may show it (control characters made visible)."""
    return visible(text, keep="\n\t" if multiline else "")


def kept(now: str, original: str, *, multiline: bool = False) -> str:
    """What to store from an editor: the stored original while the editor still shows it unchanged."""
    return original if now == editable(original, multiline=multiline) else now
