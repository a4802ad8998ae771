"""SVG snapshots of the main views (pytest-textual-snapshot).

Deterministic on purpose: the cache is rebuilt by the real uv with fixed wheels in a
directory of this run's own whose path is as long as the one the pictures show (see
`SnapshotPlace`), every worker is awaited before the picture, and no snapshotted view shows
archive ids (random) or times. Sizes are allocated blocks, so baselines belong to the filesystem
they were made on (ext4-like, 4 KiB blocks); the one byte-exact figure, the Info tab's
apparent size, differs by host (uv records the kernel's strings) and is masked
(`mask_host_bytes`). Update with
`uv run pytest tests/tui --snapshot-update` after checking the report.

Every view is taken at 120x40 and at 80x24, where the sidebar is folded away and the panes
are compact (`MainScreen.NARROW_WIDTH`).
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
TERMINALS = {"120x40": (120, 40), "80x24": (80, 24)}

SnapCompare = Callable[..., bool]


@pytest.fixture(scope="module")
def place() -> Iterator[SnapshotPlace]:
    with snapshot_place(SHOWN_BASE) as place:
        yield place


@pytest.fixture(scope="module")
def snapshot_env(place: SnapshotPlace) -> UvEnv:
    return snapshot_cache(place)


@pytest.fixture(params=list(TERMINALS))
def terminal(request: pytest.FixtureRequest) -> tuple[int, int]:
    """Each picture at both sizes (the test id says which)."""
    return TERMINALS[request.param]


def after(*keys: str) -> Callable[[Pilot[Any]], Coroutine[Any, Any, None]]:
    """run_before: wait for discovery and scans, press keys, wait again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)

    return run_before


@pytest.mark.parametrize(
    "keys",
    [
        pytest.param((), id="buckets"),
        pytest.param(("2", "down", "space"), id="packages-with-a-mark"),
        pytest.param(("3",), id="files"),
        pytest.param(("4",), id="info"),
        pytest.param(("5",), id="interpreters"),
        pytest.param(("question_mark",), id="help"),
        pytest.param(("L",), id="sidebar-toggled"),
    ],
)
def test_view(
    snap_compare: SnapCompare,
    snapshot_env: UvEnv,
    place: SnapshotPlace,
    terminal: tuple[int, int],
    keys: tuple[str, ...],
) -> None:
    """Each tab, the help, and the sidebar after `L` (shown at 80x24, hidden at 120x40)."""
    app = make_snapshot_app(place, snapshot_env)
    assert snap_compare(app, terminal_size=terminal, run_before=after(*keys))


def test_not_a_cache_error(
    snap_compare: SnapCompare,
    snapshot_env: UvEnv,
    place: SnapshotPlace,
    terminal: tuple[int, int],
) -> None:
    """A --cache-dir that is a venv shows its error (the active cache is absent here)."""
    app = make_snapshot_app(
        place,
        snapshot_env,
        uv_env={"UV_CACHE_DIR": str(place.path / "not-created-yet")},
        extra_caches=[str(place.path / "venv-a")],
    )
    keys = ("down",) if terminal[0] >= 100 else ("L", "down")
    assert snap_compare(app, terminal_size=terminal, run_before=after(*keys))


def test_missing_active_cache(
    snap_compare: SnapCompare,
    snapshot_env: UvEnv,
    place: SnapshotPlace,
    terminal: tuple[int, int],
) -> None:
    app = make_snapshot_app(
        place, snapshot_env, uv_env={"UV_CACHE_DIR": str(place.path / "not-created-yet")}
    )
    assert snap_compare(app, terminal_size=terminal, run_before=after())
