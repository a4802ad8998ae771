"""The Files tab: an ncdu-like walk down the scanned `DirNode` tree.

Rows are the current directory's subdirectories plus one "(N files)" row for the files
directly inside it (`core.dir_listing`: figures honest about hardlinks, archive folders
named by what they hold). Nothing here touches the filesystem: it reads the finished scan.
`/` (the screen's filter key) narrows the listing shown to the names that contain the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from uvcache_tui.core.dir_listing import (
    FILES_KEY,
    DirRow,
    Listing,
    directory_listing,
    sort_listing,
)
from uvcache_tui.core.scan import DirNode, ScanResult
from uvcache_tui.tui.format import format_count, format_size, size_bar
from uvcache_tui.tui.widgets.table_columns import (
    FittedTable,
    SortableTable,
    TableRow,
    column_label,
    fit,
    label_width,
    reset_columns,
    right,
)

__all__ = ["FILES_KEY", "UP_KEY", "FilesTable", "FilesView"]

UP_KEY = ":up"
BAR_WIDTH = 12
MIN_BAR_WIDTH = 3
SHARED_WIDTH = 12
LINK_MARK = "⇄"
"""Marks the bytes of a row hardlinked from somewhere else (another row, a venv)."""
MIN_NAME_WIDTH = 12


def row_name(row: DirRow, width: int) -> Text:
    """A folder's name (an archive's package and version first), or the own-files row."""
    if row.node is None:
        return Text(fit(row.name, width), style="italic")
    if row.label is None:
        return Text(fit(row.name + "/", width), style="bold")
    text = Text(row.label, style="bold")
    text.append(f"  {row.name}/", style="dim")
    text.truncate(width, overflow="ellipsis")
    return text


def name_cells(row: DirRow, limit: int = 200) -> int:
    """Cells `row_name(row, limit)` takes, without building it (archive-v0 has a row per
    archive: 13k on the 750k-entry benchmark)."""
    if row.node is not None and row.label is not None:
        return min(cell_len(f"{row.label}  {row.name}/"), limit)
    return cell_len(fit(row.name if row.node is None else row.name + "/", limit))


class FilesTable(SortableTable):
    """The listing; enter descends (DataTable's select), backspace/left go up. Name takes
    the room the other columns leave, then the bar; when narrow the bar, Files, % and
    Shared leave first."""

    BINDINGS = [
        Binding("backspace", "go_up", "Up", id="files.up", tooltip="go to the parent directory"),
        Binding(
            "left",
            "go_up",
            "Up",
            show=False,
            id="files.up-left",
            tooltip="go to the parent directory",
        ),
    ]

    class GoUp(Message):
        """Asked to show the parent directory."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(
            id=id,
            squeeze={"name": MIN_NAME_WIDTH, "bar": MIN_BAR_WIDTH},
            drop=("bar", "files", "share", "shared"),
        )

    def show_rows(self, listing: Listing, with_up: bool, cursor: str | None = None) -> None:
        """Replace the listing; the columns are fitted to the table's width. The cursor
        goes to the row keyed `cursor`, else to the first row after `..`."""
        rows = listing.rows
        width = max([4, *(name_cells(row) for row in rows)])
        order = self.order
        widths = reset_columns(
            self,
            [
                ("name", column_label("Name", "name", order), label_width("Name", width)),
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
                ("shared", right("Shared"), SHARED_WIDTH),
                ("bar", " ", BAR_WIDTH),
                ("share", right("%"), 3),
                (
                    "files",
                    column_label("Files", "files", order, align_right=True),
                    label_width("Files", 7),
                ),
            ],
        )
        width = widths["name"]
        bar_width = widths.get("bar", MIN_BAR_WIDTH)

        def table_row(row: DirRow | None) -> TableRow:
            if row is None:
                return TableRow(UP_KEY, (Text("..", style="bold"), *([Text("")] * 6)))
            share = listing.share(row)
            linked = row.linked_elsewhere
            return TableRow(
                row.key,
                (
                    row_name(row, width),
                    right(format_size(row.allocated)),
                    right(format_size(row.reclaimable)),
                    right(f"{LINK_MARK} {format_size(linked)}" if linked else "", "magenta"),
                    Text(size_bar(share, bar_width), style="cyan"),
                    right(f"{100 * share:.0f}"),
                    right(format_count(row.files)),
                ),
            )

        items: list[DirRow | None] = [None, *rows] if with_up else list(rows)
        if cursor not in {row.key for row in rows}:  # `..` (row 0) or gone
            cursor = rows[0].key if with_up and rows and cursor != UP_KEY else None
        self.fill(items, table_row, cursor=cursor)

    def action_go_up(self) -> None:
        self.post_message(self.GoUp())


