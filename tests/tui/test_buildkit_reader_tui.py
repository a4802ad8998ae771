"""Where the fast path does not apply, a uv mount highlighted in the TUI is read by the
reader helper build in a worker (a message while it runs, `x` stops it), and opens in the
same views as a local cache; nothing is left on the builder either way."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Static

from tests.core.buildkit.scenarios import default_builder
from tests.core.buildkit.test_transfer import new_records
from tests.core.buildkit.transfer_scenarios import UvMount, build_uv_mount
from tests.dockerenv import Tracker, token
from tests.tui.conftest import run
from tests.tui.test_app import plain, wait_until
from tests.tui.test_buildkit_tui import SIZE
from uvcache_tui.core.buildkit.helper_build import HELPER_IMAGE_ENV
from uvcache_tui.core.buildkit.ondisk import MountOnDisk
from uvcache_tui.tui.buildkit.mount_view import READER_STOPPED, READING
from uvcache_tui.tui.buildkit.rows import MountItem
from uvcache_tui.tui.buildkit.view import BuildkitView

NOT_HERE = MountOnDisk(None, "the engine's data root is not on this machine (test)")


class ReaderApp(App[None]):
    """The BuildKit detail view alone, with Docker's environment for the test's engine."""

    def __init__(self, env: dict[str, str]) -> None:
        super().__init__()
        self.env = env

    def compose(self) -> ComposeResult:
        yield BuildkitView(timeout=30, env=self.env, id="buildkit-view")


def body_text(pilot: Pilot[Any]) -> str:
    return plain(pilot.app.query_one("#buildkit-body", Static))


def item_of(mount: UvMount) -> MountItem:
    builder = default_builder(mount.engine)
    (record,) = [m for m in builder.mounts if m.id == mount.record_id]
    assert record.kind == "uv"
    return MountItem(builder, record, NOT_HERE)


@pytest.mark.docker
def test_a_uv_mount_is_read_by_the_helper_build(tracked: Tracker, tmp_path: Any) -> None:
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    item = item_of(mount)
    env = {**engine.env(), HELPER_IMAGE_ENV: engine.busybox_image}
    before = engine.record_ids()

    async def body() -> None:
        app = ReaderApp(env)
        async with app.run_test(size=SIZE) as pilot:
            view = app.query_one(BuildkitView)
            view.show_item(item)
            await wait_until(pilot, lambda: READING.split(":")[0] in body_text(pilot))
            if engine.legacy:
                # Engine 20.10's records show no id: the target is tried as the key, and
                # this mount was written with `id=`: the reader says so, nothing is left
                await wait_until(pilot, lambda: "no cache with that key" in body_text(pilot))
                return
            await wait_until(pilot, lambda: view.opened_cache_view() is not None, timeout=60)
            cache_view = view.opened_cache_view()
            assert cache_view is not None and cache_view.model is not None
            assert [p.name for p in cache_view.model.packages] == ["uvcttiny"]
            info = plain(app.query_one("#mount-summary", Static))
            assert mount.record_id in info and "on disk" in info

    run(body)
    assert new_records(engine, before) == []


SLOW_FIND = """\
FROM {busybox}
RUN rm /bin/find \\
 && printf '#!/.bb/bin/sh\\necho slow-find-waiting >&2\\nsleep 300\\nexec /.bb/bin/busybox find "$@"\\n' > /bin/find \\
 && chmod 0755 /bin/find
"""
"""The helper image with a `find` that waits five minutes first: a reader to stop, on any
engine (the plain image reads a small mount faster than a key can come, on an idle one)."""


def slow_reader_image(tracked: Tracker, tmp_path: Path) -> str:
    engine = tracked.engine
    context = tmp_path / "slow-find"
    context.mkdir()
    (context / "Dockerfile").write_text(SLOW_FIND.format(busybox=engine.busybox_image))
    image = f"uvct-slow-find-{token()}:1"
    built = engine.build(context, tag=image)
    assert built.returncode == 0, built.stderr
    tracked.images.append(image)
    return image


@pytest.mark.docker
def test_x_stops_the_reader_build(tracked: Tracker, tmp_path: Path) -> None:
    """On both engines (on 20.10 the reader makes, then removes, an empty cache: the key
    has no id there), `x` during a reader that cannot have finished stops it, nothing
    opens, and the builder keeps no record of it."""
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    item = item_of(mount)
    env = {**engine.env(), HELPER_IMAGE_ENV: slow_reader_image(tracked, tmp_path)}
    before = engine.record_ids()

    async def body() -> None:
        app = ReaderApp(env)
        async with app.run_test(size=SIZE) as pilot:
            view = app.query_one(BuildkitView)
            view.show_item(item)
            await wait_until(pilot, lambda: READING.split(":")[0] in body_text(pilot))
            started = time.monotonic()
            assert view.stop_opening()
            await wait_until(pilot, lambda: READER_STOPPED in body_text(pilot), timeout=60)
            assert time.monotonic() - started < 60  # stopped, not the five minutes waited out
            assert view.opened_cache_view() is None
            assert "no cache with that key" not in body_text(pilot)

    run(body)
    assert new_records(engine, before) == []
