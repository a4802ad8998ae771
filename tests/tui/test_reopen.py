"""Instant reopen: the last launch's figures show at once, labelled with their age, while
the fresh scan runs; it replaces them; no action plans from them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.widgets import ContentSwitcher, Static

from tests.tui.conftest import SIZE, main_screen, make_app, run, settle, settled_app
from tests.tui.test_app import plain, wait_until
from tests.uvcache_factory import UvEnv
from uvcache_tui.core.location import LocationStatus
from uvcache_tui.core.model import Location, ScanProgress
from uvcache_tui.core.snapshot import load_snapshot, snapshot_file
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.screens.preview import PreviewScreen
from uvcache_tui.tui.state import LocationState


def holding_hook() -> tuple[threading.Event, Callable[[Location, ScanProgress], None]]:
    """Holds the active cache's scan until the event is set."""
    release = threading.Event()

    def hook(location: Location, progress: ScanProgress) -> None:
        if location.active:
            release.wait(timeout=30)

    return release, hook


def first_launch(env: UvEnv) -> int:
    """Run the app once to the end of its scans; the active cache's allocated total."""

    async def body() -> int:
        async with settled_app(env) as (pilot, screen):
            state = screen.states[str(env.cache)]
            assert state.model is not None and state.snapshot is None
            return state.model.totals.allocated

    return run(body)


def test_last_figures_show_while_the_scan_runs_and_no_action_plans_from_them(
    shared_env: UvEnv, own_snapshot_dir: Path
) -> None:
    allocated = first_launch(shared_env)
    cache = str(shared_env.cache)
    assert load_snapshot(str(own_snapshot_dir), cache).snapshot is not None
    release, hook = holding_hook()

    async def body() -> None:
        app = make_app(shared_env, scan_progress_hook=hook)
        try:
            async with app.run_test(size=SIZE) as pilot:
                screen = main_screen(pilot)
                notice = screen.query_one("#notice-body", Static)
                await wait_until(pilot, lambda: "as of" in plain(notice))
                text = plain(notice)
                assert "refreshing" in text and format_size(allocated) in text
                assert "alpha" in text and "wheels-v" in text

                # The state of the probable location, then discovery's: the same figures.
                def state() -> LocationState:
                    return screen.states[cache]

                assert state().model is None and state().snapshot is not None
                # Planning needs the fresh model: the keys do nothing until it is there.
                await wait_until(pilot, lambda: state().status is LocationStatus.SCANNING)
                assert state().model is None and state().snapshot is not None
                await pilot.press("p", "C")
                await pilot.pause(0.2)
                assert not isinstance(app.screen, PreviewScreen)
                assert not [w for w in app.workers if w.group == "plan-action"]
                release.set()
                await wait_until(pilot, lambda: state().status is LocationStatus.DONE)
                await pilot.pause()
                assert state().snapshot is None and state().model is not None
                switcher = screen.query_one("#detail-switcher", ContentSwitcher)
                assert switcher.current == "cache-view"
        finally:
            release.set()

    run(body)


def test_no_snapshot_neither_keeps_nor_shows(shared_env: UvEnv, own_snapshot_dir: Path) -> None:
    async def body() -> None:
        async with settled_app(shared_env, snapshots=False) as (pilot, screen):
            assert screen.states[str(shared_env.cache)].model is not None

    run(body)
    assert not own_snapshot_dir.exists()


def test_a_corrupt_snapshot_is_ignored_with_a_note(
    shared_env: UvEnv, own_snapshot_dir: Path
) -> None:
    cache = str(shared_env.cache)
    own_snapshot_dir.mkdir()
    Path(snapshot_file(str(own_snapshot_dir), cache)).write_bytes(b'{"format": "uvcache-tui-sn')

    notes: list[str] = []

    async def body() -> None:
        app = make_app(shared_env)
        notify = app.notify

        def noting(message: str, **options: Any) -> None:
            notes.append(message)
            notify(message, **options)

        app.notify = noting  # type: ignore[method-assign]
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert any("snapshot" in note and "ignored" in note for note in notes), notes
            assert main_screen(pilot).states[cache].model is not None

    run(body)
    assert load_snapshot(str(own_snapshot_dir), cache).snapshot is not None  # written anew
