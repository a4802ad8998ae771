"""The first frame: the last figures are in it, and what it does not need comes after it
(the detail pane's other views, uv's discovery, Docker; each cache tab's view); what makes
it cheaper draws the same (the figures' rows, the footer's recomposes)."""

from __future__ import annotations

import gc
import io
import sys
import threading
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.text import Text
from textual._compositor import CompositorUpdate
from textual.app import App, ComposeResult

from tests.tui.conftest import SIZE, main_screen, make_app, run, settle, settled_app
from tests.tui.test_app import wait_until
from tests.tui.test_reopen import first_launch
from tests.uvcache_factory import UvEnv
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.location import LocationStatus
from uvcache_tui.core.model import Location, ScanProgress
from uvcache_tui.tui.app import UvCacheApp
from uvcache_tui.tui.buildkit.branch import LOAD_GROUP
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.snapshots import AlignedRows
from uvcache_tui.tui.widgets.cache_tabs import TABS
from uvcache_tui.tui.widgets.cache_view import CacheView
from uvcache_tui.tui.widgets.detail import BUILDKIT_VIEW, CACHE_VIEW, DATA_VIEW, LATER_VIEWS
from uvcache_tui.tui.widgets.footer import KeysFooter


def on_first_frame(app: App[Any], seen: Callable[[str], None]) -> None:
    """Call `seen` with the text of the first frame the app hands to its driver."""
    display = app._display

    def displayed(screen: Any, update: Any) -> None:
        display(screen, update)
        first = not getattr(displayed, "done", False)
        if first and isinstance(update, CompositorUpdate) and not app._batch_count:
            displayed.done = True  # type: ignore[attr-defined]
            seen(update.render_segments(app.console))

    app._display = displayed  # type: ignore[method-assign]


def test_the_first_frame_has_the_last_figures_and_nothing_else_waited_for(
    shared_env: UvEnv,
) -> None:
    allocated = format_size(first_launch(shared_env))
    release = threading.Event()

    def hold(location: Location, progress: ScanProgress) -> None:
        if location.active:
            release.wait(timeout=30)

    found: dict[str, Any] = {}

    async def body() -> None:
        app = make_app(shared_env, scan_progress_hook=hold)

        def seen(text: str) -> None:
            screen = main_screen_of(app)
            found["text"] = text
            found["views"] = [screen.detail.has_view(v) for v in (CACHE_VIEW, BUILDKIT_VIEW)]
            found["cache views"] = len(app.query(CacheView))
            found["workers"] = {worker.group for worker in app.workers}
            found["gc"] = gc.isenabled()

        on_first_frame(app, seen)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await wait_until(pilot, lambda: "text" in found)
                assert "Last figures" in found["text"] and allocated in found["text"]
                assert found["views"] == [False, False] and found["cache views"] == 0
                assert not found["workers"] & {"discover", LOAD_GROUP}, found["workers"]
                assert not found["gc"]  # paused until that frame only
                await wait_until(pilot, gc.isenabled)
                screen = main_screen(pilot)
                cache = str(shared_env.cache)
                # Then: the views, discovery and the scan, whose model replaces the figures.
                await wait_until(pilot, lambda: screen.detail.has_view(BUILDKIT_VIEW))
                assert screen.detail.has_view(CACHE_VIEW) and screen.detail.has_view(DATA_VIEW)
                await wait_until(pilot, lambda: screen.states[cache].busy)
                assert screen.states[cache].model is None and screen.detail.current == "notice"
                release.set()
                await settle(pilot)
                assert screen.states[cache].status is LocationStatus.DONE
                assert screen.detail.current == CACHE_VIEW
                assert screen.cache_view.model is screen.states[cache].model
        finally:
            release.set()

    run(body)


def main_screen_of(app: UvCacheApp) -> Any:
    screen = app.main_screen
    assert screen is not None
    return screen


