"""Shared DataTable helpers: right-aligned cells, explicit column widths, narrow layouts,
and sorting (`SortableTable`: the keys and header clicks of Buckets, Packages and Files, the
arrow in the sorted column's header; the order itself is `core.sorting`'s).

Columns get explicit widths computed from the rows about to be shown: an auto-width column
that grows after a refill can keep rendering cells cut at its old width (seen with Textual
8.2 when the cursor moves in the same tick), and explicit widths also keep the tables from
scrolling sideways. A `FittedTable` also fits them to its own width: some columns shrink,
then the least important ones leave, so the sizes stay on screen in an 80-column terminal.

Large tables fill in slices (`FittedTable.fill`): adding a row to a DataTable costs about
0.2 ms on the UI thread, so the ~10k packages of a large cache added at once froze the keys
for seconds. A table that was never laid out keeps its rows until it is (its `Refit` fills it).

Over 400 lines because the base of every list in the TUI is here whole (columns fitted to the
width, rows added in slices, the sort keys); the sorting part (`SortableTable`, its keys and
headers) can move to a module of its own, a change of imports in five modules.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from rich.style import Style
from rich.text import Text, TextType
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from uvcache_tui.core.sorting import DEFAULT_ORDER, SortKey, SortOrder
from uvcache_tui.tui import heap

if TYPE_CHECKING:
    from typing_extensions import Self  # typing's from Python 3.11

CELL_PADDING = 2
"""Cells a column takes besides its width (DataTable's default padding, one a side)."""
FIRST_ROWS = 80
"""Rows a fill adds at once: more than the screenful of most terminals, so what is seen is
whole at once (150 cost ~35 ms at the model's arrival on a loaded machine, a key's wait)."""
SLICE_ROWS = 50
"""Rows added per slice after those (~10 ms of UI thread), the event loop served between."""
SETTLE_ROWS = 2000
"""While a fill of this many rows goes on, full collections wait, and its cells are moved
out of the collector's sight after (`tui.heap`): otherwise every full collection walks
them (and the rows added so far) again."""
LOOKS_KEPT = 3
"""Looks (`FittedTable._look`) whose drawn rows, cells and lines a table keeps besides the
current one: focused, not focused, and one more."""
SLICE_PAUSE = 0.002
"""Seconds between slices: a key's message hops from the app to the focused widget and
back up to the binding, one loop pass each; a pause lets them all run, a bare yield
(`sleep(0)`) would let one hop run per slice."""

Item = TypeVar("Item")


@dataclass(frozen=True)
class TableRow:
    """A row to add: its key and every column's cell (dropped columns' too)."""

    key: str
    cells: tuple[Text, ...]


def right(text: str, style: str = "") -> Text:
    """A right-aligned cell (sizes and counts line up on their units)."""
    return Text(text, style=style, justify="right")


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def fit_widths(
    columns: Sequence[tuple[str, int]],
    room: int,
    squeeze: Mapping[str, int],
    drop: Sequence[str],
) -> dict[str, int]:
    """Key -> width of the columns that fit in `room` cells, in their order.

    Squeezable columns shrink to their narrowest; if that is not enough, the columns in
    `drop` leave in that order; then the squeezed columns take back the room left, the
    first listed first. `room <= 0` (not laid out yet) keeps every column as wanted.
    """
    wanted = dict(columns)
    if room <= 0:
        return wanted
    shown = {key: min(width, squeeze.get(key, width)) for key, width in wanted.items()}

    def used() -> int:
        return sum(width + CELL_PADDING for width in shown.values())

    for key in drop:
        if used() <= room:
            break
        shown.pop(key, None)
    for key in squeeze:
        if key in shown:
            shown[key] = min(wanted[key], shown[key] + max(0, room - used()))
    return shown


class FittedTable(DataTable[Text]):
    """A DataTable whose columns fit its width; rows are still added with every cell.

    `squeeze` (column key -> narrowest width) and `drop` (keys, least important first) say
    how. When the width changes the table posts `Refit`: whoever fills it fills it again.
    Rows come through `fill`, in slices; `filling` is true until the last is in, and
    `Filled` is posted then.
    """

    class Refit(Message):
        """The table's width changed since its columns were fitted: fill it again."""

        def __init__(self, table: FittedTable) -> None:
            super().__init__()
            self.table = table

    class Filled(Message):
        """The last row of a fill is in (a fill that a newer one replaced posts nothing)."""

        def __init__(self, table: FittedTable) -> None:
            super().__init__()
            self.table = table

    def __init__(
        self,
        *,
        squeeze: Mapping[str, int] | None = None,
        drop: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        # Before DataTable's own: it may clear its caches meanwhile.
        self._drawn_size = Size(0, 0)
        self._look_known = False
        self._look_now: Hashable | None = None
        self._looks: dict[Hashable, tuple[Any, Any, Any]] = {}
        """Caches of rows, cells and lines drawn, by the look they were drawn with."""
        self._drawing_style: Style | None = None
        """`rich_style` while the table draws its lines (`render_lines`)."""
        super().__init__(**kwargs)
        self.squeeze = dict(squeeze or {})
        self.drop = tuple(drop)
        self.first_rows = FIRST_ROWS
        self.slice_rows = SLICE_ROWS
        self._column_keys: list[str] = []
        self._dropped: frozenset[str] = frozenset()
        self._fitted_room = 0
        self._fill_generation = 0
        """Bumped by every fill and column reset: a slice of an older fill stops there."""
        self._rows_to_come = 0
        self._cursor_to_come: str | None = None
        self._one_line_rows = True
        self._line_rows: list[tuple[RowKey, int]] = []
        """(key, 0) per row added since the last clear, in order (`_y_offsets`)."""
        """No row was added taller than a line (the table's height is its row count)."""

    @property
    def room(self) -> int:
        """Cells the columns may take (a vertical scrollbar's are kept free)."""
        return max(0, self.size.width - self.styles.scrollbar_size_vertical)

    @property
    def shown_columns(self) -> list[str]:
        """Keys of the columns on screen, in order."""
        return [key for key in self._column_keys if key not in self._dropped]

    def set_columns(self, columns: Sequence[tuple[str, Text | str, int]]) -> dict[str, int]:
        """Clear, then add the columns that fit; returns their widths by key."""
        room = self.room
        widths = fit_widths(
            [(key, width) for key, _, width in columns], room, self.squeeze, self.drop
        )
        self._fitted_room = room
        self._column_keys = [key for key, _, _ in columns]
        self._dropped = frozenset(self._column_keys) - set(widths)
        self._stop_fill()
        self.clear(columns=True)
        for key, label, _ in columns:
            if key in widths:
                self.add_column(label, key=key, width=widths[key])
        return widths

    @property
    def filling(self) -> bool:
        """Rows of the last fill are still to come."""
        return self._rows_to_come > 0

    def fill(
        self,
        items: Sequence[Item],
        make_row: Callable[[Item], TableRow],
        cursor: str | None = None,
    ) -> None:
        """Add a row per item after the columns were set: `first_rows` at once, the rest
        `slice_rows` at a time with the event loop served between (keys answer while a large
        table fills). The cursor goes to the row keyed `cursor` when it is in, unless it
        was moved meanwhile. A table never laid out adds nothing: its `Refit` comes when
        it is, and whoever fills it fills it then, at its width."""
        self._stop_fill()
        if self._fitted_room <= 0 and self._column_keys:
            return
        generation = self._fill_generation
        self._cursor_to_come = cursor
        self._add_rows(items[: self.first_rows], make_row)
        self._rows_to_come = max(0, len(items) - self.first_rows)
        if len(items) >= SETTLE_ROWS:
            heap.hold(self._heap_holder)
        if self._rows_to_come:
            self.run_worker(
                self._add_slices(generation, items, make_row),
                group="fill",
                exclusive=True,
                description="filling the table",
            )
        else:
            self.post_message(self.Filled(self))

    async def _add_slices(
        self, generation: int, items: Sequence[Item], make_row: Callable[[Item], TableRow]
    ) -> None:
        for start in range(self.first_rows, len(items), self.slice_rows):
            await asyncio.sleep(SLICE_PAUSE)
            if generation != self._fill_generation:
                return
            end = start + self.slice_rows
            self._add_rows(items[start:end], make_row)
            self._rows_to_come = max(0, len(items) - end)
        heap.done(self._heap_holder)
        self.post_message(self.Filled(self))

    def _add_rows(self, items: Iterable[Item], make_row: Callable[[Item], TableRow]) -> None:
        drawn = self.row_count
        update_count = self._update_count
        for item in items:
            row = make_row(item)
            self.add_row(*row.cells, key=row.key)
        if drawn and self.row_count > drawn:
            self._appended(drawn, update_count)
        wanted = self._cursor_to_come
        if wanted is not None and wanted in self.rows:
            self._cursor_to_come = None
            if self.cursor_row == 0:
                self.move_cursor(row=self.get_row_index(wanted))

    def _appended(self, drawn: int, update_count: int) -> None:
        """Rows were appended after the first `drawn`: those render as before (same index,
        stripe and cursor), so DataTable's caches of drawn lines, rows and cells are kept
        (`add_row` bumps the count they are keyed by: a tab shown again during a fill drew
        its whole screen anew, 60-130 ms at 750k); only the map of lines to rows grows.
        The table is redrawn only if a new row is on screen."""
        self._update_count = update_count
        self._offset_cache.clear()
        top = self.scroll_offset.y
        bottom = top + self.size.height
        header = self.header_height if self.show_header else 0
        if drawn + header < bottom and self.row_count + header > top:
            self.refresh()

    def _stop_fill(self) -> None:
        """A fill in progress stops at its next slice (a new fill or columns replace it)."""
        self._fill_generation += 1
        self._rows_to_come = 0
        self._cursor_to_come = None
        heap.done(self._heap_holder)

    @property
    def _heap_holder(self) -> str:
        """This table's name as a holder of full collections while it fills (`tui.heap`)."""
        return f"fill:{id(self)}"

    def on_unmount(self) -> None:
        heap.done(self._heap_holder)

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """What DataTable does on idle after rows were added, less what costs here.

        It measures every cell of every new row to size auto-width columns; every column
        here has its width, so only rows with a label or an auto height (none here) need
        that, and measuring halved what adding a row costs. Then it sets the virtual size,
        whose every change lays the whole screen out again (tens of ms): here the height
        counts the rows still to come, so it is set once per fill, not once per slice.
        """
        rows = self.rows
        measured = [
            key
            for key in new_rows
            if key in rows and (rows[key].label is not None or rows[key].auto_height)
        ]
        if measured or any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        # Not `_total_row_height`: it builds a list of every line's row, once per slice; nor
        # a sum over every row, once per slice (0.5 s of a 10k-row fill): rows are one line
        # unless one was added taller.
        height = len(rows) if self._one_line_rows else sum(row.height for row in rows.values())
        self.virtual_size = Size(
            width + self._row_label_column_width, height + self._rows_to_come + header
        )

    def add_row(
        self,
        *cells: Text,
        height: int | None = 1,
        key: str | None = None,
        label: TextType | None = None,
    ) -> RowKey:
        """Add a row given every column's cell; the cells of dropped columns are left out."""
        if self._dropped:
            cells = tuple(
                cell
                for column, cell in zip(self._column_keys, cells, strict=True)
                if column not in self._dropped
            )
        if height != 1:
            self._one_line_rows = False
        row_key = super().add_row(*cells, height=height, key=key, label=label)
        self._line_rows.append((row_key, 0))
        return row_key

    @property
    def _y_offsets(self) -> list[tuple[RowKey, int]]:
        """Each line's row and line in it. DataTable rebuilds this list of every row when
        the table changed, i.e. for each render during a fill (10k rows: ~10 ms each);
        one-line rows only ever appended make it the list of their keys, kept as they come."""
        if self._one_line_rows and len(self._line_rows) == self.row_count:
            return self._line_rows
        return super()._y_offsets

    def clear(self, columns: bool = False) -> Self:
        self._line_rows = []
        return super().clear(columns)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Text,
        *,
        update_width: bool = False,
    ) -> None:
        """Update a cell; a dropped column's cell is not on screen, so nothing to do."""
        key = column_key.value if isinstance(column_key, ColumnKey) else column_key
        if key in self._dropped:
            return
        super().update_cell(row_key, column_key, value, update_width=update_width)

    def _on_resize(self, event: events.Resize) -> None:
        """DataTable forgets what it drew on every Resize (a row is drawn to the width),
        also when a hidden table is shown again at its size: here only when its size
        changed. A width the columns were not fitted to posts `Refit`."""
        event.prevent_default()  # DataTable's handler would forget unconditionally
        if self.size != self._drawn_size:
            self._drawn_size = self.size
            self._update_count += 1
        if self._column_keys and self.room != self._fitted_room:
            self.post_message(self.Refit(self))

    def notify_style_update(self) -> None:
        """DataTable forgets every row, cell and line drawn on any style update, and a
        focus or a blur is one (a tab switch: 60-130 ms to draw the screen anew at 750k).
        Here what was drawn is kept per look (`_look`): the next render takes back the
        caches drawn with the same styles, if any."""
        Widget.notify_style_update(self)
        self._styles_cache.clear()
        self._get_styles_to_render_cell.cache_clear()
        self._look_known = False
        self.refresh()

    def _clear_caches(self) -> None:
        """Something drawn changed (rows, columns, cursor settings): no look's caches hold."""
        super()._clear_caches()
        self._looks.clear()

    def _look(self) -> Hashable:
        """Everything styles give a drawn row, cell or line (with what their keys hold)."""
        return (
            self.rich_style,
            self.get_pseudo_class_state(),
            self.background_colors,
            tuple(self.get_component_rich_style(name) for name in sorted(self.COMPONENT_CLASSES)),
        )

    def render_lines(self, crop: Region) -> list[Strip]:
        if not self._look_known:
            self._look_known = True
            self._take_look(self._look())
        # Nothing changes the styles while the lines are drawn: their base style once.
        self._drawing_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._drawing_style = None

    @property
    def rich_style(self) -> Style:
        """DataTable asks for its style for every line it draws, even one it drew before,
        and each time it is combined from every ancestor's styles (~0.1 ms, ~5 ms a
        screenful): while the lines are drawn, the one computed before is given."""
        style = self._drawing_style
        return style if style is not None else super().rich_style

    def _take_look(self, look: Hashable) -> None:
        """Draw from the caches of `look`: kept from before, or new ones (and keep the
        current ones for when their look comes back; a few looks at most)."""
        if look == self._look_now:
            return
        if self._look_now is not None:
            self._looks[self._look_now] = (
                self._row_render_cache,
                self._cell_render_cache,
                self._line_cache,
            )
            while len(self._looks) > LOOKS_KEPT:
                self._looks.pop(next(iter(self._looks)))
        kept = self._looks.pop(look, None)
        if kept is None:
            kept = (LRUCache(1000), LRUCache(10000), LRUCache(1000))
        self._row_render_cache, self._cell_render_cache, self._line_cache = kept
        self._look_now = look


def reset_columns(
    table: DataTable[Text], columns: Sequence[tuple[str, Text | str, int]]
) -> dict[str, int]:
    """Clear rows and columns, then add (key, label, width) columns again (fitted to the
    table's width for a `FittedTable`); returns the widths used by key."""
    if isinstance(table, FittedTable):
        return table.set_columns(columns)
    table.clear(columns=True)
    for key, label, width in columns:
        table.add_column(label, key=key, width=width)
    return {key: width for key, _, width in columns}


def widest(values: Sequence[str], label: str, limit: int) -> int:
    """Width for an auto-sized column: its widest value or label, at most `limit`."""
    return min(max([len(label), *(len(v) for v in values)]), limit)


SORT_KEYS_BY_COLUMN = {
    "name": SortKey.NAME,
    "allocated": SortKey.ALLOCATED,
    "reclaimable": SortKey.RECLAIMABLE,
    "files": SortKey.FILES,
}
"""The columns a header click sorts by (every sortable table uses these column keys)."""

SORT_BINDINGS: list[BindingType] = [
    Binding(
        "n",
        "sort('name')",
        "By name",
        show=False,
        id="sort.name",
        tooltip="sort by name; again reverses",
    ),
    Binding(
        "s",
        "sort('allocated')",
        "By size",
        show=False,
        id="sort.allocated",
        tooltip="sort by allocated size; again reverses",
    ),
    Binding(
        "R",
        "sort('reclaimable')",
        "By reclaimable",
        show=False,
        id="sort.reclaimable",
        tooltip="sort by reclaimable size; again reverses",
    ),
    Binding(
        "f",
        "sort('files')",
        "By files",
        show=False,
        id="sort.files",
        tooltip="sort by file count; again reverses",
    ),
]
"""Sort keys of Buckets, Packages and Files (a header click does the same). Not in the footer:
the header's arrow shows the order, `?` and the palette list the keys."""


def column_label(title: str, key: str, order: SortOrder, *, align_right: bool = False) -> Text:
    """A header: the title, with the sort arrow when the table is sorted by this column."""
    sorted_here = SORT_KEYS_BY_COLUMN.get(key) is order.key
    text = f"{title} {order.arrow}" if sorted_here else title
    style = "bold" if sorted_here else ""
    return right(text, style) if align_right else Text(text, style=style)


def label_width(title: str, width: int) -> int:
    """A sortable column's width: room for its title and an arrow, whichever way it sorts."""
    return max(width, len(title) + 2)


class SortableTable(FittedTable):
    """A fitted table sorted by `order`: by key (`SORT_BINDINGS`) or a header click.

    Whoever fills the table listens for `SortChanged` and shows the rows again in `order`
    (and for `Refit`, as for any `FittedTable`).
    """

    BINDINGS = SORT_BINDINGS

    class SortChanged(Message):
        """`order` changed: show the rows again (the cursor stays on its row)."""

        def __init__(self, table: SortableTable) -> None:
            super().__init__()
            self.table = table

        @property
        def control(self) -> SortableTable:
            return self.table

    def __init__(
        self,
        *,
        id: str | None = None,
        squeeze: Mapping[str, int] | None = None,
        drop: Sequence[str] = (),
    ) -> None:
        super().__init__(squeeze=squeeze, drop=drop, id=id, cursor_type="row", zebra_stripes=True)
        self.order: SortOrder = DEFAULT_ORDER

    def action_sort(self, key: str) -> None:
        self.sort_by(SortKey(key))

    def sort_by(self, key: SortKey) -> None:
        self.order = self.order.pressed(key)
        self.post_message(self.SortChanged(self))

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = SORT_KEYS_BY_COLUMN.get(str(event.column_key.value))
        event.stop()
        if key is not None:
            self.sort_by(key)

    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, if any."""
        if not self.row_count:
            return None
        value = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return str(value) if value is not None else None
