"""The Info tab: the facts behind the figures (tag, lock, uv version, origin, problems)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.contents import IndexPages
from uvcache_tui.core.lock import LockState
from uvcache_tui.core.model import Location
from uvcache_tui.core.words import counted
from uvcache_tui.tui.format import format_size

PROBLEM_SAMPLES = 20
SOURCE_HELP = {
    "uv cache dir": "asked uv (`uv cache dir`)",
    "UV_CACHE_DIR": "the UV_CACHE_DIR environment variable",
    "--cache-dir": "given with --cache-dir",
    "default": "uv's platform default",
    "legacy default": "uv's legacy platform default",
}


def describe_source(location: Location) -> str:
    """Where a location came from, in words (`Location.source` is terse)."""
    words = SOURCE_HELP.get(location.source, location.source)
    if location.source.startswith("--find"):
        words = f"found by signature under {location.source.removeprefix('--find ')}"
    if location.active:
        words += "; the cache your uv uses right now"
    return words


def index_lines(indexes: list[IndexPages]) -> Text:
    """One line per index the cache has pages from: name or URL, pages, bytes."""
    if not indexes:
        return Text("no index pages cached", style="dim")
    text = Text()
    for number, index in enumerate(indexes):
        if number:
            text.append("\n")
        text.append(index.label)
        stale = "" if index.current else f", {index.bucket} (stale)"
        text.append(f"  {index.pages} pages, {format_size(index.allocated)}{stale}", style="dim")
    return text


def cache_facts(model: CacheModel, location: Location | None) -> RenderableType:
    """Key/value grid, then the problems met during the scan."""
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Path", model.path)
    if location is not None:
        grid.add_row("Found via", describe_source(location))
    table = model.table
    grid.add_row(
        "uv version",
        Text.assemble(
            table.uv_version,
            (
                "  bucket table exact for this version"
                if table.exact
                else "  bucket table approximate (nearest known uv release)",
                "dim" if table.exact else "yellow",
            ),
        ),
    )
    tag = model.cachedir_tag
    if tag.valid:
        tag_text = Text("present, valid signature", style="green")
    elif tag.present:
        tag_text = Text("present, signature does not match", style="yellow")
    else:
        tag_text = Text("missing", style="yellow")
    grid.add_row("CACHEDIR.TAG", tag_text)
    lock_style = {LockState.HELD: "yellow", LockState.FREE: "green"}.get(model.lock.state, "")
    grid.add_row("Lock (.lock)", Text(model.lock.description, style=lock_style))
    scan = model.scan
    totals = model.totals
    grid.add_row(
        "Scan",
        Text(
            "stopped before the end: figures are lower bounds" if scan.partial else "complete",
            style="yellow" if scan.partial else "",
        ),
    )
    grid.add_row(
        "Contents",
        f"{counted(totals.files, 'file')}, {counted(totals.dirs, 'dir')}, "
        f"apparent size {format_size(totals.apparent)}",
    )
    grid.add_row(
        "Archives",
        f"{len(model.archives)} in archive-v0, {len(model.dangling_archives)} not linked "
        f"from the current buckets, {counted(len(model.environments), 'cached environment')}",
    )
    if model.mount_points:
        grid.add_row(
            "Mount points",
            Text(
                ", ".join(model.mount_points)
                + " — other filesystems inside the cache, counted in the totals; "
                "actions that would remove them are refused",
                style="yellow",
            ),
        )
    contents = model.contents
    if contents is not None:
        grid.add_row("Indexes", index_lines(contents.indexes))
        stale = sum(1 for e in contents.interpreters if e.exists is False)
        grid.add_row(
            "Interpreters",
            f"{counted(len(contents.interpreters), 'query')} cached, {stale} stale",
        )
    problems = scan.problems
    grid.add_row(
        "Problems", "none" if not problems.total else f"{problems.total} met during the scan"
    )
    parts: list[RenderableType] = [grid]
    if problems.total:
        listing = Table.grid(padding=(0, 2))
        listing.add_column(style="yellow", no_wrap=True)
        listing.add_column()
        for problem in problems.samples[:PROBLEM_SAMPLES]:
            shown = problem.path.encode("utf-8", "replace").decode("utf-8")
            listing.add_row(problem.kind.value, f"{shown} {problem.detail}".strip())
        if problems.total > PROBLEM_SAMPLES:
            counts = ", ".join(f"{kind.value} {count}" for kind, count in problems.counts.items())
            listing.add_row("…", f"{problems.total - PROBLEM_SAMPLES} more ({counts})")
        parts.extend([Text(""), listing])
    return Group(*parts)


class InfoView(VerticalScroll):
    """Scrollable facts about the selected cache."""

    DEFAULT_CSS = """
    InfoView {
        height: 1fr;
        padding: 1 1;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static(id="info-body")

    def show_model(self, model: CacheModel, location: Location | None) -> None:
        self.query_one("#info-body", Static).update(cache_facts(model, location))
