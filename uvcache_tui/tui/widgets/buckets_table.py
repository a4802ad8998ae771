"""The Buckets tab: each top-level entry of the cache, classified for this uv version."""

from __future__ import annotations

from rich.text import Text
from textual import on

from uvcache_tui.core.buckets import BucketStatus
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.tui.format import format_count, format_size
from uvcache_tui.tui.widgets.bucket_bar import bucket_colour
from uvcache_tui.tui.widgets.table_columns import FittedTable, reset_columns, right, widest

STATUS_STYLES = {
    BucketStatus.CURRENT: "green",
    BucketStatus.STALE: "yellow",
    BucketStatus.FOREIGN: "bold red",
    BucketStatus.SCAFFOLD: "dim",
}


class BucketsTable(FittedTable):
    """One row per top-level entry, keyed by its name, largest first; when narrow, Files
    and Status leave before the sizes do."""

    DEFAULT_CSS = """
    BucketsTable {
        height: 1fr;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            cursor_type="row",
            zebra_stripes=True,
            squeeze={"name": 10},
            drop=("files", "status"),
        )
        self._model: CacheModel | None = None

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        """Fill again at the new width, the cursor on the same bucket."""
        event.stop()
        if self._model is None:
            return
        cursor = (
            self.coordinate_to_cell_key(self.cursor_coordinate).row_key if self.row_count else None
        )
        self.show_model(self._model)
        if cursor is not None and cursor in self.rows:
            self.move_cursor(row=self.get_row_index(cursor))

    def show_model(self, model: CacheModel) -> None:
        self._model = model
        entries = sorted(model.buckets, key=lambda b: (-b.sizes.allocated, b.name))
        names = [e.name + ("" if e.is_dir else " (file)") for e in entries]
        reset_columns(
            self,
            [
                ("name", "Bucket", widest(names, "Bucket", 40) + 2),
                ("status", "Status", 8),
                ("allocated", right("Allocated"), 10),
                ("reclaimable", right("Reclaimable"), 11),
                ("files", right("Files"), 9),
            ],
        )
        for entry, name in zip(entries, names, strict=True):
            self.add_row(
                Text.assemble(("■ ", bucket_colour(entry)), name),
                Text(entry.status.value, style=STATUS_STYLES[entry.status]),
                right(format_size(entry.sizes.allocated)),
                right(format_size(entry.sizes.reclaimable)),
                right(format_count(entry.sizes.files)),
                key=entry.name,
            )