class TabsApp(App[None]):
    """Two cache views of one model: `lazy` opened on a tab before its view is built,
    `built` left to build every tab in the background (the reference)."""

    def __init__(self, model: CacheModel, open_tab: Callable[[CacheView], None]) -> None:
        super().__init__()
        self.model = model
        self.open_tab = open_tab
        self.built_at_mount: list[str] = []

    def compose(self) -> ComposeResult:
        yield CacheView(id="lazy")
        yield CacheView(id="built")

    def on_mount(self) -> None:
        lazy = self.query_one("#lazy", CacheView)
        self.built_at_mount = lazy.built_tabs()
        lazy.show_model(self.model, None)
        self.open_tab(lazy)

    def views(self) -> tuple[CacheView, CacheView]:
        return self.query_one("#lazy", CacheView), self.query_one("#built", CacheView)


def table_rows(table: Any) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def test_a_tab_opened_before_its_view_is_built_shows_the_same_rows(shared_env: UvEnv) -> None:
    model = load_cache(str(shared_env.cache), table_for(None))

    async def body() -> None:
        app = TabsApp(model, lambda view: view.show_tab("files"))
        async with app.run_test(size=SIZE) as pilot:
            lazy, built = app.views()
            assert app.built_at_mount == ["buckets"]  # the first tab only, with the view
            await wait_until(pilot, lambda: built.built_tabs() == list(TABS))
            built.show_model(model, None)
            await wait_until(pilot, lambda: "files" in lazy.built_tabs())
            await pilot.pause()
            assert lazy.tabs.active == "files"
            assert app.focused is lazy.files_view.table
            built.show_tab("files")  # a table fills once shown (a hidden one waits)
            lazy_files, built_files = lazy.files_view.table, built.files_view.table
            await wait_until(pilot, lambda: 0 < lazy_files.row_count == built_files.row_count)
            assert table_rows(lazy_files) == table_rows(built_files)
            # The others are built in the background, each filled with the model shown.
            await wait_until(pilot, lambda: lazy.built_tabs() == list(TABS))
            assert lazy.packages_view.model is model
            lazy.show_tab("packages")
            built.show_tab("packages")
            lazy_pkgs, built_pkgs = lazy.packages_view.table, built.packages_view.table
            expected = len(model.packages)
            await wait_until(pilot, lambda: lazy_pkgs.row_count == built_pkgs.row_count == expected)
            assert table_rows(lazy_pkgs) == table_rows(built_pkgs)

    run(body)


def test_a_new_model_fills_the_tab_shown_and_packages_first_and_the_others_after(
    shared_env: UvEnv,
) -> None:
    """A model's arrival fills the tab shown and Packages (its marks are the actions') at
    once; the other tabs one per frame after it, or at once when opened before."""
    first = load_cache(str(shared_env.cache), table_for(None))
    second = load_cache(str(shared_env.cache), table_for(None))

    async def body() -> None:
        app = TabsApp(first, lambda view: None)
        async with app.run_test(size=SIZE) as pilot:
            _, built = app.views()
            built.show_model(first, None)
            await wait_until(pilot, lambda: built.filled_tabs() == list(TABS))
            built.show_model(second, None)
            assert built.filled_tabs() == ["buckets", "packages"]
            assert built.packages_view.model is second
            built.show_tab("info")
            assert built.filled_tabs() == ["buckets", "packages", "info"]
            await wait_until(pilot, lambda: built.filled_tabs() == list(TABS))
            assert built.files_view.current_relpath == "."
            assert built.tabs.active == "info"

    run(body)


def test_the_packages_filter_opens_on_a_tab_not_built_yet(shared_env: UvEnv) -> None:
    model = load_cache(str(shared_env.cache), table_for(None))

    async def body() -> None:
        app = TabsApp(model, lambda view: view.open_packages_filter())
        async with app.run_test(size=SIZE) as pilot:
            lazy, _ = app.views()
            assert app.built_at_mount == ["buckets"]
            await wait_until(pilot, lambda: "packages" in lazy.built_tabs())
            await pilot.pause()
            assert lazy.tabs.active == "packages"
            assert app.focused is lazy.packages_view.filter_input
            assert lazy.marked_packages() == set()

    run(body)


