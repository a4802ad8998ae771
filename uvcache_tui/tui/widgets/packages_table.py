"""The Packages tab: what each package costs across buckets, with a filter and marks.

Rows are keyed by package name (the name `uv cache clean <name>` takes). Space marks a row;
`PackagesView.marked_packages` is the set the clean action works on, and marks survive
filtering and rescans (a package that disappeared is unmarked).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.model import Sizes
from uvcache_tui.core.packages import PackageEntry
from uvcache_tui.core.predict import clean_packages_sizes
from uvcache_tui.core.sorting import SortOrder
from uvcache_tui.core.words import counted
from uvcache_tui.tui.format import format_count, format_size
from uvcache_tui.tui.screens.wheels import WheelsScreen
from uvcache_tui.tui.widgets.package_figures import PackageFigures, package_figures
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

MARK = "✓"


class PackagesTable(SortableTable):
    """The table proper; space toggles the mark on the cursor row. When narrow, Files
    leaves, then Versions shrinks and leaves; the sizes stay."""

    BINDINGS = [
        Binding(
            "space", "toggle_mark", "Mark", id="packages.mark", tooltip="mark / unmark a package"
        ),
        Binding(
            "enter",
            "open_wheels",
            "Wheels",
            id="packages.wheels",
            tooltip="open a package into its cached wheels and sdist revisions",
        ),
    ]

    class MarkToggled(Message):
        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, squeeze={"name": 12, "versions": 8}, drop=("files", "versions"))

    def action_open_wheels(self) -> None:
        if self.row_count == 0:
            return
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        view = self.parent
        if row_key.value is not None and isinstance(view, PackagesView) and view.model:
            self.app.push_screen(WheelsScreen(view.model, row_key.value))

    def action_toggle_mark(self) -> None:
        if self.row_count == 0:
            return
        row_key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        if row_key.value is not None:
            self.post_message(self.MarkToggled(row_key.value))
            if self.cursor_row < self.row_count - 1:
                self.move_cursor(row=self.cursor_row + 1)


class PackagesView(Vertical):
    """Filter input (hidden until `/`), the table, and a status line with the marked total."""

    DEFAULT_CSS = """
    PackagesView {
        height: 1fr;
    }
    PackagesView #packages-filter {
        display: none;
        border: none;
        height: 1;
        padding: 0 1;
        background: $boost;
    }
    PackagesView.filtering #packages-filter {
        display: block;
    }
    PackagesView #packages-table {
        height: 1fr;
    }
    PackagesView #packages-status {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    BINDINGS = [Binding("escape", "close_filter", "Clear filter")]

    class MarksChanged(Message):
        """The set of marked packages changed (the clean action's preview listens)."""

        def __init__(self, marked: frozenset[str]) -> None:
            super().__init__()
            self.marked = marked

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.marked_packages: set[str] = set()
        self._model: CacheModel | None = None
        self._figures: PackageFigures | None = None
        """The model's sizes, versions and widths (computed in a worker once a model);
        until they come, the table is empty."""
        self._ordered: dict[SortOrder, list[PackageEntry]] = {}
        """Every package of `_figures` by order, sorted once each: the worker's order, and
        those sorted since (a filter, a Refit or a sort back to one reuses its list)."""
        self._shown: list[str] = []
        """The names the filter lets through, in the table's order: the table's rows once
        its fill is done (a large table fills in slices)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter packages by name…", id="packages-filter")
        yield PackagesTable(id="packages-table")
        yield Static(id="packages-status")

    @property
    def table(self) -> PackagesTable:
        return self.query_one(PackagesTable)

    @property
    def filter_input(self) -> Input:
        return self.query_one("#packages-filter", Input)

    @property
    def filter_text(self) -> str:
        return self.filter_input.value.strip().lower() if self.has_class("filtering") else ""

    @property
    def model(self) -> CacheModel | None:
        return self._model

    def marked_entries(self) -> list[PackageEntry]:
        """The marked packages of the model on screen, by name."""
        if self._model is None:
            return []
        return [p for p in self._model.packages if p.name in self.marked_packages]

    def marked_sizes(self) -> Sizes:
        """What cleaning the marked packages frees, the clean preview's own figure (this
        walks: the status line calls it from a worker)."""
        if self._model is None:
            return Sizes()
        return clean_packages_sizes(self._model, self.marked_packages)

    def visible_names(self) -> list[str]:
        """The names shown, in order (what the filter left), all of them even while the
        table is still filling."""
        return list(self._shown)

    def show_model(self, model: CacheModel, figures: PackageFigures | None = None) -> None:
        """Show a scan's packages. A rescan keeps the marks of packages still there;
        another cache starts unmarked, so an action never applies marks to the wrong cache.
        `figures`: the model's, if computed already (by its scan); else a worker does."""
        same_cache = self._model is not None and self._model.path == model.path
        self._model = model
        if self._figures is not None and self._figures.model is not model:
            self._figures = None
            self._ordered = {}
        if figures is not None and figures.model is model and self._figures is None:
            self._take_figures(figures)
        names = {p.name for p in model.packages} if same_cache else set()
        if self.marked_packages - names:
            self.marked_packages &= names
            self.post_message(self.MarksChanged(frozenset(self.marked_packages)))
        self._fill(keep_cursor=False)
        if self._figures is None:
            # After the next frame: the model's first paint does not share the GIL with it.
            self.call_after_refresh(self._compute_figures, model, self.table.order)

    @work(
        thread=True,
        exclusive=True,
        group="package-figures",
        exit_on_error=False,
        # Given: by default the description is the arguments' repr, the whole model's.
        description="measuring the packages",
    )
    def _compute_figures(self, model: CacheModel, order: SortOrder) -> None:
        """A model's figures, its packages sorted in `order`, off the UI thread; the table
        fills when they come."""
        figures = package_figures(model, order)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._figures_ready, figures)

    def _figures_ready(self, figures: PackageFigures) -> None:
        if figures.model is not self._model:
            return  # a newer model's figures are being computed
        self._take_figures(figures)
        self._fill(keep_cursor=False)

    def _take_figures(self, figures: PackageFigures) -> None:
        self._figures = figures
        self._ordered = {figures.order: figures.ordered}

    def open_filter(self) -> None:
        self.add_class("filtering")
        self.filter_input.focus()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Escape only means something while the filter is open."""
        if action == "close_filter":
            return self.has_class("filtering")
        return True

    def action_close_filter(self) -> None:
        """Escape: drop the filter and go back to the table."""
        if not self.has_class("filtering"):
            return
        self.remove_class("filtering")
        self.filter_input.value = ""
        self._fill()
        self.table.focus()
        self.refresh_bindings()

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        event.stop()
        self._fill()

    @on(Input.Changed, "#packages-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill()

    @on(Input.Submitted, "#packages-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.table.focus()

    @on(SortableTable.SortChanged, "#packages-table")
    def _sort_changed(self, event: SortableTable.SortChanged) -> None:
        event.stop()
        self._fill()

    @on(PackagesTable.MarkToggled)
    def _mark_toggled(self, event: PackagesTable.MarkToggled) -> None:
        event.stop()
        self.marked_packages ^= {event.name}
        self.table.update_cell(event.name, "mark", self._mark_cell(event.name))
        self._update_status()
        self.post_message(self.MarksChanged(frozenset(self.marked_packages)))

    def _mark_cell(self, name: str) -> Text:
        return Text(MARK if name in self.marked_packages else " ", style="bold green")

    def _fill(self, keep_cursor: bool = True) -> None:
        """Show the model's packages that pass the filter, in the table's order; the
        cursor stays on its package unless `keep_cursor` is False (a new model). A fill
        in progress stops: this one starts from the model, not from the table."""
        table = self.table
        figures = self._figures
        model = figures.model if figures is not None else None
        cursor_key = table.cursor_key() if keep_cursor else None
        packages = model.packages if model is not None else []
        order = table.order
        versions = figures.versions if figures is not None else {}
        name_width = figures.name_width if figures is not None else len("Package")
        versions_width = figures.versions_width if figures is not None else len("Versions")
        widths = reset_columns(
            table,
            [
                ("mark", " ", 1),
                (
                    "name",
                    column_label("Package", "name", order),
                    label_width("Package", name_width),
                ),
                ("versions", "Versions", versions_width),
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
                    label_width("Files", 7),
                ),
            ],
        )
        name_width = widths["name"]
        versions_width = widths.get("versions", versions_width)
        self._shown = []
        if figures is not None and model is not None:
            needle = self.filter_text
            sizes = figures.sizes
            ordered = self._ordered.get(order)
            if ordered is None:
                ordered = self._ordered[order] = figures.sort(packages, order)
            # The order is total (figure, name, then the model's order), so the filtered
            # packages of the sorted list are the sorted filtered packages.
            shown = [p for p in ordered if needle in p.name] if needle else ordered
            self._shown = [p.name for p in shown]

            def row(package: PackageEntry) -> TableRow:
                figures = sizes[package.name]
                return TableRow(
                    package.name,
                    (
                        self._mark_cell(package.name),
                        Text(fit(package.name, name_width)),
                        Text(fit(versions[package.name], versions_width), style="dim"),
                        right(format_size(figures.allocated)),
                        right(format_size(figures.reclaimable)),
                        right(format_count(figures.files)),
                    ),
                )

            table.fill(shown, row, cursor=cursor_key)
        self._update_status()

    def _update_status(self) -> None:
        model = self._model
        status = self.query_one("#packages-status", Static)
        if model is None:
            status.update("")
            return
        total = len(model.packages)
        if self._figures is None:
            status.update(f"{counted(total, 'package')} · measuring…")
            return
        shown = len(self._shown)
        text = (
            counted(total, "package")
            if shown == total
            else f"{shown:,} of {counted(total, 'package')}"
        )
        if self.marked_packages:
            text += f" · {len(self.marked_packages)} marked"
            status.update(text + ": measuring…")
            self._measure_marked(model, frozenset(self.marked_packages), text)
        else:
            text += " · space marks a package, / filters"
            status.update(text)

    @work(
        thread=True,
        exclusive=True,
        group="marked-sizes",
        exit_on_error=False,
        description="measuring the marked packages",  # not the model's repr
    )
    def _measure_marked(self, model: CacheModel, names: frozenset[str], prefix: str) -> None:
        """The clean preview's figure for the marks is a walk: never on the UI thread."""
        sizes = clean_packages_sizes(model, names)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_marked, model, names, prefix, sizes)

    def _show_marked(
        self, model: CacheModel, names: frozenset[str], prefix: str, sizes: Sizes
    ) -> None:
        if model is not self._model or names != self.marked_packages:
            return  # a newer model or mark is already being measured
        self.query_one("#packages-status", Static).update(
            f"{prefix}: {format_size(sizes.allocated)} allocated,"
            f" {format_size(sizes.reclaimable)} reclaimable"
        )
