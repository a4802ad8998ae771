"""Right-pane views for everything that is not a scanned cache: states, errors, data dirs."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Column, Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from uvcache_tui.core.contents.pythons import ManagedPython, managed_pythons
from uvcache_tui.core.location import LocationStatus
from uvcache_tui.core.model import Location, LocationKind
from uvcache_tui.core.scan import DirNode
from uvcache_tui.core.words import counted
from uvcache_tui.tui.format import format_count, format_size
from uvcache_tui.tui.snapshots import snapshot_summary
from uvcache_tui.tui.state import LocationState

DATA_NOTE = "uv data, not a cache: uv cache clean/prune never touch it"
DATA_TITLES = {LocationKind.PYTHON: "Managed Pythons", LocationKind.TOOLS: "Installed tools"}
DATA_CHILDREN = 30


def notice_for(state: LocationState | None) -> RenderableType:
    """What to say when there are no figures to show (yet)."""
    if state is None:
        return Text("Finding uv's locations…", style="dim")
    location = state.location
    path = Text(location.path, style="bold")
    if state.status is LocationStatus.MISSING:
        if location.kind.is_cache:
            title = Text("No cache here yet", style="bold")
            body = (
                "This directory does not exist. uv creates it the first time it downloads "
                "or builds a package, so there is nothing to measure or clean."
            )
        else:
            title = Text(f"{DATA_TITLES[location.kind]}: none yet", style="bold")
            body = (
                f"This directory does not exist: uv has not installed anything here. {DATA_NOTE}."
            )
        return Group(title, Text(""), path, Text(""), Text(body))
    if state.status is LocationStatus.ERROR:
        return Group(
            Text("Cannot show this location", style="bold red"),
            Text(""),
            Text(state.error or "unknown error"),
        )
    if state.snapshot is not None and state.snapshot.snapshot is not None:
        return snapshot_summary(state.snapshot)
    return Group(Text("Scanning…", style="bold yellow"), Text(""), path)


def data_dir_summary(state: LocationState) -> RenderableType:
    """A python/tools dir: its size, the note that it is not cache, its biggest entries."""
    location: Location = state.location
    result = state.result
    parts: list[RenderableType] = [
        Text(DATA_TITLES.get(location.kind, location.kind.value), style="bold"),
        Text(location.path),
        Text(DATA_NOTE, style="italic yellow"),
        Text(""),
    ]
    if result is None:
        return Group(*parts)
    sizes = result.root.sizes
    summary = Text.assemble(
        ("allocated ", "dim"),
        (format_size(sizes.allocated), "bold"),
        ("  ·  files ", "dim"),
        format_count(sizes.files),
        ("  ·  dirs ", "dim"),
        format_count(sizes.dirs),
    )
    if result.partial:
        summary.append("  ·  stopped before the end (lower bounds)", style="yellow")
    parts.append(summary)
    children = sorted(result.root.iter_children(), key=lambda n: (-n.sub_alloc, n.name))
    pythons = managed_pythons(result) if location.kind is LocationKind.PYTHON else []
    if pythons:
        parts.extend([Text(""), Text("Installations", style="bold"), pythons_grid(pythons)])
        installed = {python.name for python in pythons}
        children = [child for child in children if child.name not in installed]
    if children:
        parts.append(Text(""))
        if pythons:
            parts.append(Text("Other entries", style="bold"))
        parts.append(entries_grid(children))
    if result.problems.total:
        problems = counted(result.problems.total, "problem")
        parts.extend([Text(""), Text(f"{problems} during the scan", style="yellow")])
    return Group(*parts)


def capped_grid(rows: list[tuple[RenderableType, ...]], *columns: Column) -> Table:
    """A borderless grid of at most `DATA_CHILDREN` rows, then how many more there are."""
    grid = Table.grid(*columns, padding=(0, 2))
    for row in rows[:DATA_CHILDREN]:
        grid.add_row(*row)
    if len(rows) > DATA_CHILDREN:
        grid.add_row("…", f"{len(rows) - DATA_CHILDREN} more")
    return grid


def entries_grid(children: list[DirNode]) -> Table:
    """The biggest entries first: size and name."""
    rows: list[tuple[RenderableType, ...]] = [
        (format_size(child.sub_alloc), child.name) for child in children
    ]
    return capped_grid(rows, Column(justify="right", no_wrap=True), Column())


def pythons_grid(pythons: list[ManagedPython]) -> Table:
    """One row per installation, decoded by the core's rule (the CLI's `ls` uses it too):
    size, implementation and version, platform (the dir is named after these), files."""
    rows: list[tuple[RenderableType, ...]] = [
        (
            format_size(python.allocated),
            Text(f"{python.implementation} {python.version}", style="bold"),
            python.platform,
            counted(python.files, "file"),
        )
        for python in sorted(pythons, key=lambda p: (-p.allocated, p.name))
    ]
    return capped_grid(
        rows,
        Column(justify="right", no_wrap=True),
        Column(no_wrap=True),
        Column(style="dim"),
        Column(justify="right", no_wrap=True),
    )


class NoticeView(VerticalScroll):
    """Empty states and errors (a missing cache, a path that is not a uv cache)."""

    DEFAULT_CSS = """
    NoticeView {
        padding: 1 2;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="notice-body")

    def show_state(self, state: LocationState | None) -> None:
        self.set_class(state is not None and state.status is LocationStatus.ERROR, "error")
        self.query_one("#notice-body", Static).update(notice_for(state))


class DataDirView(VerticalScroll):
    """A uv data dir (managed Pythons, tools): shown for its size, never offered for cleaning."""

    DEFAULT_CSS = """
    DataDirView {
        padding: 1 2;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="data-body")

    def show_state(self, state: LocationState) -> None:
        self.query_one("#data-body", Static).update(data_dir_summary(state))
