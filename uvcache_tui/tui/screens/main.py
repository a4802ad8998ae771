"""The main screen: locations on the left, the selected one on the right.

It owns the per-location state and the thread workers for discovery, scans and cache
actions. Workers only call the core and post messages (`DiscoveryFinished`,
`ScanProgressed`, `ScanFinished`); every widget update happens here, on the UI thread, in
the message handlers. The sidebar's BuildKit branch loads and prunes itself; the screen
only shows the row it reports (`BuildkitLocationsTree.RowHighlighted`) in the detail pane.
Below `NARROW_WIDTH` columns the sidebar folds away (`L` shows it) and the cache views and
the footer go compact, so an 80x24 terminal keeps the sizes and the help and quit keys.

Over 400 lines on purpose: discovery, scans and the cache actions all read and write the
per-location state this screen owns, and the UI thread is its only writer; splitting them
would hand that state around instead. The narrow layout stays here too: where the focus goes
when the sidebar folds depends on that state (which location is shown, scanned or not).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Header, Tree
from textual.worker import Worker, WorkerState, get_current_worker

from uvcache_tui.core.buckets import BucketTable, table_for
from uvcache_tui.core.locate import Discovery, discover
from uvcache_tui.core.location import LocationStatus, OpenedLocation, open_location
from uvcache_tui.core.model import Location, ScanProgress
from uvcache_tui.core.snapshot import SnapshotLoad, identity_of
from uvcache_tui.core.sorting import DEFAULT_ORDER, SortOrder
from uvcache_tui.tui import heap
from uvcache_tui.tui.buildkit.tree import BuildkitLocationsTree
from uvcache_tui.tui.config import READ_ONLY_KEYS, READ_ONLY_NOTICE, AppConfig
from uvcache_tui.tui.messages import (
    ActionPlanFailed,
    ActionPlanned,
    DiscoveryFinished,
    ScanFinished,
    ScanProgressed,
    SnapshotsLoaded,
)
from uvcache_tui.tui.snapshots import keep_snapshot, probable_snapshots, read_snapshots
from uvcache_tui.tui.state import LocationState
from uvcache_tui.tui.widgets.cache_tabs import TABS
from uvcache_tui.tui.widgets.detail import (
    BUILDKIT_VIEW,
    CACHE_VIEW,
    DATA_VIEW,
    NOTICE,
    DetailSwitcher,
)
from uvcache_tui.tui.widgets.footer import KeysFooter
from uvcache_tui.tui.widgets.progress import ScanProgressView

if TYPE_CHECKING:
    from uvcache_tui.core.action_run import ActionResult
    from uvcache_tui.core.actions import ActionPlan
    from uvcache_tui.core.cache import CacheModel
    from uvcache_tui.core.predict import ActionKind
    from uvcache_tui.tui.widgets.cache_view import CacheView
    from uvcache_tui.tui.widgets.package_figures import PackageFigures
    from uvcache_tui.tui.widgets.packages_table import PackagesView

SCAN_GROUP_PREFIX = "scan:"
NARROW_WIDTH = 100
"""Terminals narrower than this start without the sidebar and with compact panes."""


class MainScreen(Screen[None]):
    """Sidebar + detail pane; owns discovery, scans, and which location is selected."""

    BINDINGS = [
        *(
            Binding(
                str(number),
                f"show_tab('{tab}')",
                tab.capitalize(),
                show=False,
                id=f"everywhere.tab-{tab}",
                tooltip="Buckets, Packages, Files, Info, Interpreters tab",
            )
            for number, tab in enumerate(TABS, start=1)
        ),
        Binding(
            "r", "rescan", "Rescan", id="everywhere.rescan", tooltip="rescan the selected location"
        ),
        Binding(
            "x",
            "stop_scan",
            "Stop scan",
            show=False,
            id="everywhere.stop-scan",
            tooltip="stop the selected location's scan (keeps partial figures)",
        ),
        Binding(
            "L",
            "toggle_sidebar",
            "Locations",
            id="everywhere.sidebar",
            tooltip=f"show / hide the locations sidebar (hidden below {NARROW_WIDTH} columns)",
        ),
        Binding(
            "slash",
            "filter",
            "Filter",
            id="everywhere.filter",
            tooltip="filter the list in focus by name (Files: the directory shown; elsewhere:"
            " Packages); enter keeps it, escape clears it",
        ),
        Binding(
            "p",
            "cache_action('prune')",
            "Prune",
            id="actions.prune",
            tooltip="prune: uv cache prune",
        ),
        Binding(
            "P",
            "cache_action('prune-ci')",
            "Prune CI",
            id="actions.prune-ci",
            tooltip="prune for CI: uv cache prune --ci",
        ),
        Binding(
            "c",
            "cache_action('clean-packages')",
            "Clean marked",
            id="actions.clean-packages",
            tooltip="clean the packages marked in the Packages tab: uv cache clean NAME…",
        ),
        Binding(
            "C",
            "cache_action('clear-all')",
            "Clear all",
            id="actions.clear-all",
            tooltip="clear all: uv cache clean",
        ),
        Binding(READ_ONLY_KEYS, "say_read_only", show=False),  # only with --read-only
    ]
    AUTO_FOCUS = ""
    """Focus is placed here: never on the sidebar while it is hidden (its keys would act)."""
    HELP_NOTE = "a preview first; then your uv deletes (with --read-only: a note saying why not)"
    """Shown above the cache actions in the help screen."""

    def __init__(self, config: AppConfig) -> None:
        super().__init__()
        self.config = config
        self.states: dict[str, LocationState] = {}
        """Location path -> state, in discovery order."""
        self.discovery: Discovery | None = None
        self.bucket_table: BucketTable = table_for(None)
        self.selected_path: str | None = None
        self._scan_workers: dict[str, Worker[None]] = {}
        """Location path -> its current scan worker (older ones' errors are ignored)."""
        self.snapshots: dict[str, SnapshotLoad] = {}
        """Cache path -> its snapshot as read at launch (`tui.snapshots`)."""

    narrow: reactive[bool] = reactive(False, init=False)
    """The terminal is narrower than `NARROW_WIDTH`: compact panes and footer."""
    sidebar_shown: reactive[bool] = reactive(True, init=False)
    """The locations sidebar is on screen (by default only when not narrow)."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            yield BuildkitLocationsTree(self.config, id="locations")
            with Vertical(id="detail"):
                yield DetailSwitcher(self.config, id="detail-switcher")
                yield ScanProgressView(id="scan-progress")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.detail.notice.show_state(None)
        self._fit_to(self.app.size.width)
        if self.sidebar_shown:
            self.locations_tree.focus()
        directory = self.config.snapshot_dir
        if directory is not None:
            # A few small files (64 KiB at most each) and no uv: read here, before the first
            # frame, which thus shows the last figures. Discovery's other caches: a worker.
            self._show_snapshots(*probable_snapshots(self.config, directory))
        # After the first frame: the other detail views, and uv's subprocesses.
        self.detail.mount_views_later()
        self.call_after_refresh(self.run_discovery)

    # -- layout: narrow terminals -------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        self._fit_to(event.size.width)

    def on_screen_resume(self) -> None:
        """The terminal may have been resized while a dialog covered this screen."""
        self._fit_to(self.app.size.width)

    def _fit_to(self, width: int) -> None:
        """Crossing `NARROW_WIDTH` either way resets the sidebar to that width's default."""
        narrow = width < NARROW_WIDTH
        if narrow != self.narrow:
            self.narrow = narrow
            self.sidebar_shown = not narrow

    def watch_narrow(self, narrow: bool) -> None:
        self.query_one(KeysFooter).compact = narrow
        for view in self.query("CacheView"):
            cast("CacheView", view).compact = narrow  # by name: see `DetailSwitcher`

    def watch_sidebar_shown(self, shown: bool) -> None:
        tree = self.locations_tree
        tree.display = shown
        if not shown and (self.focused is tree or self.focused is None):
            self.focus_detail()

    def action_toggle_sidebar(self) -> None:
        """`L`: show the sidebar with the focus on it, or hide it (the focus goes right)."""
        self.sidebar_shown = not self.sidebar_shown
        if self.sidebar_shown:
            self.locations_tree.focus()

    def focus_detail(self) -> None:
        """Focus the detail pane's list: the open tab of the cache shown, else nothing."""
        view = self.mount_cache_view()
        state = self.selected_state
        if view is None and state is not None and state.model is not None:
            view = self.shown_cache_view()
        if view is not None:
            view.show_tab(view.tabs.active or TABS[0])
        else:
            self.set_focus(None)  # not the hidden sidebar: its keys would act unseen

    # -- public API (actions added later build on these) ------------------------------------

    @property
    def locations_tree(self) -> BuildkitLocationsTree:
        return self.query_one(BuildkitLocationsTree)

    @property
    def detail(self) -> DetailSwitcher:
        return self.query_one(DetailSwitcher)

    @property
    def cache_view(self) -> CacheView:
        return self.detail.cache_view

    def shown_cache_view(self) -> CacheView | None:
        """The local cache's view, once mounted (`DetailSwitcher`)."""
        detail = self.detail
        return detail.cache_view if detail.has_view(CACHE_VIEW) else None

    def mount_cache_view(self) -> CacheView | None:
        """The cache view of a BuildKit mount opened in the detail pane, if it is shown."""
        detail = self.detail
        if detail.current != BUILDKIT_VIEW:
            return None
        return detail.buildkit_view.opened_cache_view()

    @property
    def packages_view(self) -> PackagesView:
        return self.cache_view.packages_view

    @property
    def selected_state(self) -> LocationState | None:
        return self.states.get(self.selected_path) if self.selected_path else None

    def select_location(self, path: str) -> None:
        """Show a location in the detail pane (the sidebar cursor follows)."""
        if path not in self.states:
            return
        self.selected_path = path
        self.locations_tree.move_cursor_to(path)
        self.refresh_detail()

    def start_scan(self, path: str) -> Worker[None] | None:
        """(Re)scan one location in a thread worker; an older scan of it is cancelled."""
        state = self.states.get(path)
        if state is None:
            return None
        state.scan_id += 1
        heap.hold(SCAN_GROUP_PREFIX + path)  # full collections wait for the model (`tui.heap`)
        state.status = LocationStatus.SCANNING
        state.progress = None
        self.locations_tree.refresh_location(state)
        if path == self.selected_path:
            self.refresh_detail()
        order = self.packages_order()
        worker = self.run_worker(
            partial(self._scan_worker, state.location, self.bucket_table, state.scan_id, order),
            name=f"scan {path}",
            group=f"{SCAN_GROUP_PREFIX}{path}",
            description=f"scanning {path}",
            exit_on_error=False,
            exclusive=True,
            thread=True,
        )
        self._scan_workers[path] = worker
        return worker

    def stop_scan(self, path: str) -> bool:
        """Ask a running scan to stop; it reports what it saw so far, marked partial."""
        state = self.states.get(path)
        if state is None or not state.busy:
            return False
        cancelled = self.workers.cancel_group(self, f"{SCAN_GROUP_PREFIX}{path}")
        return bool(cancelled)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Cache-only keys are hidden from the footer unless a scanned cache is shown."""
        if action == "filter":
            state = self.selected_state
            mount = self.mount_cache_view() is not None
            return mount or (state is not None and state.model is not None)
        if action == "say_read_only":
            return self.config.read_only
        if action == "cache_action":
            if self.config.read_only:
                return False
            if self.mount_cache_view() is not None:
                return True  # to say why not (MOUNT_IS_READ_ONLY)
            state = self.selected_state
            return state is not None and state.model is not None and not state.busy
        return True

    def refresh_detail(self) -> None:
        """Point the detail pane at the selected location's current state."""
        self.refresh_bindings()
        switcher = self.detail
        progress = self.query_one(ScanProgressView)
        state = self.selected_state
        if state is None:
            switcher.notice.show_state(None)
            switcher.current = NOTICE
            progress.hide()
            return
        if state.busy:
            progress.show_progress(state.location.path, state.progress)
        else:
            progress.hide()
        is_cache = state.location.kind.is_cache
        view = CACHE_VIEW if is_cache else DATA_VIEW
        shown = state.model is not None if is_cache else state.result is not None
        if shown and not switcher.has_view(view):
            # Mounted after the figures; its ViewMounted message comes back here.
            self.call_later(switcher.mount_views, view)
            shown = False
        if shown and state.model is not None:
            self.cache_view.show_model(state.model, state.location, state.figures)
            switcher.current = CACHE_VIEW
            if not self.sidebar_shown and self.focused is None:
                self.focus_detail()
        elif shown:
            switcher.data_view.show_state(state)
            switcher.current = DATA_VIEW
        else:
            switcher.notice.show_state(state)
            switcher.current = NOTICE

    # -- workers (threads: core calls and post_message only) --------------------------------

    @work(
        thread=True,
        exclusive=True,
        group="discover",
        exit_on_error=False,
        description="finding uv's locations",
    )
    def run_discovery(self) -> None:
        """`locate.discover` runs uv subprocesses (with timeouts): never on the UI thread."""
        config = self.config
        uv = config.uv
        discovery = discover(
            uv,
            extra_caches=list(config.extra_caches),
            find_roots=list(config.find_roots),
            env=uv.env if uv is not None else None,
            cwd=uv.cwd if uv is not None else None,
        )
        self.post_message(DiscoveryFinished(discovery))

    @work(thread=True, group="snapshots", exit_on_error=False, description="last figures")
    def read_snapshots(self, paths: list[str]) -> None:
        """The snapshots of caches discovery found that were not probable at launch."""
        directory = self.config.snapshot_dir
        assert directory is not None
        self.post_message(SnapshotsLoaded(read_snapshots(directory, paths)))

    @work(thread=True, group="snapshots", exit_on_error=False, description="keeping figures")
    def keep_snapshot_of(self, model: CacheModel) -> None:
        identity = identity_of(model.path)
        if identity is not None and self.config.snapshot_dir is not None:
            keep_snapshot(self.config.snapshot_dir, model, identity)

    def packages_order(self) -> SortOrder:
        """The Packages table's order (the default until the cache view is mounted)."""
        view = self.shown_cache_view()
        if view is None or "packages" not in view.built_tabs():
            return DEFAULT_ORDER
        return view.packages_view.table.order

    def _scan_worker(
        self, location: Location, table: BucketTable, scan_id: int, order: SortOrder
    ) -> None:
        """Scan, keep the snapshot, and compute the Packages figures in `order` (here: at the
        model's arrival no figures' worker shares the GIL with the UI thread)."""
        worker = get_current_worker()
        directory = self.config.snapshot_dir
        # Taken before the walk: a change during it makes the snapshot "changed since".
        identity = identity_of(location.path) if directory and location.kind.is_cache else None
        hook = self.config.scan_progress_hook

        def progress(update: ScanProgress) -> None:
            self.post_message(ScanProgressed(location.path, scan_id, update))
            if hook is not None:
                hook(location, update)

        outcome = open_location(location, table, progress, cancelled=lambda: worker.is_cancelled)
        if directory and identity and outcome.model and outcome.status is LocationStatus.DONE:
            keep_snapshot(directory, outcome.model, identity)
        figures = None
        if outcome.model is not None and not worker.is_cancelled:
            from uvcache_tui.tui.widgets.package_figures import figures_if_possible

            figures = figures_if_possible(outcome.model, order)
        self.post_message(ScanFinished(location.path, scan_id, outcome, figures))

    # -- message handlers (UI thread) -------------------------------------------------------

    @on(DiscoveryFinished)
    def _discovery_finished(self, message: DiscoveryFinished) -> None:
        discovery = message.discovery
        self.discovery = discovery
        self.bucket_table = table_for(discovery.uv_version)
        self.states = {loc.path: LocationState(loc) for loc in discovery.locations}
        self._attach_snapshots()
        self.locations_tree.set_locations(self.states.values())
        for note in discovery.notes:
            self.notify(note, title="Locations", severity="warning", timeout=8)
        first = discovery.active_cache or (discovery.locations[0] if discovery.locations else None)
        if first is not None:
            self.select_location(first.path)
        # The selected location first, then the rest in sidebar order.
        order = sorted(self.states, key=lambda path: first is None or path != first.path)
        if any(state.snapshot is not None for state in self.states.values()):
            # The last figures reach the screen before the scans take the CPU.
            self.call_after_refresh(self._start_scans, order)
        else:
            self._start_scans(order)

    def _start_scans(self, paths: list[str]) -> None:
        for path in paths:
            self.start_scan(path)

    @on(SnapshotsLoaded)
    def _snapshots_loaded(self, message: SnapshotsLoaded) -> None:
        self._show_snapshots(message.loads)

    def _show_snapshots(
        self, loads: dict[str, SnapshotLoad], probable: list[Location] | None = None
    ) -> None:
        """Keep the snapshots read; before discovery, list the `probable` locations with
        their last figures (`tui.snapshots.probable_snapshots`)."""
        for load in loads.values():
            if load.note:
                self.notify(load.note, title="Last figures", timeout=6)
        self.snapshots.update(loads)
        shown = any(load.snapshot is not None for load in loads.values())
        if self.discovery is None and probable and shown:
            # Until uv answers: the probable locations, with their last figures.
            self.states = {loc.path: LocationState(loc) for loc in probable}
            self.locations_tree.set_locations(self.states.values())
            self.select_location(probable[0].path)
        self._attach_snapshots()

    def _attach_snapshots(self) -> None:
        """Give each cache not scanned yet its snapshot; read those not read yet."""
        unread = []
        for path, state in self.states.items():
            if not state.location.kind.is_cache or state.model is not None:
                continue
            load = self.snapshots.get(path)
            if load is None:
                unread.append(path)
            elif load.snapshot is not None and state.snapshot is None:
                state.snapshot = load
                self.locations_tree.refresh_location(state)
                if path == self.selected_path:
                    self.refresh_detail()
        if unread and self.config.snapshot_dir is not None and self.discovery is not None:
            self.snapshots.update({path: SnapshotLoad() for path in unread})
            self.read_snapshots(unread)

    @on(ScanProgressed)
    def _scan_progressed(self, message: ScanProgressed) -> None:
        state = self.states.get(message.path)
        if state is None or state.scan_id != message.scan_id or not state.busy:
            return
        state.progress = message.progress
        self.locations_tree.refresh_location(state)
        if message.path == self.selected_path:
            self.query_one(ScanProgressView).show_progress(message.path, message.progress)

    @on(DetailSwitcher.ViewMounted)
    def _detail_view_mounted(self) -> None:
        """A view mounted after the first frame: compact like the others, and shown if the
        selected location's model or data dir was waiting for it (the pane says why not)."""
        self.watch_narrow(self.narrow)
        if self.detail.current == NOTICE and self.selected_state is not None:
            self.refresh_detail()

    @on(ScanFinished)
    async def _scan_finished(self, message: ScanFinished) -> None:
        if message.path == self.selected_path:
            # Shown at once; another location's views come with the others after the first
            # frame (mounting them here imported their modules on the UI thread at launch).
            await self.detail.mount_views(CACHE_VIEW, DATA_VIEW)
        self._finish(message.path, message.scan_id, message.outcome, message.figures)

    def _finish(
        self,
        path: str,
        scan_id: int,
        outcome: OpenedLocation,
        figures: PackageFigures | None = None,
    ) -> None:
        state = self.states.get(path)
        if state is None:
            heap.done(SCAN_GROUP_PREFIX + path)  # a location no longer listed
            return
        if state.scan_id != scan_id:
            return  # superseded by a newer scan (which holds full collections now)
        replaces = state.model is not None or state.result is not None
        state.apply(outcome, figures)
        self.locations_tree.refresh_location(state)
        if path == self.selected_path:
            self.refresh_detail()
        # The new tree out of the collector's sight (`tui.heap`): a model let go is collected
        # first; a first model is frozen without a full collection walking it.
        if outcome.result is not None and replaces:
            heap.settle_model()
        elif outcome.result is not None:
            heap.settle_first_model()
        heap.done(SCAN_GROUP_PREFIX + path)
        if outcome.status is LocationStatus.PARTIAL:
            self.notify(f"Scan of {path} stopped: figures are partial", severity="warning")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised (a bug, not an expected failure) becomes a visible error."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = f"{type(worker.error).__name__}: {worker.error}"
        if worker.group.startswith(SCAN_GROUP_PREFIX):
            path = worker.group[len(SCAN_GROUP_PREFIX) :]
            state = self.states.get(path)
            if state is not None and self._scan_workers.get(path) is worker:
                self._finish(path, state.scan_id, OpenedLocation(LocationStatus.ERROR, error=error))
        else:
            if worker.group == "discover":
                self.locations_tree.set_locations([])  # "no locations found", not a spinner
            self.notify(error, title=worker.description or worker.name, severity="error")

    @on(Tree.NodeHighlighted, "#locations")
    def _location_highlighted(self, event: Tree.NodeHighlighted[object]) -> None:
        data = event.node.data
        if isinstance(data, Location):
            if data.path != self.selected_path:
                self.select_location(data.path)
        elif data is not None:  # a BuildKit row (section headings carry None)
            self.selected_path = None
            self.query_one(ScanProgressView).hide()

    @on(BuildkitLocationsTree.RowHighlighted)
    async def _buildkit_row_highlighted(
        self, message: BuildkitLocationsTree.RowHighlighted
    ) -> None:
        """Show the BuildKit row, unless the cursor has moved on meanwhile."""
        await self.detail.mount_views(BUILDKIT_VIEW)
        if self.locations_tree.current_item() != message.item:
            return
        self.detail.buildkit_view.show_item(message.item)
        self.detail.current = BUILDKIT_VIEW
        self.refresh_bindings()

    @on(Tree.NodeSelected, "#locations")
    def _location_chosen(self, event: Tree.NodeSelected[object]) -> None:
        """Enter on a location: go to its detail pane, keyboard first."""
        data = event.node.data
        if isinstance(data, Location):
            self.select_location(data.path)
            state = self.states.get(data.path)
            view = self.shown_cache_view()
            if view is not None and state is not None and state.model is not None:
                view.show_tab(view.tabs.active or TABS[0])
                if self.narrow:
                    self.sidebar_shown = False  # chosen: give the pane the whole width

    # -- actions -----------------------------------------------------------------------------

    def action_rescan(self) -> None:
        if self.selected_path is not None:
            self.start_scan(self.selected_path)

    def action_stop_scan(self) -> None:
        detail = self.detail
        if detail.has_view(BUILDKIT_VIEW) and detail.buildkit_view.stop_opening():
            return  # a BuildKit mount's reader build
        if self.selected_path is not None and not self.stop_scan(self.selected_path):
            self.notify("No scan is running for this location.", timeout=3)

    def action_show_tab(self, tab: str) -> None:
        mount_view = self.mount_cache_view()
        if mount_view is not None:
            mount_view.show_tab(tab)
            return
        state = self.selected_state
        view = self.shown_cache_view()
        if view is None or state is None or state.model is None:
            self.notify("Tabs are for caches: select a scanned cache first.", timeout=3)
            return
        view.show_tab(tab)

    def action_say_read_only(self) -> None:
        """p/P/c/C with --read-only: say why nothing happens, and how to act."""
        self.notify(READ_ONLY_NOTICE, title="Read-only", severity="warning", timeout=8)

    def action_cache_action(self, action: str) -> None:
        """p/P/c/C: plan in a worker, then preview; uv runs only after confirmation."""
        from uvcache_tui.core.predict import ActionKind
        from uvcache_tui.tui.buildkit.mount_view import MOUNT_IS_READ_ONLY

        kind = ActionKind(action)
        if self.mount_cache_view() is not None:
            self.notify(MOUNT_IS_READ_ONLY, title="Not possible", severity="warning", timeout=8)
            return
        state = self.selected_state
        view = self.shown_cache_view()
        if self.config.read_only or state is None or state.model is None or state.busy:
            return
        if view is None:
            return
        packages: list[str] = []
        if kind is ActionKind.CLEAN_PACKAGES:
            packages = sorted(view.marked_packages())
            if not packages:
                self.notify(
                    "Mark packages with space in the Packages tab first.", severity="warning"
                )
                view.show_tab("packages")
                return
        self.plan_cache_action(state.model, kind, packages)

    @work(
        thread=True,
        exclusive=True,
        group="plan-action",
        exit_on_error=False,
        description="planning the action",  # not the arguments' repr: the whole model
    )
    def plan_cache_action(self, model: CacheModel, kind: ActionKind, packages: list[str]) -> None:
        """Predicting lists the cache and probes its lock: never on the UI thread."""
        from uvcache_tui.core.actions import ActionRefused, plan_action

        uv = self.config.uv
        discovery = self.discovery
        if uv is None or discovery is None or discovery.uv_version is None:
            self.post_message(
                ActionPlanFailed("No uv found: uv does the deleting. Put uv on PATH or use --uv.")
            )
            return
        try:
            plan = plan_action(
                model,
                uv,
                discovery.uv_version,
                kind,
                packages,
                protected=discovery.protected_paths,
                env=uv.env,
                cwd=uv.cwd,
            )
        except ActionRefused as exc:
            self.post_message(ActionPlanFailed(str(exc)))
            return
        self.post_message(ActionPlanned(plan, model))

    @on(ActionPlanFailed)
    def _plan_failed(self, message: ActionPlanFailed) -> None:
        self.notify(message.reason, title="Not possible", severity="error", timeout=8)

    @on(ActionPlanned)
    def _plan_ready(self, message: ActionPlanned) -> None:
        from uvcache_tui.tui.screens.preview import PreviewDecision, PreviewScreen

        plan, model = message.plan, message.model

        def decided(decision: PreviewDecision | None) -> None:
            if decision is None or not decision.run or decision.plan is None:
                return
            self.run_cache_action(decision.plan, model, decision.wait)

        self.app.push_screen(PreviewScreen(plan), decided)

    def run_cache_action(self, plan: ActionPlan, model: CacheModel, wait: bool) -> None:
        from uvcache_tui.core.action_run import run_action
        from uvcache_tui.core.predict import ActionKind
        from uvcache_tui.tui.screens.action_run import ActionRunScreen

        uv = self.config.uv
        assert uv is not None

        def runner(on_output: Callable[[str], None], cancel: threading.Event) -> ActionResult:
            return run_action(plan, model, uv, on_output=on_output, wait=wait, cancel=cancel)

        path = next((p for p, state in self.states.items() if state.model is model), plan.cache)

        def closed(result: ActionResult | None) -> None:
            if plan.action is ActionKind.CLEAN_PACKAGES and result is not None and result.ok:
                self.cache_view.marked_packages().clear()
            state = self.states.get(path)
            if result is not None and result.after is not None and state is not None:
                # run_action already rescanned the cache: show that model, don't walk again.
                after = result.after
                if self.config.snapshot_dir is not None:
                    self.keep_snapshot_of(after)
                self._finish(
                    path, state.scan_id, OpenedLocation(LocationStatus.DONE, after, after.scan)
                )
            else:
                self.start_scan(path)

        self.app.push_screen(ActionRunScreen(plan, runner), closed)

    def action_filter(self) -> None:
        """`/`: filter the list in focus (Files: its directory); elsewhere, Packages."""
        from uvcache_tui.tui.widgets.files_view import FilesView

        focused = self.focused
        files = next(
            (
                node
                for node in (focused.ancestors_with_self if focused else [])
                if isinstance(node, FilesView)
            ),
            None,
        )
        if files is not None:
            files.open_filter()
            return
        view = self.mount_cache_view()
        if view is None:
            state = self.selected_state
            view = self.shown_cache_view()
            if view is None or state is None or state.model is None:
                return
        view.open_packages_filter()
