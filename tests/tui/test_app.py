"""Pilot tests: the app against real caches written by the real uv."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import ContentSwitcher, Static

from tests.tui.conftest import SIZE, main_screen, make_app, run, settle, settled_app
from tests.uvcache_factory import UvEnv, du_bytes, make_wheel
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.location import LocationStatus
from uvcache_tui.core.model import Location, ScanProgress
from uvcache_tui.core.sorting import SortKey, SortOrder
from uvcache_tui.tui.format import format_count, format_size
from uvcache_tui.tui.screens.help import HelpScreen
from uvcache_tui.tui.screens.main import MainScreen
from uvcache_tui.tui.widgets.cache_view import CacheHeader
from uvcache_tui.tui.widgets.files_view import FILES_KEY, FilesView
from uvcache_tui.tui.widgets.notices import DATA_NOTE
from uvcache_tui.tui.widgets.packages_table import MARK


def plain(widget: Static) -> str:
    """The text a Static shows (what `update` was given, rendered without styles)."""
    content = widget.content
    if isinstance(content, str):
        return content
    if isinstance(content, Text):
        return content.plain
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 15) -> None:
    """Poll while the app keeps running (for work that finishes in a thread)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await pilot.pause(0.02)


def test_locations_listed_with_sizes(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            cache = str(shared_env.cache)
            assert screen.selected_path == cache
            state = screen.states[cache]
            assert state.status is LocationStatus.DONE
            assert state.location.active and state.location.source == "UV_CACHE_DIR"
            tree = screen.locations_tree
            label = tree.node_for(cache).label.plain  # type: ignore[union-attr]
            assert "active cache" in label
            assert format_size(state.sizes.allocated) in label  # type: ignore[union-attr]
            data = [s for s in screen.states.values() if not s.location.kind.is_cache]
            assert {s.location.kind.value for s in data} == {"python", "tools"}
            for data_state in data:
                assert data_state.status is LocationStatus.MISSING
                assert "absent" in tree.node_for(data_state.location.path).label.plain  # type: ignore[union-attr]
            section = tree.section("local")
            assert section is not None and str(section.label) == "Local"

    run(body)


def test_header_totals_equal_the_core(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            model = screen.states[str(shared_env.cache)].model
            assert model is not None
            expected = load_cache(str(shared_env.cache), table_for("0.13.9")).totals
            assert model.totals == expected
            assert model.totals.allocated == du_bytes(shared_env.cache)
            header = plain(screen.query_one(CacheHeader))
            assert str(shared_env.cache) in header
            assert "uv 0.13.9" in header
            assert f"allocated {format_size(expected.allocated)}" in header
            assert f"reclaimable {format_size(expected.reclaimable)}" in header
            assert f"files {format_count(expected.files)}" in header
            buckets = screen.query_one("#buckets-table")
            names = [str(key.value) for key in buckets.rows]  # type: ignore[attr-defined]
            assert set(names) == {b.name for b in model.buckets}

    run(body)


def test_tabs_switch_by_key_and_click(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            app = pilot.app
            tabs = screen.cache_view.tabs
            assert tabs.active == "buckets"
            for key, tab in (("2", "packages"), ("3", "files"), ("4", "info"), ("1", "buckets")):
                await pilot.press(key)
                await pilot.pause()
                assert tabs.active == tab
            assert app.focused is not None and app.focused.id == "buckets-table"
            await pilot.click("#--content-tab-files")
            await pilot.pause()
            assert tabs.active == "files"
            info = plain(screen.query_one("#info-body", Static))
            assert "present, valid signature" in info and "free" in info
            assert "UV_CACHE_DIR" in info and "bucket table exact" in info

    run(body)


def test_filter_narrows_packages_and_escape_clears_it(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            app = pilot.app
            packages = screen.packages_view
            await pilot.press("2")
            await pilot.pause()
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            await pilot.press("slash")
            await pilot.pause()
            assert app.focused is packages.filter_input
            await pilot.press("a")
            await pilot.pause()
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            await pilot.press("l")
            await pilot.pause()
            assert packages.visible_names() == ["alpha"]
            assert "1 of 3 packages" in plain(packages.query_one("#packages-status", Static))
            await pilot.press("backspace", "backspace", "m")
            await pilot.pause()
            assert packages.visible_names() == ["gamma"]
            await pilot.press("escape")
            await pilot.pause()
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            assert app.focused is not None and app.focused.id == "packages-table"
            assert "3 packages" in plain(packages.query_one("#packages-status", Static))

    run(body)


def test_space_marks_packages(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            packages = screen.packages_view
            await pilot.press("2")
            await pilot.pause()
            first = packages.visible_names()[0]
            await pilot.press("space")
            await pilot.pause()
            assert packages.marked_packages == {first}
            assert str(packages.table.get_cell(first, "mark")) == MARK
            status = plain(packages.query_one("#packages-status", Static))
            assert "1 marked" in status
            model = packages.model
            assert model is not None
            package = next(p for p in model.packages if p.name == first)
            assert packages.marked_sizes() == model.package_sizes(package)
            # Marks survive filtering.
            await pilot.press("slash", "z", "z", "enter")
            await pilot.pause()
            assert packages.visible_names() == []
            await pilot.press("escape")
            await pilot.pause()
            assert packages.marked_packages == {first}
            packages.table.move_cursor(row=0)
            await pilot.press("space")
            await pilot.pause()
            assert packages.marked_packages == set()

    run(body)


def test_files_drill_down_and_sort(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            files: FilesView = screen.cache_view.files_view
            table = files.table
            await pilot.press("3")
            await pilot.pause()
            keys = [str(k.value) for k in table.rows]
            assert "d:archive-v0" in keys and FILES_KEY in keys
            files_row = table.get_row(FILES_KEY)
            assert str(files_row[0]) == "(3 files)"  # CACHEDIR.TAG, .gitignore, .lock
            table.move_cursor(row=table.get_row_index("d:archive-v0"))
            await pilot.press("enter")
            await pilot.pause()
            assert files.current_relpath == "archive-v0"
            assert str(table.get_row_at(0)[0]) == ".."
            archive = files.current
            assert archive is not None
            sizes = sorted((c.sub_alloc for c in archive.iter_children()), reverse=True)
            assert [str(table.get_row_at(i)[1]).strip() for i in range(1, 1 + len(sizes))] == [
                format_size(s) for s in sizes
            ]
            await pilot.press("backspace")
            await pilot.pause()
            assert files.current_relpath == "."
            assert table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value == (
                "d:archive-v0"
            )
            await pilot.press("enter", "left")
            await pilot.pause()
            assert files.current_relpath == "."
            await pilot.press("n")
            await pilot.pause()
            names = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
            dirs = [n for n in names if n.endswith("/")]
            assert dirs == sorted(dirs) and names[-1] == "(3 files)"
            await pilot.press("f")
            await pilot.pause()
            counts = [
                int(str(table.get_row_at(i)[-1]).replace(",", "")) for i in range(table.row_count)
            ]
            assert counts == sorted(counts, reverse=True)
            assert table.order == SortOrder(SortKey.FILES)

    run(body)


def test_r_rescans_and_sees_new_packages(fresh_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(fresh_env) as (pilot, screen):
            state = screen.states[str(fresh_env.cache)]
            assert "delta" not in {p.name for p in state.model.packages}  # type: ignore[union-attr]
            make_wheel(fresh_env.links, "delta", "4.0")
            fresh_env.install(fresh_env.venv("venv-d"), "delta")
            await pilot.press("r")
            await pilot.pause()
            assert state.scan_id == 2
            await settle(pilot)
            assert state.status is LocationStatus.DONE
            assert "delta" in {p.name for p in state.model.packages}  # type: ignore[union-attr]
            assert "delta" in screen.packages_view.visible_names()

    run(body)


def test_help_opens_and_closes(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            app = pilot.app
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            text = plain(app.screen.query_one("#help-keys", Static))
            assert "rescan the selected location" in text and "ctrl+q" in text
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            await pilot.press("question_mark", "question_mark")
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)

    run(body)


def test_path_that_is_not_a_cache_shows_its_error(shared_env: UvEnv, not_a_cache: str) -> None:
    async def body() -> None:
        async with settled_app(shared_env, extra_caches=[not_a_cache]) as (pilot, screen):
            state = screen.states[not_a_cache]
            assert state.status is LocationStatus.ERROR
            assert state.location.source == "--cache-dir"
            assert "error" in screen.locations_tree.node_for(not_a_cache).label.plain  # type: ignore[union-attr]
            # Select it with the keyboard: the sidebar lists it right after the active cache.
            await pilot.press("down")
            await pilot.pause()
            assert screen.selected_path == not_a_cache
            assert screen.query_one("#detail-switcher").current == "notice"  # type: ignore[attr-defined]
            notice = plain(screen.query_one("#notice-body", Static))
            assert "Cannot show this location" in notice and "not a uv cache" in notice

    run(body)


def test_missing_active_cache_is_an_empty_state(tmp_path: Path) -> None:
    env = UvEnv(tmp_path)  # nothing installed: the cache dir does not exist

    async def body() -> None:
        async with settled_app(env) as (pilot, screen):
            app = pilot.app
            state = screen.states[str(env.cache)]
            assert state.status is LocationStatus.MISSING and state.error is None
            notice = plain(screen.query_one("#notice-body", Static))
            assert "No cache here yet" in notice and "Cannot show" not in notice
            await pilot.press("2")  # tabs are for caches: a note, not a crash
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)

    run(body)


def test_data_dir_shows_size_and_not_cache_note(shared_env: UvEnv, tmp_path: Path) -> None:
    pythons = tmp_path / "pythons"
    (pythons / "cpython-3.12-fake" / "bin").mkdir(parents=True)
    (pythons / "cpython-3.12-fake" / "bin" / "python3.12").write_bytes(b"\0" * 50_000)

    async def body() -> None:
        async with settled_app(shared_env, uv_env={"UV_PYTHON_INSTALL_DIR": str(pythons)}) as (
            pilot,
            screen,
        ):
            state = screen.states[str(pythons)]
            assert state.status is LocationStatus.DONE
            assert state.sizes is not None and state.sizes.allocated == du_bytes(pythons)
            screen.select_location(str(pythons))
            await pilot.pause()
            assert screen.query_one("#detail-switcher").current == "data-view"  # type: ignore[attr-defined]
            text = plain(screen.query_one("#data-body", Static))
            assert DATA_NOTE in text
            assert format_size(state.sizes.allocated) in text and "cpython-3.12-fake" in text

    run(body)


def test_managed_pythons_listed_with_their_version(shared_env: UvEnv, tmp_path: Path) -> None:
    """uv's python dir as uv lays it out (an installation, its minor-version symlink, a lock
    file, a download cache): the installation is decoded (implementation, version, platform,
    size, files), as `ls` decodes it; the other directories follow, the installation not
    listed twice."""
    pythons = tmp_path / "pythons"
    install = pythons / "cpython-3.12.4-linux-x86_64-gnu"
    (install / "bin").mkdir(parents=True)
    (install / "bin" / "python3.12").write_bytes(b"\0" * 50_000)
    (install / "lib").mkdir()
    (install / "lib" / "os.py").write_bytes(b"#" * 9_000)
    (pythons / "cpython-3.12-linux-x86_64-gnu").symlink_to(install.name)
    (pythons / ".lock").write_text("")
    (pythons / ".cache").mkdir()
    (pythons / ".cache" / "download.part").write_bytes(b"x" * 20_000)

    async def body() -> None:
        async with settled_app(shared_env, uv_env={"UV_PYTHON_INSTALL_DIR": str(pythons)}) as (
            pilot,
            screen,
        ):
            screen.select_location(str(pythons))
            await pilot.pause()
            lines = plain(screen.query_one("#data-body", Static)).splitlines()
            heading = lines.index("Installations")
            (row,) = [line for line in lines if "cpython 3.12.4" in line]
            assert lines.index(row) == heading + 1
            assert row.split() == [
                *format_size(du_bytes(install)).split(),
                "cpython",
                "3.12.4",
                "linux-x86_64-gnu",
                "2",
                "files",
            ]
            others = lines[lines.index("Other entries") + 1 :]
            assert others == [f"{format_size(du_bytes(pythons / '.cache'))}  .cache"]
            assert not any(install.name in line for line in lines)

    run(body)


def _blocking_hook() -> tuple[
    threading.Event, threading.Event, Callable[[Location, ScanProgress], None]
]:
    """A progress hook that holds the active cache's scan until `release` is set."""
    started, release = threading.Event(), threading.Event()

    def hook(location: Location, progress: ScanProgress) -> None:
        if location.active:
            started.set()
            release.wait(timeout=20)

    return started, release, hook


def test_ui_answers_keys_while_a_scan_runs(shared_env: UvEnv) -> None:
    started, release, hook = _blocking_hook()

    async def body() -> None:
        app = make_app(shared_env, scan_progress_hook=hook)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await wait_until(pilot, started.is_set)
                screen = main_screen(pilot)
                cache = str(shared_env.cache)
                await wait_until(pilot, lambda: screen.selected_path == cache)
                state = screen.states[cache]
                assert state.status is LocationStatus.SCANNING
                progress = screen.query_one("#scan-progress", Static)
                assert progress.has_class("running") and "Scanning" in plain(progress)
                assert "scanning" in screen.locations_tree.node_for(cache).label.plain or "⟳" in (  # type: ignore[union-attr]
                    screen.locations_tree.node_for(cache).label.plain  # type: ignore[union-attr]
                )
                await pilot.press("question_mark")
                await pilot.pause()
                assert isinstance(app.screen, HelpScreen)
                await pilot.press("escape")
                await pilot.pause()
                assert isinstance(app.screen, MainScreen)
                await pilot.press("down", "down")  # past the "uv data" heading to python
                await pilot.pause()
                selected = screen.selected_state
                assert selected is not None and selected.location.kind.value == "python"
                assert state.status is LocationStatus.SCANNING
                release.set()
                await wait_until(pilot, lambda: state.status is LocationStatus.DONE)
                assert state.model is not None and not state.model.scan.partial
        finally:
            release.set()

    run(body)


def test_stopped_scan_is_marked_partial(shared_env: UvEnv) -> None:
    started, release, hook = _blocking_hook()

    async def body() -> None:
        app = make_app(shared_env, scan_progress_hook=hook)
        try:
            async with app.run_test(size=SIZE) as pilot:
                await wait_until(pilot, started.is_set)
                screen = main_screen(pilot)
                cache = str(shared_env.cache)
                await wait_until(pilot, lambda: screen.selected_path == cache)
                await pilot.press("x")
                await pilot.pause()
                release.set()
                state = screen.states[cache]
                await wait_until(pilot, lambda: state.status is LocationStatus.PARTIAL)
                await pilot.pause()
                assert state.model is not None and state.model.scan.partial
                assert "≥" in screen.locations_tree.node_for(cache).label.plain  # type: ignore[union-attr]
                assert "PARTIAL" in plain(screen.query_one(CacheHeader))
                assert "stopped before the end" in plain(screen.query_one("#info-body", Static))
                # A rescan after a stop is complete again.
                await pilot.press("r")
                await wait_until(pilot, lambda: state.status is LocationStatus.DONE)
        finally:
            release.set()

    run(body)


def test_a_crashing_scan_becomes_a_visible_error(shared_env: UvEnv) -> None:
    def hook(location: Location, progress: ScanProgress) -> None:
        if location.active:
            raise RuntimeError("boom")

    async def body() -> None:
        app = make_app(shared_env, scan_progress_hook=hook)
        async with app.run_test(size=SIZE) as pilot:
            # Not `settle`: waiting on the workers raises the very failure under test when it
            # happens during the wait (a loaded machine) rather than before it.
            screen = main_screen(pilot)
            await wait_until(pilot, lambda: str(shared_env.cache) in screen.states)
            state = screen.states[str(shared_env.cache)]
            await wait_until(pilot, lambda: state.status is LocationStatus.ERROR)
            assert state.error == "RuntimeError: boom"
            await pilot.pause()
            assert "RuntimeError: boom" in plain(screen.query_one("#notice-body", Static))

    run(body)


def test_mouse_selects_locations(shared_env: UvEnv, not_a_cache: str) -> None:
    async def body() -> None:
        async with settled_app(shared_env, extra_caches=[not_a_cache]) as (pilot, screen):
            tree = screen.locations_tree
            node = tree.node_for(not_a_cache)
            assert node is not None
            await pilot.click(tree, offset=(10, node.line))
            await pilot.pause()
            assert screen.selected_path == not_a_cache
            active = tree.node_for(str(shared_env.cache))
            assert active is not None
            await pilot.click(tree, offset=(10, active.line))
            await pilot.pause()
            assert screen.selected_path == str(shared_env.cache)

    run(body)


def test_command_palette_runs_rescan(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            state = screen.states[str(shared_env.cache)]
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"rescan selected")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            await wait_until(pilot, lambda: state.scan_id == 2)
            await settle(pilot)
            assert state.status is LocationStatus.DONE

    run(body)


def test_read_only_is_kept_on_the_app(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env, read_only=True) as (pilot, screen):
            app = pilot.app
            assert app.config.read_only is True
            assert screen.config is app.config
            assert app.sub_title == "read-only"

    run(body)


def test_rows_of_other_sections_leave_the_local_views_alone(shared_env: UvEnv) -> None:
    """A row of another sidebar section deselects the location; its scans finishing in the
    background do not take the detail pane back."""

    async def body() -> None:
        async with settled_app(shared_env, buildkit=False) as (pilot, screen):
            tree = screen.locations_tree
            assert tree.section("buildkit") is None  # buildkit=False: no branch, no Docker call
            section = tree.add_section("other", "Other")
            assert tree.add_section("other", "Other") is section
            leaf = section.add_leaf("a row", data={"row": 1})
            await pilot.pause()
            tree.move_cursor(leaf)
            await pilot.pause()
            assert screen.selected_path is None
            switcher = screen.query_one("#detail-switcher", ContentSwitcher)
            switcher.current = "notice"
            screen.start_scan(str(shared_env.cache))
            await settle(pilot)
            assert switcher.current == "notice"
            assert screen.selected_path is None

    run(body)
