"""A cache mount filled by a real `uv sync` opened in the TUI (both real engines): the same
views as a local cache, its true size in the row, and no uv action run in it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from tests.core.buildkit.scenarios import settle as settle_record
from tests.core.buildkit.uv_mounts import PACKAGE, UvMounts, build_uv_mounts, usage
from tests.dockerenv import Tracker
from tests.tui.conftest import (
    SnapshotPlace,
    main_screen,
    run,
    settle,
    snapshot_cache,
    snapshot_place,
)
from tests.tui.test_app import plain, wait_until
from tests.tui.test_buildkit_tui import (
    FIXTURES,
    SIZE,
    builder_node,
    docker_app,
    mount_nodes,
    move_to,
    section_of,
)
from tests.uvcache_factory import UvEnv, du_bytes
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.buildkit.engine import parse_system_df
from uvcache_tui.core.buildkit.mount_cache import OnDiskMount, open_mount_dir
from uvcache_tui.core.buildkit.ondisk import MountOnDisk
from uvcache_tui.core.buildkit.records import BuilderInfo, cache_mounts
from uvcache_tui.core.buildkit.select import MountChoice
from uvcache_tui.core.buildkit.texts import true_size
from uvcache_tui.tui.buildkit.mount_view import MOUNT_IS_READ_ONLY, MountCacheView
from uvcache_tui.tui.buildkit.rows import MountItem
from uvcache_tui.tui.buildkit.view import BuildkitView
from uvcache_tui.tui.screens.main import NARROW_WIDTH
from uvcache_tui.tui.screens.preview import PreviewScreen


@pytest.fixture
def uv_mounts(tracked: Tracker, tmp_path: Path) -> UvMounts:
    mounts = build_uv_mounts(tracked, tmp_path / "ctx")
    for mount in (mounts.plain, mounts.empty):
        settle_record(tracked.engine, mount.id, min_age=0)
    return mounts


def view_of(pilot: Pilot[Any]) -> BuildkitView:
    return main_screen(pilot).query_one(BuildkitView)


@pytest.mark.docker
def test_a_uv_mount_opens_like_a_local_cache(
    tracked: Tracker, uv_mounts: UvMounts, shared_env: UvEnv
) -> None:
    engine = tracked.engine
    before = usage(engine, uv_mounts.plain.id)

    async def body() -> None:
        app = docker_app(shared_env, engine.env())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            section = section_of(pilot)
            (node,) = mount_nodes(section, f"echo {uv_mounts.token} plain")
            item = node.data
            assert isinstance(item, MountItem)
            assert item.on_disk is not None and item.on_disk.path is not None
            assert item.on_disk.size is not None
            assert item.on_disk.size.allocated == du_bytes(item.on_disk.path)
            assert str(node.label).endswith(true_size(item.on_disk))

            await move_to(pilot, node)
            view = view_of(pilot)
            await wait_until(pilot, lambda: view.opened_cache_view() is not None)
            cache_view = view.opened_cache_view()
            assert cache_view is not None and cache_view.model is not None
            model = cache_view.model
            assert model.path == item.on_disk.path
            assert model.totals.allocated == du_bytes(model.path)
            assert PACKAGE in {p.name for p in model.packages}
            summary = plain(view.query_one("#mount-summary", Static))
            assert uv_mounts.plain.id in summary and "as listed before reading" in summary
            header = plain(cache_view.query_one("#cache-header", Static))
            assert model.path in header

            screen = main_screen(pilot)
            await pilot.press("2")
            await pilot.pause()
            assert cache_view.tabs.active == "packages"
            assert screen.check_action("cache_action", ("prune",)) is True
            await pilot.press("p")
            await pilot.pause()
            assert not isinstance(app.screen, PreviewScreen)
            assert [n for n in app._notifications if n.message == MOUNT_IS_READ_ONLY]
            assert model.path == item.on_disk.path and Path(model.path).is_dir()

            (empty,) = mount_nodes(section, f"echo {uv_mounts.token} empty")
            await move_to(pilot, empty)
            await wait_until(
                pilot,
                lambda: (
                    "empty" in plain(view.query_one("#buildkit-body", Static)).split("Contents")[-1]
                ),
            )
            assert view.opened_cache_view() is None
            assert screen.check_action("cache_action", ("prune",)) is False

            await move_to(pilot, builder_node(section, "default"))
            table = plain(view.query_one("#buildkit-body", Static))
            assert "On disk" in table and uv_mounts.plain.id in table

    run(body)
    time.sleep(2)  # BuildKit updates usage asynchronously: give a bump time to show
    assert usage(engine, uv_mounts.plain.id) == before


# --- snapshot: a recorded 28.5 record over a real uv cache, no clock on screen -----------------


SHOWN_BASE = "/tmp/uvcache-tui-mount-snapshot"


@pytest.fixture(scope="module")
def mount_place() -> Iterator[SnapshotPlace]:
    with snapshot_place(SHOWN_BASE) as place:
        yield place


@pytest.fixture(scope="module")
def mount_env(mount_place: SnapshotPlace) -> UvEnv:
    """The snapshot cache, built once for both sizes."""
    return snapshot_cache(mount_place)


class OpenedMountApp(App[None]):
    """Just the opened-mount pane: a recorded cache-mount record whose directory is the
    snapshot cache (the fast path's result, built without an engine)."""

    def __init__(self, place: SnapshotPlace, opened: OnDiskMount) -> None:
        super().__init__()
        self.place = place
        self.opened = opened

    def compose(self) -> ComposeResult:
        yield MountCacheView(timeout=5, id="mount-view")

    async def on_mount(self) -> None:
        view = self.query_one(MountCacheView)
        # What the main screen does below its narrow width (compact header and bar).
        view.cache_view.compact = self.size.width < NARROW_WIDTH
        await view.show_opened(self.opened)
        view.cache_view.tabs.active = "packages"

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        picture = super().export_screenshot(title=title, simplify=simplify)
        return self.place.show(picture)


def recorded_modern_mount() -> MountChoice:
    path = FIXTURES / "api-1.51-system-df-build-cache.json"
    records = parse_system_df(json.loads(path.read_text()))
    assert records is not None
    mounts = cache_mounts(records)
    builder = BuilderInfo(
        name="default", driver="docker", source="engine-api", listed=True, mounts=mounts
    )
    (mount,) = [m for m in mounts if m.target == "/application/cache/uv"]
    return MountChoice(builder, mount)


@pytest.mark.parametrize("terminal", ["120x40", "80x24"])
def test_opened_mount_snapshot(
    snap_compare: Callable[..., bool],
    mount_place: SnapshotPlace,
    mount_env: UvEnv,
    terminal: str,
) -> None:
    env = mount_env
    choice = recorded_modern_mount()
    located = MountOnDisk(str(env.cache))
    opened = open_mount_dir(choice, located, table_for(None))
    assert opened.model is not None and opened.on_disk.size is not None
    assert opened.on_disk.size.stale  # the record says 0 bytes: BuildKit's figure is stale
    width, height = (int(n) for n in terminal.split("x"))
    assert snap_compare(OpenedMountApp(mount_place, opened), terminal_size=(width, height))
