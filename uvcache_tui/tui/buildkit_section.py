"""The sidebar's BuildKit section: loading, its rows, their details, and pruning.

`BuildkitSection` is an invisible widget on the main screen. It owns the section's thread
workers (`list_builders`, `plan_prune`, `execute_prune` — every Docker call has a timeout
and none runs on the UI thread), fills the "BuildKit" branch of the `LocationsTree` with
one node per builder and its cache mounts as children, and shows the highlighted row in
the `BuildkitView`. Docker being absent, stopped, slow or forbidden becomes one row,
"Docker: not reachable — <reason>"; the local-cache views never wait for it.

The app supplies `docker_env` (None: os.environ), `docker_timeout` (seconds per Docker
call) and `read_only`.

Notifications never cover a dialog: the prune's progress and result are shown inside the
prune dialog, and a message of this section that comes while any dialog is up waits until
the main screen is back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import cast

from rich.text import Text
from textual import on
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import ContentSwitcher
from textual.widgets.tree import TreeNode
from textual.worker import Worker, WorkerState

from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.prune import PrunePlan, PruneResult, execute_prune, plan_prune
from uvcache_tui.core.buildkit.records import BuilderInfo, BuildkitReport, CacheMountRecord
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.screens.buildkit_prune import BuildkitPruneScreen
from uvcache_tui.tui.widgets.buildkit_view import KIND_STYLES, BuildkitView, mount_size
from uvcache_tui.tui.widgets.locations import LocationsTree

SECTION_KEY = "buildkit"
SECTION_LABEL = "BuildKit"
VIEW_ID = "buildkit-view"
DEFAULT_TIMEOUT = 10.0
PRUNE_TIMEOUT = 60.0
LOAD_GROUP = "buildkit-load"
PRUNE_GROUP = "buildkit-prune"

BUILDER_WIDTH = 30
"""Builder rows carry an expand icon (2 cells); with the guides every BuildKit row ends at 34."""
MOUNT_WIDTH = 30
STATUS_WIDTH = 32
"""The one status row sits at depth 1 without an icon: 2 + 32."""
DRIVER_SHORT = {"docker-container": "container", "kubernetes": "k8s"}

LOADING = "loading…"
NO_BUILDERS = "no BuildKit builders found"


# --- what the section's nodes carry --------------------------------------------------------


@dataclass(frozen=True)
class BuilderItem:
    """A builder row (or the "no cache mounts" row under it)."""

    builder: BuilderInfo
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class MountItem:
    """A cache-mount row."""

    builder: BuilderInfo
    mount: CacheMountRecord


@dataclass(frozen=True)
class StatusItem:
    """Loading, Docker not reachable, or no builders: one row for the whole section."""

    title: str
    message: str | None = None
    builders: tuple[BuilderInfo, ...] = ()


BuildkitItem = BuilderItem | MountItem | StatusItem


def is_buildkit_item(data: object) -> bool:
    """True for the data of a BuildKit section row."""
    return isinstance(data, BuilderItem | MountItem | StatusItem)


# --- messages from the workers ----------------------------------------------------------


class BuildkitLoaded(Message):
    """`list_builders` returned (it never raises for Docker problems)."""

    def __init__(self, report: BuildkitReport, load_id: int) -> None:
        super().__init__()
        self.report = report
        self.load_id = load_id


class BuildkitPlanned(Message):
    """A prune plan is ready to be previewed."""

    def __init__(self, plan: PrunePlan) -> None:
        super().__init__()
        self.plan = plan


class BuildkitPruned(Message):
    """A confirmed prune ran."""

    def __init__(self, result: PruneResult) -> None:
        super().__init__()
        self.result = result


# --- labels -------------------------------------------------------------------------------


def _fit(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


def _tail(path: str, width: int) -> str:
    """The end of a path, which says most about it, with `…` in front when cut."""
    if len(path) <= width:
        return path
    return "…" + path[-(width - 1) :] if width > 1 else "…"


def unreachable_message(report: BuildkitReport) -> str | None:
    """The one message for the section when no builder could be read, else None."""
    if not report.builders or any(b.listed for b in report.builders):
        return None
    errors = [b.error for b in report.builders if b.error]
    current = [b.error for b in report.builders if b.current and b.error]
    docker = [e for e in errors if e.startswith("Docker: not reachable")]
    message = (docker or current or errors or ["builders could not be read"])[0]
    return message if message.startswith("Docker:") else f"BuildKit: {message}"


def builder_label(builder: BuilderInfo) -> Text:
    """`● default docker     3 · 12.0 KiB`: current marker, name, driver, mounts and size."""
    if builder.listed:
        count = len(builder.mounts)
        total = sum(m.size_bytes or 0 for m in builder.mounts)
        size = format_size(total) if builder.size_exact else f"~{format_size(total)}"
        badge = Text(f"{count} · {size}" if count else "no mounts", style="bold")
    elif builder.error:
        status = builder.status if builder.status in ("inactive", "stopped") else "error"
        badge = Text(status, style="bold red" if status == "error" else "yellow")
    else:
        badge = Text("?", style="dim")
    marker = Text("● " if builder.current else "  ", style="green")
    room = max(4, BUILDER_WIDTH - len(marker) - badge.cell_len - 1)
    driver = DRIVER_SHORT.get(builder.driver, builder.driver)
    name = Text.assemble((builder.name, "bold"), " ", (driver, "dim"))
    _fit(name, room)
    name.pad_right(room - name.cell_len + 1)
    return Text.assemble(marker, name, badge)


def mount_label(mount: CacheMountRecord) -> Text:
    """`! uv    …/cache/uv    2.3 KiB`: flag marker, kind, target's tail, size."""
    flag = Text("!" if mount.flags else " ", style="bold yellow")
    kind = Text(mount.kind.ljust(5), style=KIND_STYLES.get(mount.kind, "dim"))
    size = mount_size(mount)
    room = max(4, MOUNT_WIDTH - 1 - 5 - 1 - len(size) - 1)
    target = _tail(mount.target or mount.id, room)
    return Text.assemble(flag, kind, " ", target.ljust(room), " ", (size, "bold"))


