"""Shared DataTable helpers: right-aligned cells, explicit column widths, and sorting
(`SortableTable`: the keys and header clicks of Buckets, Packages and Files, the arrow in
the sorted column's header; the order itself is `core.sorting`'s).

Columns get explicit widths computed from the rows about to be shown: an auto-width column
that grows after a refill can keep rendering cells cut at its old width (seen with Textual
8.2 when the cursor moves in the same tick), and explicit widths also keep the tables from
scrolling sideways.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

from uvcache_tui.core.sorting import DEFAULT_ORDER, SortKey, SortOrder


def right(text: str, style: str = "") -> Text:
    """A right-aligned cell (sizes and counts line up on their units)."""
    return Text(text, style=style, justify="right")


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def reset_columns(table: DataTable[Text], columns: Sequence[tuple[str, Text | str, int]]) -> None:
    """Clear rows and columns, then add (key, label, width) columns again."""
    table.clear(columns=True)
    for key, label, width in columns:
        table.add_column(label, key=key, width=width)


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


class SortableTable(DataTable[Text]):
    """A table sorted by `order`: by key (`SORT_BINDINGS`) or a header click.

    Whoever fills the table listens for `SortChanged` and shows the rows again in `order`.
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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
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

    def restore_cursor(self, key: str | None) -> None:
        """Put the cursor back on the row keyed `key` (after a refill), else at the top."""
        if key is not None and key in self.rows:
            self.move_cursor(row=self.get_row_index(key))
