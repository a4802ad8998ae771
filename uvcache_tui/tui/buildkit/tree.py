"""The sidebar with its BuildKit branch: the branch reads, fills and prunes itself.

Like Textual's `DirectoryTree`, the widget owns its work: its thread workers call the core
(`list_builders`, `plan_prune`, `execute_prune`; every Docker call has a timeout and none
runs on the UI thread), post a message back to the widget, and the widget fills its own
"BuildKit" branch on the UI thread: one node per builder, its cache mounts as children. The
prune dialog only previews and asks; the branch runs the prune and hands the dialog its
result. Docker being absent,
stopped, slow or forbidden becomes one row, "Docker: not reachable — <reason>"; the local
rows never wait for it.

Its keys (`r` reload, `d` prune a mount, `D` prune a builder's mounts) are its own bindings;
each is enabled only on the rows it applies to, so `r` on a local row falls through to the
screen's rescan. When a BuildKit row is highlighted it posts `RowHighlighted`; the screen
shows that row in its detail pane.

Notifications never cover a dialog: the prune's progress and result are shown inside the
prune dialog, and a message of this branch that comes while any dialog is up waits until
the main screen is back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Tree
from textual.widgets.tree import TreeNode
from textual.worker import Worker, WorkerState

from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.prune import PrunePlan, PruneResult, execute_prune, plan_prune
from uvcache_tui.core.buildkit.records import BuildkitReport
from uvcache_tui.tui.buildkit.prune_screen import BuildkitPruneScreen
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

SECTION_KEY = "buildkit"
PRUNE_TIMEOUT = 60.0
"""At least this many seconds for the prune calls themselves (BuildKit may be slow)."""
LOAD_GROUP = "buildkit-load"
PRUNE_GROUP = "buildkit-prune"
PRUNE_WORKER = "run BuildKit prune"

Deferred = tuple[str, str, SeverityLevel, float | None]


class BuildkitLocationsTree(LocationsTree):
    """The locations tree plus a "BuildKit" branch that it loads and prunes itself."""

    BINDINGS = [
        Binding(
            "r",
            "reload",
            "Reload",
            id="buildkit.reload",
            tooltip="read Docker's builders and their cache mounts again",
        ),
        Binding(
            "d",
            "prune_mount",
            "Prune mount",
            id="buildkit.prune-mount",
            tooltip="on a cache mount: preview, then prune that mount",
        ),
        Binding(
            "D",
            "prune_builder",
            "Prune builder's mounts",
            id="buildkit.prune-builder",
            tooltip="on a builder or mount: preview, then prune all the builder's cache mounts",
        ),
    ]
    HELP_NOTE = "in-use mounts are kept; d and D are hidden with --read-only"
    """Shown under the keys above in the help screen."""

    @dataclass
    class Loaded(Message):
        """`list_builders` returned (it never raises for Docker problems)."""

        report: BuildkitReport
        load_id: int

    @dataclass
    class Planned(Message):
        """A prune plan is ready to be previewed."""

        plan: PrunePlan

    @dataclass
    class Pruned(Message):
        """A confirmed prune ran; the dialog shows its result, the rows are read again."""

        result: PruneResult

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
        self._load_id = 0
        self._prune_busy = False
        self.last_result: PruneResult | None = None
        """The last prune that ran."""
        self._dialog: BuildkitPruneScreen | None = None
        """The prune dialog that is up, to hand it the result."""
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
        self.load()

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
        """Thread: the core call only."""
        report = list_builders(timeout=timeout, env=env)
        self.post_message(self.Loaded(report, load_id))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.load_id != self._load_id:
            return
        self.reading = False
        self.report = message.report
        self.populate(message.report)

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

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """BuildKit keys only on BuildKit rows (elsewhere `r` is the screen's rescan)."""
        item = self.current_item()
        if action == "reload":
            return item is not None
        if action == "prune_mount":
            return not self.config.read_only and isinstance(item, MountItem)
        if action == "prune_builder":
            return (
                not self.config.read_only
                and isinstance(item, BuilderItem | MountItem)
                and item.builder.listed
                and bool(item.builder.mounts)
            )
        return True

    def action_reload(self) -> None:
        self.load()

    def action_prune_mount(self) -> None:
        """`d`: preview, then prune the cache mount under the cursor."""
        item = self.current_item()
        if self.check_action("prune_mount", ()) and isinstance(item, MountItem):
            self._plan([item.mount.id], item.builder.name)

    def action_prune_builder(self) -> None:
        """`D`: preview, then prune every cache mount of the builder under the cursor."""
        item = self.current_item()
        if self.check_action("prune_builder", ()) and isinstance(item, BuilderItem | MountItem):
            self._plan([], item.builder.name)

    # -- pruning -----------------------------------------------------------------------------

    def _plan(self, ids: Sequence[str], builder: str) -> None:
        if self._prune_busy:
            self.tell("A BuildKit prune is already being prepared or run.", timeout=4)
            return
        self._prune_busy = True
        config = self.config
        self.run_worker(
            partial(
                self._plan_worker, list(ids), builder, config.docker_timeout, config.docker_env
            ),
            name="plan BuildKit prune",
            group=PRUNE_GROUP,
            description="planning a BuildKit prune",
            exit_on_error=False,
            thread=True,
        )

    def _plan_worker(
        self, ids: list[str], builder: str, timeout: float, env: Mapping[str, str] | None
    ) -> None:
        """Thread: re-read the builder and check the IDs (the core's `plan_prune`)."""
        plan = plan_prune(ids, all_mounts=not ids, builder=builder, timeout=timeout, env=env)
        self.post_message(self.Planned(plan))

    @on(Planned)
    def _planned(self, message: Planned) -> None:
        plan = message.plan
        if plan.error:
            self._prune_busy = False
            self.tell(plan.error, title="BuildKit prune", severity="error", timeout=8)
            return

        def closed(_: PruneResult | None) -> None:
            self._prune_busy = False
            self._dialog = None

        dialog = BuildkitPruneScreen(plan, on_run=partial(self._prune, plan))
        self._dialog = dialog
        self.app.push_screen(dialog, closed)

    def _prune(self, plan: PrunePlan) -> None:
        """Run pressed in the dialog: the confirmed prune, in a thread worker."""
        timeout = max(self.config.docker_timeout, PRUNE_TIMEOUT)
        self.run_worker(
            partial(self._prune_worker, plan, timeout),
            name=PRUNE_WORKER,
            group=PRUNE_GROUP,
            description="pruning BuildKit cache mounts",
            exit_on_error=False,
            thread=True,
        )

    def _prune_worker(self, plan: PrunePlan, timeout: float) -> None:
        """Thread: exactly the previewed requests (the core's `execute_prune`)."""
        self.post_message(self.Pruned(execute_prune(plan, timeout)))

    @on(Pruned)
    def _pruned(self, message: Pruned) -> None:
        """The dialog shows the result; the rows follow what is left."""
        self.last_result = message.result
        if self._dialog is not None:
            self._dialog.show_result(message.result)
        self.load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised (a bug, not a Docker problem) becomes a visible error."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = f"{type(worker.error).__name__}: {worker.error}"
        if worker.name == PRUNE_WORKER and self._dialog is not None:
            self._dialog.show_failure(error)  # shown in the dialog, which stays up
            return
        if worker.group == PRUNE_GROUP:
            self._prune_busy = False
        elif worker.group == LOAD_GROUP:
            self.reading = False
            self._set_status(StatusItem("BuildKit could not be read", f"BuildKit: {error}"))
        self.tell(error, title=worker.description or worker.name, severity="error")
