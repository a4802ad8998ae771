"""Large tables fill in slices (`FittedTable.fill`): keys are answered while they fill, the
rows end exactly as asked, and a new fill (a new model, a filter, a sort) replaces one in
progress. Orders of events are asserted, never timings."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.containers import Vertical
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.conftest import SIZE, run, settle, settled_app
from tests.uvcache_factory import UvEnv
from uvcache_tui.core.dir_listing import FILES_KEY, DirRow
from uvcache_tui.core.scan import DirNode
from uvcache_tui.tui.widgets.files_view import name_cells, row_name
from uvcache_tui.tui.widgets.table_columns import FittedTable, TableRow, reset_columns

ROWS = 3000


def numbered_row(number: int) -> TableRow:
    return TableRow(f"k{number}", (Text(f"row {number}"), Text(str(number))))


class Owner(Vertical):
    """Fills its table as the app's views do: again on Refit, at the table's width."""

    def __init__(self, items: list[int]) -> None:
        super().__init__()
        self.items = items

    def compose(self) -> ComposeResult:
        yield FittedTable(cursor_type="row")

    @property
    def table(self) -> FittedTable:
        return self.query_one(FittedTable)

    def fill(self, items: list[int], cursor: str | None = None) -> None:
        self.items = items
        reset_columns(self.table, [("name", "Name", 12), ("number", "Number", 8)])
        self.table.fill(items, numbered_row, cursor=cursor)

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        self.fill(self.items)


class FillApp(App[None]):
    """A table and a key that notes how many rows were in when it was answered."""

    BINDINGS = [("x", "note_key", "note")]

    def __init__(self, hidden: bool = False) -> None:
        super().__init__()
        self.events: list[tuple[str, int]] = []
        self.hidden = hidden

    def compose(self) -> ComposeResult:
        owner = Owner([])
        owner.display = not self.hidden
        yield owner

    @property
    def table(self) -> FittedTable:
        return self.query_one(FittedTable)

    def action_note_key(self) -> None:
        self.events.append(("key", self.table.row_count))

    @on(FittedTable.Filled)
    def _filled(self, event: FittedTable.Filled) -> None:
        self.events.append(("filled", event.table.row_count))


async def until_filled(pilot: Pilot[Any], table: FittedTable) -> None:
    for _ in range(500):
        if not table.filling:
            break
        await pilot.pause(0.01)
    await pilot.pause()
    assert not table.filling


def keys(table: FittedTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


def test_a_sliced_fill_ends_with_exactly_the_rows_in_order() -> None:
    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            items = list(range(ROWS, 0, -1))
            table.slice_rows = 10
            owner.fill(items)
            # Not all at once: the first rows are in, the rest still to come.
            assert table.filling and table.row_count == table.first_rows
            # The scrollable height is the final one from the first slice (the screen is
            # not laid out again for every slice).
            while table.virtual_size.height <= table.header_height:
                await asyncio.sleep(0.001)
            assert table.filling
            assert table.virtual_size.height == ROWS + table.header_height
            await until_filled(pilot, table)
            assert keys(table) == [f"k{n}" for n in items]
            assert table.virtual_size.height == ROWS + table.header_height
            assert app.events == [("filled", ROWS)]

    run(body)


def test_a_key_pressed_during_a_fill_is_answered_before_it_ends() -> None:
    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            owner.table.slice_rows = 20
            owner.fill(list(range(ROWS)))
            await pilot.press("x")
            await until_filled(pilot, owner.table)
            assert [name for name, _ in app.events] == ["key", "filled"]
            answered_with = app.events[0][1]
            assert answered_with < ROWS, app.events
            assert app.events[1] == ("filled", ROWS)

    run(body)


def test_a_new_fill_replaces_one_in_progress() -> None:
    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            table.slice_rows = 10
            owner.fill(list(range(ROWS)))
            while table.row_count == table.first_rows:  # a slice went in, more to come
                await asyncio.sleep(0.001)
            assert table.filling
            owner.fill(list(range(ROWS, ROWS + 500)))
            await until_filled(pilot, table)
            await pilot.pause(0.05)
            assert keys(table) == [f"k{n}" for n in range(ROWS, ROWS + 500)]
            # Only the fill that ended says so.
            assert app.events == [("filled", 500)]

    run(body)


def test_the_cursor_goes_to_its_row_when_it_comes_unless_moved_meanwhile() -> None:
    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            owner.fill(list(range(ROWS)), cursor="k2500")
            assert table.cursor_row == 0
            await until_filled(pilot, table)
            assert table.cursor_row == 2500
            owner.fill(list(range(ROWS)), cursor="k2500")
            table.move_cursor(row=3)
            await until_filled(pilot, table)
            assert table.cursor_row == 3

    run(body)


def test_a_table_never_laid_out_is_filled_when_it_is() -> None:
    async def body() -> None:
        app = FillApp(hidden=True)
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            owner.fill(list(range(400)))
            # Hidden: its width is unknown, its rows would be laid out again anyway.
            assert table.row_count == 0 and not table.filling
            owner.display = True
            await pilot.pause()
            await until_filled(pilot, table)
            assert keys(table) == [f"k{n}" for n in range(400)]

    run(body)


def test_packages_filter_typed_during_a_fill_shows_exactly_the_filtered_rows(
    shared_env: UvEnv,
) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            await pilot.press("2")
            await settle(pilot)
            view = screen.packages_view
            table = view.table
            model = view.model
            assert model is not None
            everything = view.visible_names()
            assert sorted(everything) == sorted(p.name for p in model.packages)
            assert keys(table) == everything
            sizes = [model.package_sizes(p).allocated for p in model.packages]
            by_name = dict(zip((p.name for p in model.packages), sizes, strict=True))
            assert [by_name[n] for n in everything] == sorted(by_name.values(), reverse=True)

            # One row at a time: the fill of a new model is still going when the filter
            # changes; the filter's own fill replaces it.
            table.first_rows = table.slice_rows = 1
            view.show_model(model)
            assert table.filling and keys(table) == everything[:1]
            needle = "m"
            expected = [name for name in everything if needle in name]
            assert 0 < len(expected) < len(everything)
            view.open_filter()
            view.filter_input.value = needle
            await pilot.pause()
            await until_filled(pilot, table)
            assert keys(table) == expected == view.visible_names()
            # Escape drops the filter: every package again, in the same order.
            await pilot.press("escape")
            await until_filled(pilot, table)
            assert keys(table) == everything

    run(body)


def test_files_name_width_is_what_the_names_take() -> None:
    node = DirNode("0123456789abcdef", None)
    rows = [
        DirRow(FILES_KEY, "(3 files)", 1, 1, 3, 1, None),
        DirRow("d:plain", "plain", 1, 1, 1, 1, node),
        DirRow("d:archive", "0123456789abcdef", 1, 1, 1, 1, node, "idna 3.20"),
        DirRow("d:wide", "名前", 1, 1, 1, 1, node, "パッケージ 1.0"),
        DirRow("d:long", "x" * 300, 1, 1, 1, 1, node),
        DirRow("d:long-wide", "名" * 11, 1, 1, 1, 1, node),
    ]
    for row in rows:
        for limit in (200, 12):
            assert name_cells(row, limit) == row_name(row, limit).cell_len, (row.key, limit)


def test_lines_drawn_stay_drawn_while_rows_are_appended_below() -> None:
    """Appending rows changes nothing drawn before them: DataTable's caches are kept, so a
    redraw (a tab shown again, a focus) during or after a fill draws no row again (the
    lines are drawn here as the screen draws them; the slices are added here one after
    the other, as the fill's worker adds them)."""

    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            owner.fill(list(range(table.first_rows)))
            await pilot.pause()
            await pilot.pause()
            screen = [table.render_line(y).text for y in range(table.size.height)]
            drawn: list[object] = []
            original = table._render_line_in_row

            def recording(row_key: Any, *args: Any, **kwargs: Any) -> Any:
                drawn.append(row_key)
                return original(row_key, *args, **kwargs)

            table._render_line_in_row = recording  # type: ignore[method-assign]
            for start in range(table.first_rows, ROWS, 50):
                table._add_rows(range(start, min(start + 50, ROWS)), numbered_row)
                await pilot.pause()
            assert keys(table) == [f"k{n}" for n in range(ROWS)]
            assert [table.render_line(y).text for y in range(table.size.height)] == screen
            assert drawn == []

    run(body)


def test_rows_appended_on_screen_are_drawn() -> None:
    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            table.first_rows = table.slice_rows = 3
            owner.fill(list(range(12)))
            await until_filled(pilot, table)
            await pilot.pause()
            shown = [table.render_line(y).text for y in range(table.size.height)]
            assert [line.split()[1] for line in shown[1:13]] == [str(n) for n in range(12)]

    run(body)


class FocusApp(App[None]):
    """A filled table and an input to take the focus from it."""

    def compose(self) -> ComposeResult:
        yield Owner(list(range(200)))
        yield Input()


async def filled_and_focused(pilot: Pilot[Any]) -> tuple[FittedTable, Region]:
    """FocusApp's table filled and focused, and the region of all its lines."""
    owner = pilot.app.query_one(Owner)
    owner.fill(owner.items)
    owner.table.focus()
    await until_filled(pilot, owner.table)
    return owner.table, Region(0, 0, owner.table.size.width, owner.table.size.height)


def test_a_table_focused_again_or_shown_again_draws_no_row_anew() -> None:
    """DataTable forgets what it drew on every style update (a focus, a blur) and every
    Resize (also a hidden table shown again at its size): a tab switch drew the whole
    screen anew. Kept per look, the second focus and the table shown again draw nothing."""

    async def body() -> None:
        app = FocusApp()
        async with app.run_test(size=SIZE) as pilot:
            table, region = await filled_and_focused(pilot)

            def draw() -> list[str]:
                return [strip.text for strip in table.render_lines(region)]

            for _ in range(2):  # each look drawn once the table is laid out for good
                focused = draw()
                app.query_one(Input).focus()
                await pilot.pause()
                blurred = draw()
                table.focus()
                await pilot.pause()
            app.query_one(Input).focus()
            await pilot.pause()
            drawn: list[object] = []
            original = table._render_line_in_row

            def recording(row_key: Any, *args: Any, **kwargs: Any) -> Any:
                drawn.append(row_key)
                return original(row_key, *args, **kwargs)

            table._render_line_in_row = recording  # type: ignore[method-assign]
            table.focus()
            await pilot.pause()
            assert draw() == focused
            app.query_one(Owner).display = False
            await pilot.pause()
            app.query_one(Owner).display = True
            await pilot.pause()
            assert draw() == focused
            app.query_one(Input).focus()
            await pilot.pause()
            assert draw() == blurred
            assert drawn == []

    run(body)


def test_rows_appended_are_found_on_their_lines_without_listing_every_row(
    monkeypatch: Any,
) -> None:
    """DataTable maps lines to rows with a list of every row, rebuilt whenever the table
    changed: at each render during a fill. One-line rows appended extend the map."""

    async def body() -> None:
        app = FillApp()
        async with app.run_test(size=SIZE) as pilot:
            owner = app.query_one(Owner)
            table = owner.table
            owner.fill(list(range(table.first_rows)))
            await pilot.pause()
            listed: list[int] = []
            ordered = FittedTable.ordered_rows

            def recording(self: FittedTable) -> Any:
                listed.append(self.row_count)
                return ordered.fget(self)  # type: ignore[attr-defined]

            monkeypatch.setattr(FittedTable, "ordered_rows", property(recording))
            for start in range(table.first_rows, ROWS, 50):
                table._add_rows(range(start, min(start + 50, ROWS)), numbered_row)
                [table.render_line(y) for y in range(table.size.height)]
            assert listed == []
            table.scroll_end(animate=False)
            await pilot.pause()
            last = table.render_line(table.size.height - 1).text.split()
            assert last[:2] == ["row", str(ROWS - 1)]
            monkeypatch.undo()
            assert keys(table) == [f"k{n}" for n in range(ROWS)]

    run(body)


def test_a_table_draws_its_lines_with_its_style_combined_once(monkeypatch: Any) -> None:
    """DataTable asks for its style (combined from every ancestor's) for each line it draws,
    even a line drawn before: a table draws a screenful with it combined once, and the
    same lines as before."""
    from textual.dom import DOMNode

    combined: list[object] = []
    original = DOMNode.rich_style

    def counting(node: DOMNode) -> Any:
        if isinstance(node, FittedTable):
            combined.append(node)
        return original.fget(node)  # type: ignore[attr-defined]

    async def body() -> None:
        app = FocusApp()
        async with app.run_test(size=SIZE) as pilot:
            table, region = await filled_and_focused(pilot)
            first = [strip.text for strip in table.render_lines(region)]
            monkeypatch.setattr(DOMNode, "rich_style", property(counting))
            table.refresh()  # every line drawn again (from DataTable's caches)
            again = [strip.text for strip in table.render_lines(region)]
            assert again == first
            assert len(first) > 20
            assert len(combined) == 1
            assert [line.split()[1] for line in again[1:6]] == ["0", "1", "2", "3", "4"]
            assert table.rich_style == original.fget(table)  # type: ignore[attr-defined]

    run(body)
