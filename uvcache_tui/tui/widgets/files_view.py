"""The Files tab: an ncdu-like walk down the scanned `DirNode` tree.

Rows are the current directory's subdirectories plus one "(N files)" row for the files
directly inside it. Nothing here touches the filesystem: it reads the finished scan. `/`
(the screen's filter key) narrows the listing shown to the names that contain the text.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from uvcache_tui.core.scan import DirNode, ScanResult
from uvcache_tui.tui.format import format_count, format_size, size_bar
from uvcache_tui.tui.widgets.table_columns import FittedTable, fit, reset_columns, right

UP_KEY = ":up"
FILES_KEY = ":files"
BAR_WIDTH = 12
SORT_KEYS = ("size", "name", "count")


@dataclass(frozen=True)
class FileRow:
    """One row of the listing: a subdirectory, or the directory's own files."""

    key: str
    name: str
    allocated: int
    reclaimable: int | None
    count: int
    node: DirNode | None


def own_files_allocated(node: DirNode) -> int:
    """Bytes of a directory's own entry and files: what its subdirectories do not explain.

    Multi-link files are not in `own_alloc` (the scanner places them along their link
    paths), so take the subtree total minus the children's. Exact unless two children
    share an inode, where the clamp keeps it from going negative.
    """
    children = sum(child.sub_alloc for child in node.iter_children())
    return max(0, node.sub_alloc - children)


def listing(node: DirNode, sort: str = "size") -> list[FileRow]:
    """The rows for `node`, sorted by size (largest first), name, or file count."""
    rows = [
        FileRow(
            f"d:{child.name}",
            child.name,
            child.sub_alloc,
            child.sub_reclaim,
            child.sub_files,
            child,
        )
        for child in node.iter_children()
    ]
    if node.own_files:
        label = f"({node.own_files} file{'s' if node.own_files != 1 else ''})"
        rows.append(
            FileRow(FILES_KEY, label, own_files_allocated(node), None, node.own_files, None)
        )
    if sort == "name":
        rows.sort(key=lambda r: (r.node is None, r.name))
    elif sort == "count":
        rows.sort(key=lambda r: (-r.count, r.name))
    else:
        rows.sort(key=lambda r: (-r.allocated, r.name))
    return rows


class FilesTable(FittedTable):
    """The listing; enter descends (DataTable's select), backspace/left go up. Name takes
    the room the other columns leave; when narrow the bar, Files and % leave first."""

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
            cursor_type="row",
            zebra_stripes=True,
            squeeze={"name": 12},
            drop=("bar", "count", "share"),
        )

    def show_rows(self, rows: list[FileRow], total: int, with_up: bool) -> None:
        """Replace the listing; the Name column gets the room the other columns leave."""
        names = [row.name + "/" if row.node is not None else row.name for row in rows]
        width = max([4, *(len(n) for n in names)])
        widths = reset_columns(
            self,
            [
                ("name", "Name", width),
                ("allocated", right("Allocated"), 10),
                ("reclaimable", right("Reclaimable"), 11),
                ("bar", " ", BAR_WIDTH),
                ("share", right("%"), 3),
                ("count", right("Files"), 7),
            ],
        )
        width = widths["name"]
        if with_up:
            blank = Text("")
            self.add_row(Text("..", style="bold"), blank, blank, blank, blank, blank, key=UP_KEY)
        for row, name in zip(rows, names, strict=True):
            share = row.allocated / (total or 1)
            reclaimable = format_size(row.reclaimable) if row.reclaimable is not None else ""
            self.add_row(
                Text(fit(name, width), style="bold" if row.node is not None else "italic"),
                right(format_size(row.allocated)),
                right(reclaimable),
                Text(size_bar(share, BAR_WIDTH), style="cyan"),
                right(f"{100 * share:.0f}"),
                right(format_count(row.count)),
                key=row.key,
            )

    def action_go_up(self) -> None:
        self.post_message(self.GoUp())


SORT_HELP = "sort by size, name, file count"


class FilesView(Vertical):
    """Breadcrumb, listing and sort keys (s size, n name, c count) over one scan."""

    DEFAULT_CSS = """
    FilesView {
        height: 1fr;
    }
    FilesView #files-path {
        height: 1;
        padding: 0 1;
        color: $text-muted;
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
    FilesView #files-table {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("s", "sort('size')", "By size", id="files.sort-size", tooltip=SORT_HELP),
        Binding("n", "sort('name')", "By name", id="files.sort-name", tooltip=SORT_HELP),
        Binding("c", "sort('count')", "By count", id="files.sort-count", tooltip=SORT_HELP),
        Binding("escape", "close_filter", "Clear filter"),
    ]

    class Moved(Message):
        """The directory shown changed (for anything that follows the cursor)."""

        def __init__(self, relpath: str) -> None:
            super().__init__()
            self.relpath = relpath

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.sort = "size"
        self._result: ScanResult | None = None
        self._current: DirNode | None = None

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

    def show_scan(self, result: ScanResult) -> None:
        """Show a new scan; a rescan of the same tree stays in the same directory if it can."""
        same_tree = self._result is not None and self._result.root_path == result.root_path
        relpath = self.current_relpath if same_tree else "."
        self._result = result
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
            self._show(self._current, cursor=self._cursor_key())
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
            self._show(self._current, cursor=self._cursor_key())

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

    def action_sort(self, key: str) -> None:
        if key in SORT_KEYS and key != self.sort:
            self.sort = key
            if self._current is not None:
                self._show(self._current, cursor=self._cursor_key())

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        """The Name column takes the width left over: lay the listing out again."""
        event.stop()
        if self._current is not None:
            self._show(self._current, cursor=self._cursor_key())

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

    def _cursor_key(self) -> str | None:
        table = self.table
        if not table.row_count:
            return None
        value = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(value) if value is not None else None

    def _show(self, node: DirNode, cursor: str | None = None) -> None:
        self._current = node
        result = self._result
        root_path = result.root_path if result is not None else ""
        relpath = node.relpath()
        where = root_path if relpath == "." else f"{root_path}/{relpath}"
        crumb = Text(where, style="bold")
        crumb.append(
            f"  {format_size(node.sub_alloc)} · sorted by {self.sort}"
            + ("" if node.complete else " · could not be listed completely"),
            style="dim",
        )
        self.query_one("#files-path", Static).update(crumb)
        table = self.table
        needle = self.filter_text
        rows = [row for row in listing(node, self.sort) if needle in row.name.lower()]
        table.show_rows(rows, node.sub_alloc, with_up=node.parent is not None)
        if cursor is not None and cursor in table.rows:
            table.move_cursor(row=table.get_row_index(cursor))
        elif node.parent is not None and table.row_count > 1:
            table.move_cursor(row=1)
        self.post_message(self.Moved(relpath))