def test_the_footer_recomposes_once_for_changes_that_come_together(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            footer = screen.query_one(KeysFooter)
            recomposed: list[int] = []
            recompose = footer.recompose

            async def counted() -> None:
                recomposed.append(1)
                await recompose()

            footer.recompose = counted  # type: ignore[method-assign]
            for _ in range(3):
                footer.bindings_changed(screen)
            footer.compact = True
            footer.compact = False
            await pilot.pause()
            await pilot.pause()
            assert len(recomposed) == 1
            assert len(screen.query("#pinned-keys")) == 1

    run(body)


def test_footer_keys_mount_without_restyling_themselves(
    shared_env: UvEnv, monkeypatch: Any
) -> None:
    """The footer is recomposed at every tab switch: its new keys come with their compact
    look set (the footer's, or on for the palette key, as Textual's watchers left them),
    so none restyles itself as it mounts."""
    from textual.widgets._footer import FooterKey

    restyled: list[FooterKey] = []
    original = FooterKey.update_node_styles

    def recording(self: FooterKey, animate: bool = True) -> None:
        restyled.append(self)
        original(self, animate)

    monkeypatch.setattr(FooterKey, "update_node_styles", recording)

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            footer = screen.query_one(KeysFooter)
            for compact in (False, True, False):
                footer.compact = compact
                await pilot.pause()
                restyled.clear()
                footer.bindings_changed(screen)
                await pilot.pause()
                await pilot.pause()
                keys = list(footer.query(FooterKey))
                assert len(keys) > 3
                assert not restyled, [key.action for key in restyled]
                for key in keys:
                    palette = key.has_class("-command-palette")
                    assert key.compact is (compact or palette), key.action
                    assert key.has_class("-compact") is (compact or palette), key.action

    run(body)


def rendered(renderable: Any, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), force_terminal=True)
    console.print(renderable)
    return console.export_text(styles=True)


def test_the_last_figures_rows_look_as_a_grid_shows_them() -> None:
    """`AlignedRows` draws its rows as plain lines when they fit: the same text, styles and
    spaces as the grid it replaces; rows too wide for the room are the grid's."""
    rows = [
        (Text("30.0 MiB"), Text("archive-v0"), Text("current", "green")),
        (Text("996.0 KiB"), Text("sdists-v11"), Text("stale", "yellow")),
        (Text("0 Bytes"), Text(".lock"), Text("scaffold", "dim")),
        (Text("4.0 KiB"), Text("a-package-with-a-very-long-name-" * 2), Text("")),
    ]
    for width in (20, 40, 60, 80, 120):
        for shown in (rows, [row[:2] for row in rows], rows[:3]):
            aligned = AlignedRows(shown)
            assert rendered(aligned, width) == rendered(aligned.grid(), width), (width, shown)
    assert AlignedRows(rows[:3]).lines().plain.splitlines()[1] == "996.0 KiB  sdists-v11  stale   "


def test_the_later_views_modules_are_imported_off_the_ui_thread(
    shared_env: UvEnv, monkeypatch: Any
) -> None:
    """After the first frame a thread imports the cache, data dir and BuildKit views'
    modules (~0.35 s of the UI thread at launch, keys stalled, when mounting imported them),
    then they are mounted; a scan of a location not shown mounts nothing meanwhile."""
    from uvcache_tui.tui.widgets import detail

    threads: list[int] = []
    original = detail.import_views

    def recording() -> None:
        threads.append(threading.get_ident())
        original()

    monkeypatch.setattr(detail, "import_views", recording)
    mounted_for: list[tuple[str, str | None]] = []

    async def body() -> None:
        app = make_app(shared_env)
        async with app.run_test(size=SIZE) as pilot:
            screen = main_screen(pilot)
            switcher = screen.detail
            mount_views = switcher.mount_views

            async def recording_mount(*view_ids: str) -> None:
                caller = sys._getframe(1)
                message = caller.f_locals.get("message")
                if caller.f_code.co_name == "_scan_finished" and message is not None:
                    mounted_for.append((message.path, screen.selected_path))
                await mount_views(*view_ids)

            switcher.mount_views = recording_mount  # type: ignore[method-assign]
            await settle(pilot)
            assert threads and threading.get_ident() not in threads
            assert all(switcher.has_view(view) for view in LATER_VIEWS)
            assert len(screen.states) > 1, "other locations are scanned too"

    run(body)
    assert all(path == selected for path, selected in mounted_for), mounted_for
