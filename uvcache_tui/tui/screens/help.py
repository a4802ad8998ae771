"""The `?` screen: every key, grouped by where it works."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_HELP: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Everywhere",
        [
            ("↑ ↓ / mouse", "move; click a location or a tab to open it"),
            ("tab / shift+tab", "move focus between the sidebar and the panes"),
            ("1 2 3 4", "Buckets, Packages, Files, Info tab"),
            ("r", "rescan the selected location"),
            ("x", "stop the selected location's scan (keeps partial figures)"),
            ("ctrl+p", "command palette"),
            ("?", "this help"),
            ("ctrl+q", "quit"),
        ],
    ),
    (
        "Packages tab",
        [
            ("/", "filter packages by name as you type (enter keeps it, escape clears it)"),
            ("space", "mark / unmark a package"),
        ],
    ),
    (
        "Actions",
        [
            ("", "a preview first; then your uv deletes (hidden with --read-only)"),
            ("p", "prune: uv cache prune"),
            ("P", "prune for CI: uv cache prune --ci"),
            ("c", "clean the packages marked in the Packages tab: uv cache clean NAME…"),
            ("C", "clear all: uv cache clean"),
        ],
    ),
    (
        "Files tab",
        [
            ("enter", "open the directory under the cursor"),
            ("backspace / ←", "go to the parent directory"),
            ("s  n  c", "sort by size, name, file count"),
        ],
    ),
    (
        "BuildKit rows",
        [
            ("r", "read Docker's builders and their cache mounts again"),
            ("d", "on a cache mount: preview, then prune that mount"),
            ("D", "on a builder or mount: preview, then prune all the builder's cache mounts"),
            ("", "in-use mounts are kept; d and D are hidden with --read-only"),
        ],
    ),
]
"""(section, [(keys, what they do)]); actions added later append their own section."""

SIZES_NOTE = (
    "Allocated is what `du` counts (each inode once). Reclaimable is what deleting it would "
    "give back: files also linked from venvs or tools outside the selection are not counted."
)


def help_table() -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for index, (section, keys) in enumerate(KEY_HELP):
        if index:
            table.add_row("", "")
        table.add_row(Text(section, style="bold underline"), "")
        for key, description in keys:
            table.add_row(key, description)
    return table


class HelpScreen(ModalScreen[None]):
    """Modal key reference; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
    }
    HelpScreen > VerticalScroll {
        width: 80;
        max-height: 90%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 1 2;
    }
    HelpScreen #help-note {
        margin-top: 1;
        color: $text-muted;
    }
    """

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", show=False),
        Binding("question_mark", "close", show=False),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "uvcache-tui keys"
            yield Static(help_table(), id="help-keys")
            yield Static(SIZES_NOTE, id="help-note")

    def action_close(self) -> None:
        self.dismiss(None)
