"""The queue's table: draws only the rows on screen, in columns of fixed width.

Textual's DataTable measures every cell of every row whenever it is filled, and
the queue refills it on each keystroke of the filter: 5,000 cases took over a
second. This table keeps only the case ids in order and asks for a row's cells
when that row is drawn (Textual's Line API), so filling it costs the length of
a list, and a frame the rows that fit on screen.

Cells are stored text: each is drawn as plain segments (never markup) after
`literal.shown` has made control and format characters visible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cocdesk.tui.literal import shown

PADDING = 1  # blank cells either side of a column, as DataTable draws them


@dataclass(frozen=True)
class Column:
    label: str
    width: int  # cells of text, padding not included


def fit(text: str, width: int) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` cells."""
    if cell_len(text) > width:
        return set_cell_size(text, max(width - 1, 0)) + ("…" if width else "")
    return set_cell_size(text, width)


class QueueTable(ScrollView, can_focus=True):
    """Rows by key (a case id), a header line, zebra stripes and a row cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "queue-table--header",
        "queue-table--cursor",
        "queue-table--even-row",
        "queue-table--odd-row",
    }

    # The basics of the widget, as DataTable's own: theme variables only.
    DEFAULT_CSS = """
    QueueTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .queue-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .queue-table--header { background-tint: $foreground 5%; }
        }
        &:dark > .queue-table--even-row { background: $surface-darken-1 40%; }
        & > .queue-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .queue-table--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .queue-table--odd-row { }
        & > .queue-table--even-row { background: $surface-lighten-1 50%; }
        & > .queue-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class RowSelected(Message):
        """A row was clicked: open it."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, cells: Callable[[str], Sequence[str]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._cells = cells
        self._columns: tuple[Column, ...] = ()
        self._keys: Sequence[str] = ()
        self._cursor = 0

    # -- what it shows ------------------------------------------------------------------
    def set_columns(self, columns: Sequence[Column]) -> None:
        self._columns = tuple(columns)
        self._resize()

    def set_rows(self, keys: Sequence[str]) -> None:
        """Show these rows, in this order; the cursor goes back to the first (as DataTable.clear)."""
        self._keys = keys
        self._cursor = 0
        self._resize()
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> Sequence[str]:
        """The rows' keys, top to bottom."""
        return self._keys

    @property
    def cursor_row(self) -> int:
        return self._cursor

    @property
    def cursor_key(self) -> str | None:
        return self._keys[self._cursor] if self._keys else None

    def row(self, key: str) -> list[str]:
        """A row's cells as shown (control characters made visible), not cut to width."""
        return [shown(text) for text in self._cells(key)]

    def move_cursor(self, row: int) -> None:
        if not self._keys:
            return
        before = self._cursor
        self._cursor = max(0, min(row, len(self._keys) - 1))
        if self._cursor != before:
            self.refresh_line(before + 1)
            self.refresh_line(self._cursor + 1)
        self._scroll_to_cursor()

    def _resize(self) -> None:
        width = sum(c.width + 2 * PADDING for c in self._columns)
        self.virtual_size = Size(width, len(self._keys) + 1)  # + the header line

    @property
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + self._page:
            self.scroll_to(y=self._cursor - self._page + 1, animate=False, immediate=True)

    # -- keys and the mouse -----------------------------------------------------------
    def action_cursor_up(self) -> None:
        self.move_cursor(self._cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self._cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self._cursor - self._page)

    def action_page_down(self) -> None:
        self.move_cursor(self._cursor + self._page)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self._keys) - 1)

    def on_click(self, event: events.Click) -> None:
        # As DataTable: a click on a row moves the cursor there and selects it.
        offset = event.get_content_offset(self)
        if offset is None or offset.y < 1:
            return
        row = round(self.scroll_y) + offset.y - 1
        if 0 <= row < len(self._keys):
            self.move_cursor(row)
            self.post_message(self.RowSelected(self._keys[row]))

    # -- drawing (Line API) -------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_styles("queue-table--header").rich_style
            texts: Sequence[str] = [c.label for c in self._columns]
        else:
            index = scroll_y + y - 1
            if not 0 <= index < len(self._keys):
                return Strip.blank(width, base)
            stripe = "queue-table--odd-row" if index % 2 else "queue-table--even-row"
            style = base + self.get_component_styles(stripe).rich_style
            if index == self._cursor:
                style += self.get_component_rich_style("queue-table--cursor")
            texts = [shown(text) for text in self._cells(self._keys[index])]
        pad = " " * PADDING
        line = "".join(pad + fit(text, c.width) + pad for text, c in zip(texts, self._columns, strict=False))
        # One segment of plain text: nothing in it is read as markup or a control code.
        strip = Strip([Segment(line, style)], cell_len(line))
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(width, style)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self.refresh()