class FilesView(Vertical):
    """Breadcrumb and listing over one scan (sorted by the table's keys and headers)."""

    DEFAULT_CSS = """
    FilesView {
        height: 1fr;
    }
    FilesView #files-path {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    FilesView #files-table {
        height: 1fr;
    }
    FilesView #files-filter {
        display: none;
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    FilesView.filtering #files-filter {
        display: block;
    }
    """

    BINDINGS = [Binding("escape", "close_filter", "Clear filter")]

    class Moved(Message):
        """The directory shown changed (for anything that follows the cursor)."""

        def __init__(self, relpath: str) -> None:
            super().__init__()
            self.relpath = relpath

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._result: ScanResult | None = None
        self._labels: Mapping[str, str] = {}
        self._current: DirNode | None = None
        self._listings: dict[int, Listing] = {}
        """Unsorted listings of this scan's directories, by node id (sorting and resizing
        reuse them; a new scan drops them)."""

    def compose(self) -> ComposeResult:
        yield Static(id="files-path")
        yield Input(placeholder="filter this directory by name…", id="files-filter")
        yield FilesTable(id="files-table")

    @property
    def table(self) -> FilesTable:
        return self.query_one(FilesTable)

    @property
    def current(self) -> DirNode | None:
        return self._current

    @property
    def current_relpath(self) -> str:
        return self._current.relpath() if self._current is not None else "."

    def show_scan(self, result: ScanResult, labels: Mapping[str, str] | None = None) -> None:
        """Show a new scan (`labels`: what folders hold, by relative path); a rescan of the
        same tree stays in the same directory if it can, its list at the top."""
        same_tree = self._result is not None and self._result.root_path == result.root_path
        relpath = self.current_relpath if same_tree else "."
        self._result = result
        self._labels = labels or {}
        self._listings = {}
        self._show(result.node(relpath) or result.root)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#files-filter", Input)

    @property
    def filter_text(self) -> str:
        return self.filter_input.value.strip().lower() if self.has_class("filtering") else ""

    def open_filter(self) -> None:
        """`/` in Files: type to narrow the directory shown (enter keeps, escape clears)."""
        self.add_class("filtering")
        self.filter_input.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape only means something while the filter is open."""
        if action == "close_filter":
            return self.has_class("filtering")
        return True

    def action_close_filter(self) -> None:
        if self._drop_filter() and self._current is not None:
            self._show(self._current, cursor=self.table.cursor_key())
        self.table.focus()

    def _drop_filter(self) -> bool:
        """Close the filter (it was for the directory shown); True if it was open."""
        if not self.has_class("filtering"):
            return False
        self.remove_class("filtering")
        self.filter_input.value = ""
        self.refresh_bindings()
        return True

    @on(Input.Changed, "#files-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._current is not None:
            self._show(self._current, cursor=self.table.cursor_key())

    @on(Input.Submitted, "#files-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    def enter(self, node: DirNode) -> None:
        self._drop_filter()
        self._show(node)

    def go_up(self) -> None:
        current = self._current
        if current is None or current.parent is None:
            return
        self._drop_filter()
        self._show(current.parent, cursor=f"d:{current.name}")

    @on(SortableTable.SortChanged, "#files-table")
    def _sort_changed(self, event: SortableTable.SortChanged) -> None:
        event.stop()
        if self._current is not None:
            self._show(self._current, cursor=self.table.cursor_key())

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        """The Name column takes the width left over: lay the listing out again."""
        event.stop()
        if self._current is not None:
            self._show(self._current, cursor=self.table.cursor_key())

    @on(FilesTable.GoUp)
    def _go_up(self, event: FilesTable.GoUp) -> None:
        event.stop()
        self.go_up()

    @on(DataTable.RowSelected, "#files-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        current = self._current
        if current is None or key is None:
            return
        if key == UP_KEY:
            self.go_up()
        elif key.startswith("d:"):
            child = current.child(key[2:])
            if child is not None:
                self.enter(child)

    def _show(self, node: DirNode, cursor: str | None = None) -> None:
        self._current = node
        result = self._result
        if result is None:
            return
        table = self.table
        unsorted = self._listings.get(id(node))
        if unsorted is None:
            unsorted = self._listings[id(node)] = directory_listing(result, node, self._labels)
        listing = sort_listing(unsorted, table.order)
        needle = self.filter_text
        if needle:
            listing = replace(
                listing,
                rows=[r for r in listing.rows if needle in f"{r.label or ''} {r.name}".lower()],
            )
        relpath = node.relpath()
        where = result.root_path if relpath == "." else f"{result.root_path}/{relpath}"
        crumb = Text(where, style="bold")
        details = [format_size(node.sub_alloc)]
        if listing.shared_between_rows:
            details.append(
                f"{LINK_MARK} {format_size(listing.shared_between_rows)} shared between rows"
            )
        if not node.complete:
            details.append("could not be listed completely")
        crumb.append("  " + " · ".join(details), style="dim")
        self.query_one("#files-path", Static).update(crumb)
        table.show_rows(listing, with_up=node.parent is not None, cursor=cursor)
        self.post_message(self.Moved(relpath))
