"""The queue's table on its own: cursor keys, what it draws, and stored text shown literally."""

from __future__ import annotations

from textual.app import App, ComposeResult

from cocdesk.tui.widgets.queue_table import Column, QueueTable, fit

HOSTILE = "Jo [/bold] [@click=app.quit]x[/] \x1b[2J\u202e"


class TableApp(App[None]):
    def __init__(self, keys: list[str], holder: str = "Robin") -> None:
        super().__init__()
        self.keys = keys
        self.holder = holder
        self.drawn: list[str] = []  # every key whose cells were asked for

    def cells(self, key: str) -> tuple[str, ...]:
        self.drawn.append(key)
        return (key, self.holder)

    def compose(self) -> ComposeResult:
        yield QueueTable(self.cells, id="t")

    def on_mount(self) -> None:
        table = self.query_one(QueueTable)
        table.set_columns([Column("Case", 7), Column("Holder", 12)])
        table.set_rows(self.keys)
        table.focus()


def lines(app: App[None]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def test_fit_cuts_with_an_ellipsis_and_pads_by_cells() -> None:
    assert fit("abcdef", 4) == "abc…"
    assert fit("ab", 4) == "ab  "
    assert fit("日本語", 4) == "日 …"  # a wide character is never split


async def test_only_the_rows_on_screen_are_drawn() -> None:
    keys = [f"C-{i:05d}" for i in range(1, 50_001)]
    app = TableApp(keys)
    async with app.run_test(size=(40, 12)) as pilot:
        await pilot.pause()
        assert set(app.drawn) <= set(keys[:12])
        assert "C-00001" in lines(app)[1] and lines(app)[0].lstrip().startswith("Case")


async def test_cursor_keys_move_the_cursor_and_keep_it_on_screen() -> None:
    keys = [f"C-{i:04d}" for i in range(1, 101)]
    app = TableApp(keys)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(QueueTable)
        await pilot.press("down", "down")
        assert table.cursor_key == "C-0003"
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_key == "C-0100" and any("C-0100" in line for line in lines(app))
        await pilot.press("pageup")
        assert table.cursor_row == 99 - (table.scrollable_content_region.height - 1)
        await pilot.press("home")
        await pilot.pause()
        assert table.cursor_key == "C-0001" and "C-0001" in lines(app)[1]
        await pilot.press("up")
        assert table.cursor_key == "C-0001"


async def test_a_click_selects_the_row() -> None:
    app = TableApp(["C-0001", "C-0002"])
    chosen: list[str] = []
    async with app.run_test(size=(40, 12)) as pilot:
        app.query_one(QueueTable).message_signal.subscribe(
            app, lambda m: chosen.append(m.key) if isinstance(m, QueueTable.RowSelected) else None
        )
        await pilot.click("#t", offset=(2, 2))
        await pilot.pause()
        assert app.query_one(QueueTable).cursor_key == "C-0002"
        assert chosen == ["C-0002"]


async def test_stored_text_is_drawn_literally() -> None:
    app = TableApp(["C-0001"], holder=HOSTILE)
    async with app.run_test(size=(60, 6)) as pilot:
        await pilot.pause()
        row = lines(app)[1]
        assert "Jo [/bold] …" in row  # cut to the column, markup left as text
        table = app.query_one(QueueTable)
        assert table.row("C-0001")[1] == "Jo [/bold] [@click=app.quit]x[/] ⟨U+001B⟩[2J⟨U+202E⟩"
        assert not any("\x1b" in line or "\u202e" in line for line in lines(app))
