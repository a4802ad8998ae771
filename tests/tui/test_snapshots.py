"""SVG snapshots of the main views (pytest-textual-snapshot).

Deterministic on purpose: the cache is rebuilt by the real uv with fixed wheels in a
directory of this run's own whose path is as long as the one the pictures show (see
`SnapshotPlace`), every worker is awaited before the picture, and no snapshotted view shows
archive ids (random) or times. Sizes are allocated blocks, so baselines belong to the filesystem
they were made on (ext4-like, 4 KiB blocks). Update with
`uv run pytest tests/tui --snapshot-update` after checking the report.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import (
    SnapshotPlace,
    make_snapshot_app,
    settle,
    snapshot_cache,
    snapshot_place,
)
from tests.uvcache_factory import UvEnv

SHOWN_BASE = "/tmp/uvcache-tui-snapshot"
"""The path the pictures show; each run builds its cache at a path of the same length."""
TERMINAL = (120, 40)

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def place() -> Iterator[SnapshotPlace]:
    with snapshot_place(SHOWN_BASE) as place:
        yield place


@pytest.fixture(scope="module")
def snapshot_env(place: SnapshotPlace) -> UvEnv:
    return snapshot_cache(place)


def after(*keys: str) -> Callable[[Pilot[Any]], Coroutine[Any, Any, None]]:
    """run_before: wait for discovery and scans, press keys, wait again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


def test_buckets_view(snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace) -> None:
    assert snap_compare(
        make_snapshot_app(place, snapshot_env), terminal_size=TERMINAL, run_before=after()
    )


def test_packages_view_with_a_mark(
    snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace
) -> None:
    app = make_snapshot_app(place, snapshot_env)
    assert snap_compare(app, terminal_size=TERMINAL, run_before=after("2", "down", "space"))


def test_files_view(snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace) -> None:
    assert snap_compare(
        make_snapshot_app(place, snapshot_env), terminal_size=TERMINAL, run_before=after("3")
    )


def test_info_view(snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace) -> None:
    assert snap_compare(
        make_snapshot_app(place, snapshot_env), terminal_size=TERMINAL, run_before=after("4")
    )


def test_help_screen(snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace) -> None:
    app = make_snapshot_app(place, snapshot_env)
    assert snap_compare(app, terminal_size=TERMINAL, run_before=after("question_mark"))


def test_not_a_cache_error(
    snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace
) -> None:
    """A --cache-dir that is a venv shows its error (the active cache is absent here)."""
    app = make_snapshot_app(
        place,
        snapshot_env,
        uv_env={"UV_CACHE_DIR": str(place.path / "not-created-yet")},
        extra_caches=[str(place.path / "venv-a")],
    )
    assert snap_compare(app, terminal_size=TERMINAL, run_before=after("down"))


def test_missing_active_cache(
    snap_compare: SnapCompare, snapshot_env: UvEnv, place: SnapshotPlace
) -> None:
    app = make_snapshot_app(
        place, snapshot_env, uv_env={"UV_CACHE_DIR": str(place.path / "not-created-yet")}
    )
    assert snap_compare(app, terminal_size=TERMINAL, run_before=after())