def status_label(item: StatusItem) -> Text:
    if item.message is None:
        return Text(item.title, style="dim italic")
    return _fit(Text(item.message, style="red"), STATUS_WIDTH)


# --- the section ----------------------------------------------------------------------------


class BuildkitSection(Widget):
    """Invisible owner of the BuildKit section's workers, rows and detail view."""

    DEFAULT_CSS = """
    BuildkitSection {
        display: none;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report: BuildkitReport | None = None
        self.loading = False
        self._load_id = 0
        self._prune_busy = False
        self.last_result: PruneResult | None = None
        """The last prune that ran (its result was shown in the prune dialog)."""
        self._deferred: list[tuple[str, str, SeverityLevel, float | None]] = []

    # -- configuration (from the app) ------------------------------------------------------

    @property
    def docker_env(self) -> Mapping[str, str] | None:
        return cast("Mapping[str, str] | None", getattr(self.app, "docker_env", None))

    @property
    def timeout(self) -> float:
        return float(getattr(self.app, "docker_timeout", DEFAULT_TIMEOUT))

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.app, "read_only", False))

    @property
    def enabled(self) -> bool:
        return bool(getattr(self.app, "buildkit", True))

    # -- widgets it drives -------------------------------------------------------------------

    @property
    def sidebar(self) -> LocationsTree:
        return self.screen.query_one(LocationsTree)

    @property
    def view(self) -> BuildkitView:
        return self.screen.query_one(f"#{VIEW_ID}", BuildkitView)

    @property
    def section(self) -> TreeNode[object]:
        return self.sidebar.add_section(SECTION_KEY, SECTION_LABEL)

    def nodes(self) -> list[TreeNode[object]]:
        """Every row of the section, depth first."""
        found: list[TreeNode[object]] = []
        stack = list(reversed(self.section.children))
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found

    def current_item(self) -> BuildkitItem | None:
        """The BuildKit row under the sidebar cursor, if the cursor is on one."""
        node = self.sidebar.cursor_node
        data = node.data if node is not None else None
        return cast("BuildkitItem", data) if is_buildkit_item(data) else None

    # -- loading -------------------------------------------------------------------------------

    # -- messages: never over a dialog ---------------------------------------------------

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

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)
        if not self.enabled:
            return
        section = self.section
        item = StatusItem(LOADING)
        section.add_leaf(status_label(item), data=item)
        self.load()

    def load(self) -> Worker[None] | None:
        """(Re)read every builder in a thread worker; a running load is superseded."""
        if not self.enabled:
            return None
        self._load_id += 1
        self.loading = True
        self.section.set_label(
            Text.assemble((SECTION_LABEL, "bold"), (" ⟳ reading…", "yellow"))
            if self.report is not None
            else Text(SECTION_LABEL, style="bold")
        )
        return self.run_worker(
            partial(self._list_worker, self._load_id, self.timeout, self.docker_env),
            name="list BuildKit builders",
            group=LOAD_GROUP,
            description="reading BuildKit builders",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _list_worker(self, load_id: int, timeout: float, env: Mapping[str, str] | None) -> None:
        """Thread: the core call only (the app's settings were read on the UI thread)."""
        report = list_builders(timeout=timeout, env=env)
        self.post_message(BuildkitLoaded(report, load_id))

    @on(BuildkitLoaded)
    def _loaded(self, message: BuildkitLoaded) -> None:
        if message.load_id != self._load_id:
            return
        self.loading = False
        self.report = message.report
        self.populate(message.report)

    def populate(self, report: BuildkitReport) -> None:
        """Rebuild the section's rows; the cursor stays on the same builder/mount if it can."""
        tree = self.sidebar
        section = self.section
        section.set_label(Text(SECTION_LABEL, style="bold"))
        keep = self._cursor_key()
        section.remove_children()
        message = unreachable_message(report)
        if message is not None:
            item = StatusItem("Docker is not reachable", message, report.builders)
            section.add_leaf(status_label(item), data=item)
        elif not report.builders:
            item = StatusItem(NO_BUILDERS)
            section.add_leaf(status_label(item), data=item)
        for builder in report.builders if message is None else ():
            builder_item = BuilderItem(builder, report.warnings)
            if not builder.listed:
                section.add_leaf(builder_label(builder), data=builder_item)
                continue
            node = section.add(builder_label(builder), data=builder_item, expand=True)
            if not builder.mounts:
                node.add_leaf(Text("no cache mounts", style="dim italic"), data=builder_item)
            for mount in builder.mounts:
                node.add_leaf(mount_label(mount), data=MountItem(builder, mount))
        self.refresh_bindings()
        if keep is None:
            return
        target = self._find(keep) or (section.children[0] if section.children else None)
        if target is None:
            return
        tree.get_node_at_line(0)  # node lines are built lazily: make sure `node.line` is set
        tree.move_cursor(target)
        if target.data is not None:
            self.show(target.data)

    def _cursor_key(self) -> tuple[str, ...] | None:
        """What the cursor is on, if in this section: ("mount", builder, id), …; else None."""
        node = self.sidebar.cursor_node
        data = node.data if node is not None else None
        if isinstance(data, MountItem):
            return ("mount", data.builder.name, data.mount.id)
        if isinstance(data, BuilderItem):
            return ("builder", data.builder.name)
        if isinstance(data, StatusItem):
            return ("status",)
        return None

    def _find(self, key: tuple[str, ...]) -> TreeNode[object] | None:
        nodes = self.nodes()
        if key[0] == "mount":
            for node in nodes:
                data = node.data
                if (
                    isinstance(data, MountItem)
                    and data.builder.name == key[1]
                    and data.mount.id == key[2]
                ):
                    return node
        if key[0] in ("mount", "builder"):
            for node in nodes:
                data = node.data
                if isinstance(data, BuilderItem) and data.builder.name == key[1]:
                    return node
        return None

    # -- details ---------------------------------------------------------------------------

    def show(self, data: object) -> bool:
        """Show a BuildKit row in the detail pane; False if `data` is not one."""
        if not is_buildkit_item(data):
            return False
        view = self.view
        if isinstance(data, MountItem):
            view.show_mount(data.builder, data.mount, read_only=self.read_only)
        elif isinstance(data, BuilderItem):
            view.show_builder(data.builder, data.warnings, read_only=self.read_only)
        elif isinstance(data, StatusItem):
            title = "Reading BuildKit builders…" if data.title == LOADING else data.title
            view.show_status(title, data.message, data.builders)
        self.screen.query_one("#detail-switcher", ContentSwitcher).current = VIEW_ID
        self.refresh_bindings()
        return True

    def refresh_bindings(self) -> None:
        self.screen.refresh_bindings()

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Footer/enablement of the screen's BuildKit keys (hidden outside the section)."""
        item = self.current_item()
        if action == "buildkit_prune_mount":
            return not self.read_only and isinstance(item, MountItem)
        if action == "buildkit_prune_builder":
            return (
                not self.read_only
                and isinstance(item, BuilderItem | MountItem)
                and item.builder.listed
                and bool(item.builder.mounts)
            )
        return True

    def owns_cursor(self) -> bool:
        """True when the sidebar cursor is on a BuildKit row (so `r` reloads BuildKit)."""
        return self.current_item() is not None

    def prune_mount(self) -> None:
        """`d`: preview, then prune the cache mount under the cursor."""
        item = self.current_item()
        if self.read_only:
            self.tell("Read-only: pruning is off.", timeout=4)
            return
        if not isinstance(item, MountItem):
            self.tell(
                "d prunes one cache mount: move to a mount row under a builder "
                "(D prunes all of a builder's).",
                timeout=5,
            )
            return
        self._plan([item.mount.id], item.builder.name)

    def prune_builder(self) -> None:
        """`D`: preview, then prune every cache mount of the builder under the cursor."""
        item = self.current_item()
        if self.read_only:
            self.tell("Read-only: pruning is off.", timeout=4)
            return
        if not isinstance(item, BuilderItem | MountItem):
            self.tell("D prunes a builder's cache mounts: move to a builder row.", timeout=5)
            return
        builder = item.builder
        if builder.error or not builder.listed:
            self.tell(builder.error or "This builder could not be read.", severity="error")
            return
        if not builder.mounts:
            self.tell(f"Builder {builder.name} has no cache mounts.", timeout=4)
            return
        self._plan([], builder.name)

    def _plan(self, ids: Sequence[str], builder: str) -> None:
        if self._prune_busy:
            self.tell("A BuildKit prune is already being prepared or run.", timeout=4)
            return
        self._prune_busy = True
        self.run_worker(
            partial(self._plan_worker, list(ids), builder, self.timeout, self.docker_env),
            name="plan BuildKit prune",
            group=PRUNE_GROUP,
            description="planning a BuildKit prune",
            exit_on_error=False,
            thread=True,
        )

    def _plan_worker(
        self, ids: list[str], builder: str, timeout: float, env: Mapping[str, str] | None
    ) -> None:
        plan = plan_prune(ids, all_mounts=not ids, builder=builder, timeout=timeout, env=env)
        self.post_message(BuildkitPlanned(plan))

    @on(BuildkitPlanned)
    def _planned(self, message: BuildkitPlanned) -> None:
        plan = message.plan
        if plan.error:
            self._prune_busy = False
            self.tell(plan.error, title="BuildKit prune", severity="error", timeout=8)
            return

        def closed(result: PruneResult | None) -> None:
            self._prune_busy = False
            if result is not None:
                # the dialog showed the result; the rows follow what is left
                self.post_message(BuildkitPruned(result))

        runner = partial(execute_prune, plan, max(self.timeout, PRUNE_TIMEOUT))
        self.app.push_screen(BuildkitPruneScreen(plan, runner=runner), closed)

    @on(BuildkitPruned)
    def _pruned(self, message: BuildkitPruned) -> None:
        self.last_result = message.result
        self.load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised (a bug, not a Docker problem) becomes a visible error."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = f"{type(worker.error).__name__}: {worker.error}"
        if worker.group == PRUNE_GROUP:
            self._prune_busy = False
        elif worker.group == LOAD_GROUP:
            self.loading = False
            item = StatusItem("BuildKit could not be read", f"BuildKit: {error}")
            section = self.section
            section.set_label(Text(SECTION_LABEL, style="bold"))
            section.remove_children()
            section.add_leaf(status_label(item), data=item)
        self.tell(error, title=worker.description or worker.name, severity="error")
