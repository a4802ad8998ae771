"""The sidebar: every place uvcache-tui shows, grouped in sections.

A `Tree` rather than a list so other sources slot in as their own branch: "Local" holds the
uv cache dirs (and, in a sub-branch, uv's data dirs); the BuildKit feature subclasses it
(`tui/buildkit/tree.py`) with a "BuildKit" branch it fills itself, `add_section("buildkit",
"BuildKit")`, whose nodes carry their own data types. The screen reacts to
`Tree.NodeHighlighted` on local rows and dispatches on `node.data`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from uvcache_tui.core.location import LocationStatus
from uvcache_tui.core.model import Location, LocationKind
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.state import LocationState

LOCAL_SECTION = "local"
DATA_BRANCH = "local:data"
TITLE_WIDTH = 17
BADGE_WIDTH = 11


def location_title(location: Location) -> str:
    """Short name for a sidebar row; the full path is in the right pane's header."""
    if location.kind is LocationKind.PYTHON:
        return "python"
    if location.kind is LocationKind.TOOLS:
        return "tools"
    if location.active:
        return "active cache"
    parts = [part for part in location.path.split(os.sep) if part]
    title = "/".join(parts[-2:]) or location.path
    return title if len(title) <= TITLE_WIDTH else "…" + title[-(TITLE_WIDTH - 1) :]


def location_badge(state: LocationState) -> Text:
    """The right-hand column: a size when known, else what the scan is doing."""
    status = state.status
    if status is LocationStatus.SCANNING:
        allocated = state.progress.allocated if state.progress else None
        return Text(f"⟳{format_size(allocated)}" if allocated else "scanning", style="yellow")
    if status is LocationStatus.WAITING:
        return Text("…", style="dim")
    if status is LocationStatus.MISSING:
        return Text("absent", style="dim")
    if status is LocationStatus.ERROR:
        return Text("error", style="bold red")
    sizes = state.sizes
    shown = format_size(sizes.allocated if sizes else None)
    if status is LocationStatus.PARTIAL:
        return Text(f"≥{shown}", style="yellow")
    return Text(shown, style="bold")


class LocationsTree(Tree[object]):
    """Sidebar of locations; node data is a `Location` for local rows, None for headings."""

    DEFAULT_CSS = """
    LocationsTree {
        width: 38;
        height: 1fr;
        border-right: vkey $foreground 20%;
        padding: 0 1 0 0;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Locations", id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = False
        self._sections: dict[str, TreeNode[object]] = {}
        self._location_nodes: dict[str, TreeNode[object]] = {}
        """Location path -> its node."""
        local = self.add_section(LOCAL_SECTION, "Local")
        local.add_leaf(Text("finding uv's locations…", style="dim italic"))

    def add_section(self, key: str, label: str, *, expand: bool = True) -> TreeNode[object]:
        """A top-level branch (`local`, later `buildkit`); returns the existing one if present."""
        section = self._sections.get(key)
        if section is None:
            section = self.root.add(Text(label, style="bold"), expand=expand)
            self._sections[key] = section
        return section

    def section(self, key: str) -> TreeNode[object] | None:
        return self._sections.get(key)

    def node_for(self, path: str) -> TreeNode[object] | None:
        return self._location_nodes.get(path)

    def move_cursor_to(self, path: str) -> None:
        """Put the cursor on a location's row (no-op if it is already there)."""
        node = self._location_nodes.get(path)
        if node is None or self.cursor_node is node:
            return
        self.get_node_at_line(0)  # node lines are built lazily: make sure `node.line` is set
        self.move_cursor(node)

    def set_locations(self, states: Iterable[LocationState]) -> None:
        """(Re)fill the Local section: caches first, then uv's data dirs in their own branch."""
        local = self.add_section(LOCAL_SECTION, "Local")
        local.remove_children()
        self._sections.pop(DATA_BRANCH, None)
        self._location_nodes.clear()
        states = list(states)
        for state in states:
            if state.location.kind.is_cache:
                self._location_nodes[state.location.path] = local.add_leaf(
                    self._label(state), data=state.location
                )
        data_states = [s for s in states if not s.location.kind.is_cache]
        if data_states:
            branch = local.add(Text("uv data, not cache", style="italic"), expand=True)
            self._sections[DATA_BRANCH] = branch
            for state in data_states:
                self._location_nodes[state.location.path] = branch.add_leaf(
                    self._label(state), data=state.location
                )
        if not states:
            local.add_leaf(Text("no locations found", style="dim italic"))

    def refresh_location(self, state: LocationState) -> None:
        """Re-label one row after its scan moved on."""
        node = self._location_nodes.get(state.location.path)
        if node is not None:
            node.set_label(self._label(state))

    def _label(self, state: LocationState) -> Text:
        title = location_title(state.location)
        marker = "● " if state.location.active else "  "
        label = Text.assemble((marker, "green"), title.ljust(TITLE_WIDTH))
        badge = location_badge(state)
        badge.pad_left(max(0, BADGE_WIDTH - badge.cell_len))
        label.append_text(badge)
        return label
