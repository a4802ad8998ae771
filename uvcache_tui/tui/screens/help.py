"""The `?` screen: every key, grouped by where it works, read from the BINDINGS.

A binding is listed when its `id` is `<section>.<name>`; its `tooltip` is the help text.
Bindings of one section that share a tooltip make one row (`1 2 3 4`), alternative keys of
one action are joined with ` / ` (`backspace / ←`). Rows for Textual's own navigation keys
and each key owner's `HELP_NOTE` are the only text written here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Static

from uvcache_tui.tui.buildkit.tree import BuildkitLocationsTree
from uvcache_tui.tui.doctor.screen import DoctorScreen
from uvcache_tui.tui.screens.main import MainScreen
from uvcache_tui.tui.widgets.files_view import FilesTable, FilesView
from uvcache_tui.tui.widgets.packages_table import PackagesTable
from uvcache_tui.tui.widgets.table_columns import SortableTable

KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "left": "←",
    "right": "→",
    "up": "↑",
    "down": "↓",
}
"""How a binding's key is written in the help (Textual's own display is `^q` style)."""


@dataclass(frozen=True)
class HelpSection:
    """A heading and the id prefix of the bindings listed under it."""

    key: str
    title: str
    before: tuple[tuple[str, str], ...] = ()
    """Rows above the bindings: keys that are not ours (Textual's navigation) or a note."""
    after: tuple[tuple[str, str], ...] = ()


SECTIONS = (
    HelpSection(
        "everywhere",
        "Everywhere",
        before=(
            ("↑ ↓ / mouse", "move; click a location or a tab to open it"),
            ("tab / shift+tab", "move focus between the sidebar and the panes"),
        ),
    ),
    HelpSection("packages", "Packages tab"),
    HelpSection(
        "sort",
        "Sorting (Buckets, Packages, Files)",
        after=(("click a header", "sort by that column; again reverses"),),
    ),
    HelpSection("actions", "Actions", before=(("", MainScreen.HELP_NOTE),)),
    HelpSection("files", "Files tab", before=(("enter", "open the directory under the cursor"),)),
    HelpSection("buildkit", "BuildKit rows", after=(("", BuildkitLocationsTree.HELP_NOTE),)),
    HelpSection("doctor", "Doctor (6)", before=(("", DoctorScreen.HELP_NOTE),)),
)

KEY_OWNERS: tuple[type[DOMNode], ...] = (
    SortableTable,
    PackagesTable,
    FilesTable,
    FilesView,
    BuildkitLocationsTree,
    DoctorScreen,
)
"""The classes whose BINDINGS the help lists, after the main screen's and the app's."""

SIZES_NOTE = (
    "Allocated is what `du` counts (each inode once). Reclaimable is what deleting it would "
    "give back: files also linked from venvs or tools outside the selection are not counted."
)


def key_name(binding: Binding) -> str:
    return KEY_NAMES.get(binding.key, binding.key)


def listed_bindings(owners: Iterable[type[DOMNode]]) -> list[Binding]:
    """The bindings with a help section, in the owners' order."""
    found: dict[str, Binding] = {}
    for owner in owners:
        for cls in reversed(owner.__mro__):  # inherited ones too (a test's subclass of the app)
            declared: Sequence[BindingType] = cls.__dict__.get("BINDINGS", [])
            for binding in declared:
                if isinstance(binding, Binding) and binding.id and binding.tooltip:
                    found.setdefault(binding.id, binding)
    return list(found.values())


def section_rows(section: HelpSection, bindings: Sequence[Binding]) -> list[tuple[str, str]]:
    """`(keys, text)` rows: one per tooltip, alternative keys of one action joined."""
    rows: dict[str, list[Binding]] = {}
    for binding in bindings:
        if binding.id is not None and binding.id.split(".")[0] == section.key:
            rows.setdefault(binding.tooltip, []).append(binding)
    listed: list[tuple[str, str]] = []
    for text, group in rows.items():
        actions = {binding.action for binding in group}
        separator = " / " if len(actions) == 1 else " "
        listed.append((separator.join(key_name(binding) for binding in group), text))
    return [*section.before, *listed, *section.after]


def help_table(owners: Iterable[type[DOMNode]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    bindings = listed_bindings(owners)
    for index, section in enumerate(SECTIONS):
        if index:
            table.add_row("", "")
        table.add_row(Text(section.title, style="bold underline"), "")
        for keys, description in section_rows(section, bindings):
            table.add_row(keys, description)
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

    def __init__(self, app_class: type[DOMNode]) -> None:
        super().__init__()
        self.key_owners: tuple[type[DOMNode], ...] = (MainScreen, app_class, *KEY_OWNERS)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "uvcache-tui keys"
            yield Static(help_table(self.key_owners), id="help-keys")
            yield Static(SIZES_NOTE, id="help-note")

    def action_close(self) -> None:
        self.dismiss(None)
