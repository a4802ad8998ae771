"""The Interpreters tab: each `interpreter-vN` query uv cached, decoded, and whether that
Python is still there (a stale entry is for a deleted venv or a removed Python)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.contents import InterpreterEntry
from uvcache_tui.core.words import counted
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.widgets.table_columns import FittedTable, fit, reset_columns, right, widest


def interpreter_state(exists: bool | None) -> Text:
    """present / stale; unknown for a build's cache (its paths are not this machine's)."""
    if exists is None:
        return Text("unknown", style="dim")
    return Text("present", style="green") if exists else Text("stale", style="yellow")


def status_text(entries: list[InterpreterEntry], undecoded: int) -> str:
    stale = sum(1 for e in entries if e.exists is False)
    text = f"{counted(len(entries), 'interpreter query')} cached"
    if stale:
        text += f" · {stale} stale (the interpreter is gone: uv will not use the entry again)"
    if undecoded:
        text += f" · {undecoded} not decoded"
    return text


class InterpretersView(Vertical):
    """Table of the cached interpreter queries and a status line."""

    DEFAULT_CSS = """
    InterpretersView {
        height: 1fr;
    }
    InterpretersView #interpreters-table {
        height: 1fr;
    }
    InterpretersView #interpreters-status {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._model: CacheModel | None = None

    def compose(self) -> ComposeResult:
        yield FittedTable(
            id="interpreters-table",
            cursor_type="row",
            zebra_stripes=True,
            squeeze={"executable": 16},
            drop=("platform", "kind", "python"),
        )
        yield Static(id="interpreters-status")

    @on(FittedTable.Refit)
    def _refit(self, event: FittedTable.Refit) -> None:
        event.stop()
        if self._model is not None:
            self.show_model(self._model)

    def show_model(self, model: CacheModel) -> None:
        self._model = model
        table = self.query_one("#interpreters-table", FittedTable)
        contents = model.contents
        entries = contents.interpreters if contents is not None else []
        undecoded = sum(
            1
            for entry in (contents.undecoded if contents is not None else [])
            if entry.path.startswith("interpreter-")
        )
        executables = [e.executable for e in entries]
        width = widest(executables, "Executable", 60)
        width = reset_columns(
            table,
            [
                ("executable", "Executable", width),
                ("python", "Python", 16),
                ("platform", "Platform", 16),
                ("kind", "Kind", 10),
                ("state", "State", 8),
                ("size", right("Size"), 8),
            ],
        )["executable"]
        for entry in entries:
            table.add_row(
                Text(fit(entry.executable, width)),
                Text(f"{entry.implementation} {entry.version}"),
                Text(entry.platform, style="dim"),
                Text("venv" if entry.is_virtualenv else "base", style="dim"),
                interpreter_state(entry.exists),
                right(format_size(entry.allocated)),
                key=entry.path,
            )
        self.query_one("#interpreters-status", Static).update(status_text(entries, undecoded))
