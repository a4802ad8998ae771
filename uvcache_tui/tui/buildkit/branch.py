"""The sidebar's BuildKit branch: it reads Docker's builders, fills its rows and measures
each cache mount's true size, in its own thread workers.

Like Textual's `DirectoryTree`, the widget owns its work: a load worker calls the core's
`list_builders` (every Docker call has a timeout and none runs on the UI thread) and posts
`Loaded`; the rows appear at once. The same worker then measures the mounts on disk
(`measure_report`: the fast path, bounded in time) and posts `Measured`, which puts the
true sizes in the rows. Docker being absent, stopped, slow or forbidden becomes one row,
"Docker: not reachable — <reason>"; the local rows never wait for it. When a BuildKit row
is highlighted the branch posts `RowHighlighted`; the screen shows that row.

Notifications never cover a dialog: a message of this branch that comes while any dialog
is up waits until the main screen is back. Keys and pruning are `tree.py`'s.

The branch is on the app's first frame, Docker is not: the first load starts after that
frame, and the core's BuildKit modules (Docker's clients, records, the walk of a mount) are
imported by the workers that use them, so the first frame waits for neither.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Tree
from textual.widgets.tree import TreeNode
from textual.worker import Worker

from uvcache_tui.tui.buildkit.rows import (
    LOADING,
    NO_BUILDERS,
    SECTION_LABEL,
    BuilderItem,
    BuildkitItem,
    MountItem,
    StatusItem,
    builder_label,
    is_buildkit_item,
    mount_label,
    no_mounts_label,
    row_key,
    section_label,
    status_label,
    unreachable_message,
)
from uvcache_tui.tui.config import AppConfig
from uvcache_tui.tui.widgets.locations import LocationsTree

if TYPE_CHECKING:
    from uvcache_tui.core.buildkit.ondisk import MountKey, MountOnDisk
    from uvcache_tui.core.buildkit.records import BuildkitReport

SECTION_KEY = "buildkit"
LOAD_GROUP = "buildkit-load"

Deferred = tuple[str, str, SeverityLevel, float | None]


class BuildkitBranch(LocationsTree):
    """The locations tree plus a "BuildKit" branch that loads and measures itself."""

    @dataclass
    class Loaded(Message):
        """`list_builders` returned (it never raises for Docker problems)."""

        report: BuildkitReport
        load_id: int

    @dataclass
    class Measured(Message):
        """The mounts of a load, located and measured on disk where the fast path works."""

        on_disk: Mapping[MountKey, MountOnDisk]
        load_id: int

    @dataclass
    class RowHighlighted(Message):
        """A BuildKit row is under the cursor (again): the screen shows it."""

        item: BuildkitItem

    def __init__(self, config: AppConfig, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.config = config
        self.report: BuildkitReport | None = None
        self.reading = False
        """A load is running (not `loading`: that is Widget's own spinner)."""
        self.on_disk: Mapping[MountKey, MountOnDisk] = {}
        """The last load's mounts on disk (empty until measured)."""
        self._load_id = 0
        self._deferred: list[Deferred] = []

    # -- the branch's rows ------------------------------------------------------------------

    @property
    def buildkit_branch(self) -> TreeNode[object]:
        return self.add_section(SECTION_KEY, SECTION_LABEL)

    def buildkit_rows(self) -> list[TreeNode[object]]:
        """Every row of the BuildKit branch, depth first."""
        found: list[TreeNode[object]] = []
        stack = list(reversed(self.buildkit_branch.children))
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found

    def current_item(self) -> BuildkitItem | None:
        """The BuildKit row under the cursor, if the cursor is on one."""
        node = self.cursor_node
        data = node.data if node is not None else None
        return data if is_buildkit_item(data) else None

    def _set_status(self, item: StatusItem) -> None:
        branch = self.buildkit_branch
        branch.set_label(section_label(reading=False))
        branch.remove_children()
        branch.add_leaf(status_label(item), data=item)

    # -- messages: never over a dialog ------------------------------------------------------

    def tell(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
    ) -> None:
        """A toast, unless a dialog is up: then it waits until the main screen is back."""
        if self.app.screen is not self.screen:
            self._deferred.append((message, title, severity, timeout))
            return
        self.notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _screen_changed(self, screen: Screen[object]) -> None:
        if screen is not self.screen or not self._deferred:
            return
        deferred, self._deferred = self._deferred, []
        for message, title, severity, timeout in deferred:
            self.tell(message, title=title, severity=severity, timeout=timeout)

    # -- loading ----------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)
        if not self.config.buildkit:
            return
        self._set_status(StatusItem(LOADING))
        self.call_after_refresh(self.load)  # Docker after the first frame

    def load(self) -> Worker[None] | None:
        """(Re)read every builder in a thread worker; a running load is superseded."""
        if not self.config.buildkit:
            return None
        self._load_id += 1
        self.reading = True
        self.buildkit_branch.set_label(section_label(reading=self.report is not None))
        config = self.config
        return self.run_worker(
            partial(self._list_worker, self._load_id, config.docker_timeout, config.docker_env),
            name="list BuildKit builders",
            group=LOAD_GROUP,
            description="reading BuildKit builders",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _list_worker(self, load_id: int, timeout: float, env: Mapping[str, str] | None) -> None:
        """Thread: the core calls only; the rows first, their true sizes after."""
        from uvcache_tui.core.buildkit.builders import list_builders
        from uvcache_tui.core.buildkit.ondisk import measure_report

        report = list_builders(timeout=timeout, env=env)
        self.post_message(self.Loaded(report, load_id))
        self.post_message(self.Measured(measure_report(report, timeout), load_id))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.load_id != self._load_id:
            return
        self.reading = False
        self.report = message.report
        self.on_disk = {}
        self.populate(message.report)

    @on(Measured)
    def _measured(self, message: Measured) -> None:
        """True sizes into the mount rows; the row under the cursor is shown again."""
        if message.load_id != self._load_id:
            return
        self.on_disk = message.on_disk
        current = self.current_item()
        for node in self.buildkit_rows():
            item = node.data
            if isinstance(item, MountItem):
                found = self.on_disk.get((item.builder.name, item.mount.id))
                node.data = replace(item, on_disk=found)
                node.set_label(mount_label(item.mount, found))
            elif isinstance(item, BuilderItem):
                name = item.builder.name
                mine = tuple((i, m) for (b, i), m in self.on_disk.items() if b == name)
                node.data = replace(item, on_disk=mine)
        if isinstance(current, MountItem | BuilderItem):
            updated = self.current_item()
            if updated is not None:
                self._highlighted(updated)

    def populate(self, report: BuildkitReport) -> None:
        """Rebuild the branch's rows; the cursor stays on the same builder/mount if it can."""
        branch = self.buildkit_branch
        branch.set_label(section_label(reading=False))
        current = self.current_item()
        keep = row_key(current) if current is not None else None
        branch.remove_children()
        message = unreachable_message(report)
        if message is not None:
            item = StatusItem("Docker is not reachable", message, report.builders)
            branch.add_leaf(status_label(item), data=item)
        elif not report.builders:
            item = StatusItem(NO_BUILDERS)
            branch.add_leaf(status_label(item), data=item)
        for builder in report.builders if message is None else ():
            builder_item = BuilderItem(builder, report.warnings)
            if not builder.listed:
                branch.add_leaf(builder_label(builder), data=builder_item)
                continue
            node = branch.add(builder_label(builder), data=builder_item, expand=True)
            if not builder.mounts:
                node.add_leaf(no_mounts_label(), data=builder_item)
            for mount in builder.mounts:
                node.add_leaf(mount_label(mount), data=MountItem(builder, mount))
        self.refresh_bindings()
        if keep is None:
            return
        target = self._find(keep) or (branch.children[0] if branch.children else None)
        if target is None:
            return
        self.get_node_at_line(0)  # node lines are built lazily: make sure `node.line` is set
        self.move_cursor(target)
        if is_buildkit_item(target.data):
            self._highlighted(target.data)

    def _find(self, key: tuple[str, ...]) -> TreeNode[object] | None:
        """The row for `key`; a mount that is gone falls back to its builder."""
        rows = self.buildkit_rows()
        wanted = [key, ("builder", key[1])] if key[0] == "mount" else [key]
        for target in wanted:
            for node in rows:
                if is_buildkit_item(node.data) and row_key(node.data) == target:
                    return node
        return None

    @on(Tree.NodeHighlighted)
    def _node_highlighted(self, event: Tree.NodeHighlighted[object]) -> None:
        if is_buildkit_item(event.node.data):
            self._highlighted(event.node.data)
        self.refresh_bindings()

    def _highlighted(self, item: BuildkitItem) -> None:
        self.post_message(self.RowHighlighted(item))
