"""A package opened into its wheels: each cached wheel with its tags, origin, archive, sizes
and users, then its sdist revisions, read (`core.contents`) in a worker when it opens."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static
from textual.worker import get_current_worker

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.contents import CachedWheel, PackageContents, SdistRevision
from uvcache_tui.core.words import counted
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.widgets.table_columns import fit, reset_columns, right, widest


def wheel_source(wheel: CachedWheel) -> str:
    """`built`, `download` or `local`, with `*` for a stale bucket's entry."""
    local = wheel.origin.kind in ("find-links", "path", "editable")
    source = "built" if wheel.built else "local" if local else "download"
    return source if wheel.current else source + "*"


def _when(seconds: float | None) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d") if seconds else "-"


def _size(value: int | None) -> Text:
    return right(format_size(value) if value is not None else "-")


def fill_wheels(table: DataTable[Text], wheels: list[CachedWheel]) -> None:
    names = [w.filename or f"{w.version} {w.tags or ''}" for w in wheels]
    origins = [w.origin.label for w in wheels]
    name_width = widest(names, "Wheel", 32)
    origin_width = widest(origins, "Origin", 24)
    reset_columns(
        table,
        [
            ("wheel", "Wheel", name_width),
            ("source", "From", 8),
            ("origin", "Origin", origin_width),
            ("allocated", right("Allocated"), 9),
            ("reclaimable", right("Reclaim"), 9),
            ("links", right("Links"), 5),
            ("cached", "Cached", 10),
        ],
    )
    for wheel, name, origin in zip(wheels, names, origins, strict=True):
        links = "-" if wheel.links_outside is None else str(wheel.links_outside)
        table.add_row(
            Text(fit(name, name_width)),
            Text(wheel_source(wheel), style="dim" if not wheel.current else ""),
            Text(fit(origin, origin_width), style="dim"),
            _size(wheel.allocated),
            _size(wheel.reclaimable),
            right(links, "bold" if wheel.links_outside else "dim"),
            Text(_when(wheel.cached_at), style="dim"),
            key=wheel.entry,
        )


def fill_sdists(table: DataTable[Text], sdists: list[SdistRevision]) -> None:
    reset_columns(
        table,
        [
            ("revision", "Sdist revision", 22),
            ("version", "Version", 12),
            ("state", "State", 8),
            ("origin", "Origin", 40),
            ("allocated", right("Allocated"), 10),
        ],
    )
    for revision in sdists:
        state = {True: "current", False: "old", None: "-"}[revision.current]
        table.add_row(
            Text(revision.revision),
            Text(revision.version or "-"),
            Text(state, style="yellow" if revision.current is False else ""),
            Text(fit(revision.origin.label, 40), style="dim"),
            _size(revision.allocated),
            key=revision.path,
        )


def summary(name: str, contents: PackageContents) -> str:
    built = sum(1 for w in contents.wheels if w.built)
    stale = sum(1 for w in contents.wheels if not w.current)
    parts = [f"{name}: {counted(len(contents.wheels), 'wheel')}, {built} built here from an sdist"]
    if stale:
        parts.append(f"{stale} in stale buckets (*)")
    if contents.undecoded:
        parts.append(f"{counted(len(contents.undecoded), 'record')} not decoded")
    return (
        " · ".join(parts) + "\nLinks: hard links from venvs outside the cache (copies are not seen)"
    )


class WheelsScreen(ModalScreen[None]):
    """One package's wheels and sdist revisions; escape closes."""

    DEFAULT_CSS = """
    WheelsScreen {
        align: center middle;
    }
    WheelsScreen > Vertical {
        width: 100%;
        height: 90%;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    WheelsScreen #wheels-title {
        height: auto;
        margin-bottom: 1;
    }
    WheelsScreen #wheels-table {
        height: 2fr;
    }
    WheelsScreen #sdists-table {
        height: 1fr;
        margin-top: 1;
    }
    """

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="wheels.close", tooltip="close the wheels"),
    ]

    def __init__(self, model: CacheModel, package: str) -> None:
        super().__init__()
        self._model = model
        self._package = package

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self._package}: reading its records…", id="wheels-title")
            yield DataTable[Text](id="wheels-table", cursor_type="row", zebra_stripes=True)
            yield DataTable[Text](id="sdists-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#sdists-table").display = False
        self.query_one("#wheels-table").focus()
        self._read()

    @work(thread=True, exclusive=True, group="wheels", exit_on_error=False)
    def _read(self) -> None:
        """A package's records are read the first time it is opened: files, so a worker."""
        contents = self._model.compute_contents().of(self._package)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, contents)

    def _show(self, contents: PackageContents) -> None:
        self.query_one("#wheels-title", Static).update(summary(self._package, contents))
        fill_wheels(self.query_one("#wheels-table", DataTable), contents.wheels)
        sdists = self.query_one("#sdists-table", DataTable)
        fill_sdists(sdists, contents.sdists)
        sdists.display = bool(contents.sdists)
