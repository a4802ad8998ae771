"""The TUI's side of scan snapshots (`core.snapshot`): reading them at launch, keeping a new
one after each complete scan, and how one is shown while the fresh scan runs.

The main screen reads the probable caches' snapshots on the UI thread as it mounts (a few
files of 64 KiB at most, no uv: so its first frame has the figures), the others and the new
ones from its thread workers; `snapshot_summary` renders on the UI thread. A snapshot only ever fills the detail pane's notice: it never becomes a
`CacheModel`, so no action can plan from it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from uvcache_tui.core.buckets import BucketStatus
from uvcache_tui.core.locate import discover
from uvcache_tui.core.model import Location
from uvcache_tui.core.snapshot import (
    CacheIdentity,
    SnapshotLoad,
    age_text,
    load_snapshot,
    save_snapshot,
    take_snapshot,
)
from uvcache_tui.tui.config import AppConfig

if TYPE_CHECKING:
    from uvcache_tui.core.cache import CacheModel
from uvcache_tui.tui.format import STATUS_STYLES, format_count, format_size

SHOWN_PACKAGES = 10


def probable_locations(config: AppConfig) -> list[Location]:
    """Where uv's caches are by its documented precedence, without running uv (instant);
    discovery, which asks uv, replaces them."""
    uv = config.uv
    return discover(
        None,
        extra_caches=list(config.extra_caches),
        env=uv.env if uv is not None else None,
        cwd=uv.cwd if uv is not None else None,
    ).locations


def read_snapshots(directory: str, paths: list[str]) -> dict[str, SnapshotLoad]:
    return {path: load_snapshot(directory, path) for path in paths}


def probable_snapshots(
    config: AppConfig, directory: str
) -> tuple[dict[str, SnapshotLoad], list[Location]]:
    """At launch: the snapshots of the caches uv probably uses, and those locations."""
    probable = probable_locations(config)
    paths = [location.path for location in probable if location.kind.is_cache]
    return read_snapshots(directory, paths), probable


def keep_snapshot(directory: str, model: CacheModel, identity: CacheIdentity) -> None:
    """Write the model's snapshot; a cache dir that cannot be written only costs the next
    launch its instant figures, so OSError is not the user's problem here."""
    snapshot = take_snapshot(model, identity)
    if snapshot is None:
        return
    try:
        save_snapshot(snapshot, directory)
    except OSError:
        return


class AlignedRows:
    """Rows in columns two cells apart, the first right-aligned: the `Table.grid` the notice
    used, drawn as plain lines when they fit (the same cells, styles and spaces). A grid
    measures every cell, and the notice is measured and rendered twice on each frame that
    changes it: its two grids were ~6 ms of the ~70 ms of CPU the app spent on its first
    frame. Rows wider than the room are still laid out by the grid (it wraps each column)."""

    def __init__(self, rows: Iterable[Sequence[Text]]) -> None:
        self.rows = [tuple(row) for row in rows]
        self.widths = [max(c.cell_len for c in column) for column in zip(*self.rows, strict=True)]

    def grid(self) -> Table:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(justify="right", no_wrap=True)
        for _ in self.widths[1:]:
            grid.add_column()
        for row in self.rows:
            grid.add_row(*row)
        return grid

    def lines(self) -> Text:
        lines = []
        for row in self.rows:
            cells = [cell.copy() for cell in row]
            cells[0].pad_left(self.widths[0] - cells[0].cell_len)
            for cell, width in zip(cells[1:], self.widths[1:], strict=True):
                cell.pad_right(width - cell.cell_len)  # in the cell's style, as a grid pads
            lines.append(Text("  ").join(cells))
        return Text("\n").join(lines)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = sum(self.widths) + 2 * (len(self.widths) - 1)
        yield self.lines() if width <= options.max_width else self.grid()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.grid())


def _status_style(status: str) -> str:
    try:
        return STATUS_STYLES[BucketStatus(status)]
    except ValueError:
        return ""


def snapshot_summary(load: SnapshotLoad, now: float | None = None) -> RenderableType:
    """The last figures, labelled with their age, while the fresh scan runs."""
    snapshot = load.snapshot
    assert snapshot is not None
    age = age_text((time.time() if now is None else now) - snapshot.taken_at)
    label = f"as of {age}" + (" — changed since" if load.changed else "") + " — refreshing"
    totals = snapshot.totals
    parts: list[RenderableType] = [
        Text.assemble(("Last figures ", "bold"), (label, "bold yellow")),
        Text(snapshot.path),
        Text(""),
        Text.assemble(
            ("allocated ", "dim"),
            (format_size(totals.allocated), "bold"),
            ("  ·  reclaimable ", "dim"),
            format_size(totals.reclaimable),
            ("  ·  files ", "dim"),
            format_count(totals.files),
            ("  ·  packages ", "dim"),
            format_count(snapshot.package_count),
        ),
        Text(""),
    ]
    buckets = [
        (
            Text(format_size(bucket.sizes.allocated)),
            Text(bucket.name),
            Text(bucket.status, _status_style(bucket.status)),
        )
        for bucket in sorted(snapshot.buckets, key=lambda b: (-b.sizes.allocated, b.name))
    ]
    if buckets:
        parts.append(AlignedRows(buckets))
    if snapshot.packages:
        packages = [
            (Text(format_size(package.sizes.allocated)), Text(package.name))
            for package in snapshot.packages[:SHOWN_PACKAGES]
        ]
        parts.extend([Text(""), Text("Largest packages", style="bold"), AlignedRows(packages)])
    parts.extend(
        [Text(""), Text("Actions wait for the fresh scan: figures only.", style="italic dim")]
    )
    return Group(*parts)
