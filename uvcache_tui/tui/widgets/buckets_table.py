"""The Buckets tab: each top-level entry of the cache, classified for this uv version."""

from __future__ import annotations

from rich.text import Text
from textual import on

from uvcache_tui.core.cache import BucketEntry, CacheModel
from uvcache_tui.core.sorting import sort_rows
from uvcache_tui.tui.format import STATUS_STYLES, format_count, format_size
from uvcache_tui.tui.widgets.bucket_bar import bucket_colour
from uvcache_tui.tui.widgets.table_columns import (
    FittedTable,
    SortableTable,
    TableRow,
    column_label,
    label_width,
    reset_columns,
    right,
    widest,
)


class BucketsTable(SortableTable):
    """One row per top-level entry, keyed by its name, largest first unless sorted otherwise;
    when narrow, Files and Status leave before the sizes do."""

    DEFAULT_CSS = """
    BucketsTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, squeeze={"name": 10}, drop=("files", "status"))
        self._model: CacheModel | None = None

    def show_model(self, model: CacheModel) -> None:
        """A new model opens at the top."""
        self._model = model
        self._fill(cursor=None)

    @on(SortableTable.SortChanged)
    def _sort_changed(self, event: SortableTable.SortChanged) -> None:
        event.stop()
        self._fill(cursor=self.cursor_key())

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        """Fill again at the new width, the cursor on the same bucket."""
        event.stop()
        self._fill(cursor=self.cursor_key())

    def _fill(self, cursor: str | None) -> None:
        model = self._model
        if model is None:
            return
        order = self.order
        entries = sort_rows(model.buckets, order, name=lambda b: b.name, sizes=lambda b: b.sizes)
        names = [shown_name(e) for e in entries]
        reset_columns(
            self,
            [
                ("name", column_label("Bucket", "name", order), widest(names, "Bucket", 40) + 2),
                ("status", "Status", 8),
                (
                    "allocated",
                    column_label("Allocated", "allocated", order, align_right=True),
                    label_width("Allocated", 10),
                ),
                (
                    "reclaimable",
                    column_label("Reclaimable", "reclaimable", order, align_right=True),
                    label_width("Reclaimable", 11),
                ),
                (
                    "files",
                    column_label("Files", "files", order, align_right=True),
                    label_width("Files", 9),
                ),
            ],
        )
        self.fill(entries, bucket_row, cursor=cursor)


def shown_name(entry: BucketEntry) -> str:
    return entry.name + ("" if entry.is_dir else " (file)")


def bucket_row(entry: BucketEntry) -> TableRow:
    return TableRow(
        entry.name,
        (
            Text.assemble(("■ ", bucket_colour(entry)), shown_name(entry)),
            Text(entry.status.value, style=STATUS_STYLES[entry.status]),
            right(format_size(entry.sizes.allocated)),
            right(format_size(entry.sizes.reclaimable)),
            right(format_count(entry.sizes.files)),
        ),
    )
