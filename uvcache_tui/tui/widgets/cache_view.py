"""The right pane for a scanned cache: header, bucket bar, and the tabs.

`CacheView.compact` (set by the main screen below its narrow width) folds the header and
the bucket bar to one line each, so the tabs keep the rows of a 24-line terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.dir_listing import ArchiveFolderLabels
from uvcache_tui.core.model import Location
from uvcache_tui.tui.format import format_count, format_size, short_path
from uvcache_tui.tui.widgets.bucket_bar import BucketBar
from uvcache_tui.tui.widgets.buckets_table import BucketsTable
from uvcache_tui.tui.widgets.cache_tabs import FOCUS_TARGETS, TAB_TITLES, TABS
from uvcache_tui.tui.widgets.files_view import FilesView
from uvcache_tui.tui.widgets.info_view import InfoView
from uvcache_tui.tui.widgets.interpreters_view import InterpretersView
from uvcache_tui.tui.widgets.package_figures import PackageFigures
from uvcache_tui.tui.widgets.packages_table import PackagesView


def tab_view(tab: str) -> Widget:
    """A new, empty view for one tab."""
    if tab == "buckets":
        return BucketsTable(id="buckets-table")
    if tab == "packages":
        return PackagesView(id="packages-view")
    if tab == "files":
        return FilesView(id="files-view")
    if tab == "info":
        return InfoView(id="info-view")
    return InterpretersView(id="interpreters-view")


def header_text(model: CacheModel, location: Location | None) -> Text:
    """Two lines: where and which uv, then the totals that matter."""
    totals = model.totals
    text = Text(model.path, style="bold")
    text.append(f"  uv {model.uv_version}", style="cyan")
    if location is not None:
        text.append(f"  {location.label}", style="green" if location.active else "dim")
    text.append("\n")
    text.append("allocated ", style="dim")
    text.append(format_size(totals.allocated), style="bold")
    text.append("  reclaimable ", style="dim")
    text.append(format_size(totals.reclaimable), style="bold green")
    text.append("  files ", style="dim")
    text.append(format_count(totals.files), style="bold")
    if model.scan.partial:
        text.append("  PARTIAL", style="bold yellow")
    notes: list[str] = []
    if totals.kept_alive > 0:
        notes.append(
            f"{format_size(totals.kept_alive)} of it is also linked from venvs/tools:"
            " deleting would not free that"
        )
    if model.scan.partial:
        notes.append("the scan was stopped before the end: figures are lower bounds")
    for note in notes:
        text.append("\n" + note, style="dim" if "linked" in note else "yellow")
    return text


MIN_PATH_CELLS = 8
"""Narrower than this, the one-line header leaves the path out (the Info tab has it)."""


def header_line(model: CacheModel, width: int) -> Text:
    """One line for a narrow terminal: the totals, after as much of the path as fits."""
    totals = model.totals
    figures = Text.assemble(
        ("allocated ", "dim"),
        (format_size(totals.allocated), "bold"),
        ("  reclaimable ", "dim"),
        (format_size(totals.reclaimable), "bold green"),
        ("  files ", "dim"),
        (format_count(totals.files), "bold"),
    )
    if model.scan.partial:
        figures.append("  PARTIAL", style="bold yellow")
    room = width - figures.cell_len - 2
    if room < MIN_PATH_CELLS:
        return figures
    return Text.assemble((path_tail(model.path, room), "bold"), "  ", figures)


def path_tail(path: str, width: int) -> str:
    """`path` in `width` cells: whole, else `…/` and as many whole last components as fit
    (a name cut in the middle reads as another name)."""
    path = short_path(path, len(path))  # `~` for the home dir
    if len(path) <= width:
        return path
    parts = path.split("/")
    tail = parts[-1]
    if len(tail) + 2 > width:
        return short_path(tail, width)
    for part in reversed(parts[:-1]):
        if len(part) + len(tail) + 3 > width:
            break
        tail = f"{part}/{tail}"
    return f"…/{tail}"


class CacheHeader(Static):
    """Path, uv version and totals of the selected cache; one line when compact."""

    DEFAULT_CSS = """
    CacheHeader {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    CacheHeader.-compact {
        height: 1;
        margin-bottom: 0;
    }
    """

    compact = reactive(False, toggle_class="-compact")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[CacheModel, Location | None] | None = None

    def show_model(self, model: CacheModel, location: Location | None) -> None:
        self._shown = (model, location)
        self._show()

    def watch_compact(self) -> None:
        self._show()

    def on_resize(self) -> None:
        """The one-line header fits its path to the width."""
        if self.compact:
            self._show()

    def _show(self) -> None:
        if self._shown is None:
            return
        model, location = self._shown
        if not self.compact:
            self.update(header_text(model, location))
            return
        line = header_line(model, self.content_size.width)
        line.no_wrap = True
        line.overflow = "ellipsis"
        self.update(line)


class CacheView(Vertical):
    """Everything about one scanned cache; views only read the model they are given.

    Only the first tab's view is built with the cache view; the others are built one per
    frame after it is painted, or at once when a tab is opened before its turn, and each is
    filled with the model shown when it is built. A cache view thus costs its first frame a
    few widgets, not the ~30 of every tab. Tab views are built in this widget's own message
    queue, one at a time; `show_model` fills those already built: the tab shown and Packages
    (whose marks the actions read) at once, the others one per frame after (the Files tab's
    labels alone took ~20 ms of the model's arrival at 750k), or at once when opened.
    """

    DEFAULT_CSS = """
    CacheView {
        height: 1fr;
    }
    CacheView TabbedContent {
        height: 1fr;
    }
    CacheView TabPane {
        padding: 0;
    }
    """

    compact: reactive[bool] = reactive(False, toggle_class="-compact")
    """One-line header and bucket bar (narrow terminals)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._model: CacheModel | None = None
        self._location: Location | None = None
        self._figures: PackageFigures | None = None
        self._built: dict[str, CacheModel | None] = {TABS[0]: None}
        """Tab -> the model its view shows (None: not filled yet), for the tabs built."""
        self._building: set[str] = set()
        self._then: tuple[str, Callable[[], None]] | None = None
        """A tab opened before its view was built, and what to do on it once it is."""

    def compose(self) -> ComposeResult:
        yield CacheHeader(id="cache-header").data_bind(compact=CacheView.compact)
        yield BucketBar(id="bucket-bar").data_bind(compact=CacheView.compact)
        with TabbedContent(id="cache-tabs", initial=TABS[0]):
            for tab in TABS:
                with TabPane(TAB_TITLES[tab], id=tab):
                    if tab == TABS[0]:
                        yield tab_view(tab)

    def on_mount(self) -> None:
        self._build_later()

    def _build_later(self) -> None:
        """The next tab view after the next frame, in this widget's queue."""
        self.call_after_refresh(self.call_later, self._build_next)

    async def _build_next(self) -> None:
        waiting = [tab for tab in TABS if tab not in self._built]
        if waiting and self.is_attached:
            await self._build(waiting[0])
            self._build_later()

    async def _build(self, tab: str) -> None:
        """Mount a tab's view into its pane and fill it with the model shown."""
        if tab in self._built or tab in self._building or not self.is_attached:
            return
        self._building.add(tab)
        await self.tabs.get_pane(tab).mount(tab_view(tab))
        self._building.discard(tab)
        self._built[tab] = None
        self._fill(tab)
        if self._then is not None and self._then[0] == tab and self.tabs.active == tab:
            then = self._then[1]
            self._then = None
            then()

    def built_tabs(self) -> list[str]:
        """The tabs whose views exist, in tab order."""
        return [tab for tab in TABS if tab in self._built]

    def filled_tabs(self) -> list[str]:
        """The tabs whose views show the current model, in tab order."""
        model = self._model
        return [tab for tab in TABS if model is not None and self._built.get(tab) is model]

    @property
    def model(self) -> CacheModel | None:
        return self._model

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#cache-tabs", TabbedContent)

    @property
    def packages_view(self) -> PackagesView:
        return self.query_one(PackagesView)

    @property
    def files_view(self) -> FilesView:
        return self.query_one(FilesView)

    def marked_packages(self) -> set[str]:
        """The packages marked in the Packages tab (none while it is not built)."""
        return self.packages_view.marked_packages if "packages" in self._built else set()

    def show_model(
        self, model: CacheModel, location: Location | None, figures: PackageFigures | None = None
    ) -> None:
        """Fill every part built; tables are rebuilt only when the model itself changed.
        `figures`: the model's Packages figures, if computed already (by its scan)."""
        self.query_one(CacheHeader).show_model(model, location)
        if model is self._model:
            return
        self._model = model
        self._location = location
        self._figures = figures
        self.query_one(BucketBar).set_buckets(model.buckets)
        now = {self.tabs.active, "packages"}
        for tab in self._built:
            if tab in now:
                self._fill(tab)
        self._fill_later()

    def _fill_later(self) -> None:
        """The next built tab not showing the model, after the next frame, in this widget's
        queue (one a step: the keys are answered between)."""
        self.call_after_refresh(self.call_later, self._fill_next)

    def _fill_next(self) -> None:
        model = self._model
        waiting = [tab for tab, shown in self._built.items() if shown is not model]
        if model is not None and waiting and self.is_attached:
            self._fill(waiting[0])
            self._fill_later()

    def _fill(self, tab: str) -> None:
        """Show the current model in a built tab's view, unless it already does."""
        model = self._model
        if model is None or self._built.get(tab) is model:
            return
        self._built[tab] = model
        if tab == "buckets":
            self.query_one(BucketsTable).show_model(model)
        elif tab == "packages":
            self.packages_view.show_model(model, self._figures)
        elif tab == "files":
            labels = ArchiveFolderLabels(model.archives, model.packages)
            self.files_view.show_scan(model.scan, labels)
        elif tab == "info":
            self.query_one(InfoView).show_model(model, self._location)
        else:
            self.query_one(InterpretersView).show_model(model)

    def show_tab(self, tab: str) -> None:
        """Switch to a tab and focus its main widget, so its keys work at once (as soon as
        its view is built, when it is opened before its turn)."""
        self._open(tab, partial(self._focus, tab))

    def open_packages_filter(self) -> None:
        """The Packages tab with its filter open (`/` outside the Files tab)."""

        def opened() -> None:
            self._focus("packages")
            self.packages_view.open_filter()

        self._open("packages", opened)

    def _focus(self, tab: str) -> None:
        self.query_one(FOCUS_TARGETS[tab]).focus()

    def _open(self, tab: str, then: Callable[[], None]) -> None:
        """Show a tab, then run `then` on its view: now, or once the view is built."""
        self.tabs.active = tab
        if tab in self._built:
            self._then = None
            self._fill(tab)  # unless it shows the model already
            then()
            return
        self._then = (tab, then)
        self.call_later(self._build, tab)

    @on(TabbedContent.TabActivated, "#cache-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """A tab opened any way (key, click, code) before its turn is built now, and one
        built is filled now if it was waiting for its turn."""
        tab = event.pane.id
        if tab in TABS and tab not in self._built:
            self.call_later(self._build, tab)
        elif tab in self._built:
            self._fill(tab)  # not filled with the model yet (`_fill_later`)
