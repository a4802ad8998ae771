"""Prune / clean from the TUI: preview modal, uv running, result screen, refreshed view."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, DataTable, Static

from tests.core.test_actions import NESTED_PARENTHESES, tree_signature
from tests.tui.conftest import (
    NO_DOCKER,
    SnapshotApp,
    SnapshotPlace,
    main_screen,
    make_app,
    run,
    settle,
    settled_app,
    snapshot_cache,
    snapshot_place,
)
from tests.tui.test_app import plain, wait_until
from tests.uvcache_factory import UvEnv, hold_cache_lock, uv_binary
from uvcache_tui.core.lock import LockState, probe_lock
from uvcache_tui.core.uvbin import UvBinary
from uvcache_tui.tui.config import READ_ONLY_NOTICE
from uvcache_tui.tui.messages import ActionPlanFailed, ActionPlanned
from uvcache_tui.tui.screens.action_run import ActionRunScreen
from uvcache_tui.tui.screens.main import MainScreen
from uvcache_tui.tui.screens.preview import PreviewScreen

SIZE = (120, 40)
SHOWN_BASE = "/tmp/uvcache-tui-snapshot-actions"
"""The path the preview picture shows (each run builds its cache at one of the same length)."""


def add_prune_targets(env: UvEnv) -> None:
    """A stale bucket and a foreign dir: things prune removes whose names are stable."""
    shutil.copytree(env.cache / "wheels-v8", env.cache / "wheels-v5", symlinks=True)
    (env.cache / "not-a-bucket").mkdir()
    (env.cache / "not-a-bucket" / "data.bin").write_bytes(b"\0" * 20000)


async def open_preview(pilot: Pilot[Any], *keys: str) -> PreviewScreen:
    await settle(pilot)
    await pilot.press(*keys)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, PreviewScreen))
    screen = pilot.app.screen
    assert isinstance(screen, PreviewScreen)
    return screen


async def run_and_close(pilot: Pilot[Any]) -> str:
    await pilot.click("#run")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ActionRunScreen))
    screen = pilot.app.screen
    assert isinstance(screen, ActionRunScreen)
    await wait_until(pilot, lambda: screen.result is not None, timeout=60)
    await pilot.pause()
    text = plain(screen.query_one("#run-result", Static))
    await pilot.click("#close")
    await settle(pilot)
    return text


def test_prune_previews_runs_and_refreshes(fresh_env: UvEnv, tmp_path: Path) -> None:
    add_prune_targets(fresh_env)
    os.environ["UVCACHE_TUI_STATE_DIR"] = str(tmp_path / "state")

    async def body() -> None:
        app = make_app(fresh_env)
        async with app.run_test(size=SIZE) as pilot:
            preview = await open_preview(pilot, "p")
            table = preview.query_one("#preview-entries", DataTable)
            labels = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
            assert "wheels-v5 (bucket of another uv)" in labels
            assert "not-a-bucket (not uv's)" in labels
            assert "cache prune" in plain(preview.query_one("#preview-command", Static))
            result = await run_and_close(pilot)
            assert "uv exited with 0" in result and "Freed" in result
            assert "uv says: Removed" in result
            assert not (fresh_env.cache / "not-a-bucket").exists()
            state = main_screen(pilot).selected_state
            assert state is not None and state.model is not None
            assert "wheels-v5" not in {b.name for b in state.model.buckets}

    try:
        run(body)
    finally:
        os.environ.pop("UVCACHE_TUI_STATE_DIR", None)


def test_clean_marked_packages(fresh_env: UvEnv, tmp_path: Path) -> None:
    os.environ["UVCACHE_TUI_STATE_DIR"] = str(tmp_path / "state")

    async def body() -> None:
        async with settled_app(fresh_env) as (pilot, screen):
            await pilot.press("c")  # nothing marked yet: a hint, no preview
            await pilot.pause()
            assert not isinstance(pilot.app.screen, PreviewScreen)
            await pilot.press("2", "space")  # mark the package under the cursor
            marked = screen.packages_view.marked_packages
            assert len(marked) == 1
            (name,) = marked
            assert list(fresh_env.cache.glob(f"*-v*/*/*/{name}"))
            preview = await open_preview(pilot, "c")
            assert plain(preview.query_one("#preview-command", Static)).endswith(f" {name}")
            await run_and_close(pilot)
            assert not list(fresh_env.cache.glob(f"*-v*/*/*/{name}"))
            assert screen.packages_view.marked_packages == set()

    try:
        run(body)
    finally:
        os.environ.pop("UVCACHE_TUI_STATE_DIR", None)


def test_cancel_and_read_only_delete_nothing(fresh_env: UvEnv) -> None:
    """Cancel deletes nothing; with --read-only no key plans an action at all (checked once
    every worker has finished, against the messages the planning posts when it does run)."""
    add_prune_targets(fresh_env)
    signature = tree_signature(fresh_env.cache)
    planning = (ActionPlanned, ActionPlanFailed)

    async def body() -> None:
        seen: list[Message] = []
        async with make_app(fresh_env).run_test(size=SIZE, message_hook=seen.append) as pilot:
            await open_preview(pilot, "C")
            await pilot.press("escape")
            await settle(pilot)
        # the hook sees a message once per node it reaches (it bubbles): count each once
        posted = {id(m): type(m) for m in seen if isinstance(m, planning)}
        assert list(posted.values()) == [ActionPlanned]

        seen.clear()
        app = make_app(fresh_env, read_only=True)
        async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
            await settle(pilot)
            await pilot.press("2", "space")  # a marked package, so that c has something
            await settle(pilot)
            assert main_screen(pilot).packages_view.marked_packages
            for key in ("p", "P", "c", "C"):
                app.clear_notifications()
                await pilot.press(key)
                await settle(pilot)  # a planning worker, had one started, has finished here
                # each key says why nothing happens and how to act
                said = [n for n in app._notifications if n.message == READ_ONLY_NOTICE]
                assert len(said) == 1 and said[0].title == "Read-only", key
                assert "without --read-only" in said[0].message
            assert not [m for m in seen if isinstance(m, planning)]
            assert not [w for w in app.workers if w.group == "plan-action"]
            assert isinstance(app.screen, MainScreen)
            # the footer still does not offer them
            shown = {k for k, a in app.screen.active_bindings.items() if a.binding.show}
            assert not shown & {"p", "P", "c", "C"}

    run(body)
    assert tree_signature(fresh_env.cache) == signature


def test_running_uv_disables_run_until_forced(fresh_env: UvEnv, tmp_path: Path) -> None:
    add_prune_targets(fresh_env)
    holder = hold_cache_lock(fresh_env, 60)
    signature = tree_signature(fresh_env.cache)

    async def body() -> None:
        async with make_app(fresh_env).run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: probe_lock(str(fresh_env.cache)).state is LockState.HELD
            )
            preview = await open_preview(pilot, "p")
            warnings = " ".join(plain(w) for w in preview.query(".preview-warning").results(Static))
            assert "in use" in warnings and str(holder.pid) in warnings
            assert preview.query_one("#run", Button).disabled
            preview.query_one("#force", Checkbox).value = True
            await pilot.pause()
            assert not preview.query_one("#run", Button).disabled
            await pilot.press("escape")

    try:
        run(body)
    finally:
        holder.terminate()
        holder.wait(10)
    assert tree_signature(fresh_env.cache) == signature


@pytest.fixture(scope="module")
def place() -> Iterator[SnapshotPlace]:
    with snapshot_place(SHOWN_BASE) as place:
        yield place


@pytest.fixture(scope="module")
def snapshot_env(place: SnapshotPlace) -> UvEnv:
    env = snapshot_cache(place)
    add_prune_targets(env)
    # The uv binary under the place: the command line is part of the picture.
    (place.path / "bin").mkdir()
    (place.path / "bin" / "uv").symlink_to(uv_binary())
    return env


def test_preview_snapshot(
    snap_compare: Callable[..., bool], snapshot_env: UvEnv, place: SnapshotPlace
) -> None:
    """The prune preview of a cache whose removals are a stale bucket and a foreign dir
    (archive ids are random, so the snapshot cache has no dangling archive)."""
    env = snapshot_env.env()
    for key in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_BIN_HOME"):
        env.pop(key, None)
    app = SnapshotApp(
        place,
        uv=UvBinary(str(place.path / "bin" / "uv"), cwd=str(place.path), env=env),
        docker_env=NO_DOCKER,
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_preview(pilot, "p")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_lock_held_by_ourselves_offers_force_not_wait(fresh_env: UvEnv, tmp_path: Path) -> None:
    """The holder waits for us (as `uv run uvcache-tui` does): no Wait button, `f` ticks
    Force with the reason, the command shown gains --force, and that command runs."""
    import fcntl

    add_prune_targets(fresh_env)
    os.environ["UVCACHE_TUI_STATE_DIR"] = str(tmp_path / "state")
    lock_fd = os.open(fresh_env.cache / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(lock_fd, fcntl.LOCK_SH)

    async def body() -> None:
        async with make_app(fresh_env).run_test(size=SIZE) as pilot:
            preview = await open_preview(pilot, "p")
            assert preview.plan.lock.held_by_our_parent
            warnings = " ".join(plain(w) for w in preview.query(".preview-warning").results(Static))
            assert f"the cache lock is held by pid {os.getpid()}" in warnings, warnings
            assert not NESTED_PARENTHESES.search(warnings), warnings
            assert not preview.query("#wait")
            force = preview.query_one("#force", Checkbox)
            assert "only waits for it" in str(force.label)
            assert "--force" not in plain(preview.query_one("#preview-command", Static))
            await pilot.press("f")
            await pilot.pause()
            assert force.value
            assert "--force" in plain(preview.query_one("#preview-command", Static))
            await pilot.click("#run")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ActionRunScreen))
            screen = pilot.app.screen
            assert isinstance(screen, ActionRunScreen)
            assert "--force" in screen.plan.argv
            await wait_until(pilot, lambda: screen.result is not None, timeout=60)
            assert screen.result is not None and screen.result.ok
            assert not (fresh_env.cache / "not-a-bucket").exists()

    try:
        run(body)
    finally:
        os.close(lock_fd)


def test_cancel_stops_a_waiting_uv(fresh_env: UvEnv, tmp_path: Path) -> None:
    """Wait for uv, then Cancel: uv (its process group) is stopped, the result says so and
    the audit log has the final line; the cache is unchanged."""
    from tests.core.test_action_signals import audit_lines, uv_pids_for

    add_prune_targets(fresh_env)
    state_dir = tmp_path / "state"
    os.environ["UVCACHE_TUI_STATE_DIR"] = str(state_dir)
    holder = hold_cache_lock(fresh_env, 120)
    signature = tree_signature(fresh_env.cache)

    async def body() -> None:
        async with make_app(fresh_env).run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: probe_lock(str(fresh_env.cache)).state is LockState.HELD
            )
            preview = await open_preview(pilot, "p")
            await pilot.click("#wait")
            await wait_until(pilot, lambda: isinstance(pilot.app.screen, ActionRunScreen))
            screen = pilot.app.screen
            assert isinstance(screen, ActionRunScreen)
            assert "UV_LOCK_TIMEOUT=300" in plain(screen.query_one("#run-title"))
            await wait_until(pilot, lambda: bool(uv_pids_for(fresh_env.cache)), timeout=30)
            await pilot.press("escape")
            await wait_until(pilot, lambda: screen.result is not None, timeout=60)
            assert screen.result is not None and screen.result.interrupted
            assert "Stopped" in plain(screen.query_one("#run-result", Static))
            assert not uv_pids_for(fresh_env.cache)
            assert preview.plan.cache == str(fresh_env.cache)

    try:
        run(body)
    finally:
        holder.terminate()
        holder.wait(10)
    assert [line["status"] for line in audit_lines(state_dir)] == ["started", "interrupted"]
    assert tree_signature(fresh_env.cache) == signature


def test_blocked_plan_cannot_run(fresh_env: UvEnv, tmp_path: Path) -> None:
    """A broken link in archive-v0 makes uv stop part-way: the preview says why, Run stays
    disabled, and pressing it says so inside the dialog (no toast over the buttons)."""
    os.symlink(str(tmp_path / "gone"), fresh_env.cache / "archive-v0" / "broken")
    signature = tree_signature(fresh_env.cache)

    async def body() -> None:
        async with make_app(fresh_env).run_test(size=SIZE) as pilot:
            preview = await open_preview(pilot, "p")
            blockers = [plain(b) for b in preview.query(".preview-blocker").results(Static)]
            assert blockers and "archive-v0/broken" in blockers[0]
            assert preview.query_one("#run", Button).disabled
            preview.action_run()  # the enter binding, when focus is not on a button
            await pilot.pause()
            assert isinstance(pilot.app.screen, PreviewScreen)
            assert "Refused" in plain(preview.query_one("#preview-command", Static))
            assert not pilot.app._notifications
            await pilot.press("escape")

    run(body)
    assert tree_signature(fresh_env.cache) == signature


def test_quit_while_uv_runs_stops_it(fresh_env: UvEnv, tmp_path: Path) -> None:
    """ctrl+q while uv waits for the lock: uv is stopped and logged, the app exits cleanly."""
    from tests.core.test_action_signals import audit_lines, uv_pids_for

    add_prune_targets(fresh_env)
    state_dir = tmp_path / "state"
    os.environ["UVCACHE_TUI_STATE_DIR"] = str(state_dir)
    holder = hold_cache_lock(fresh_env, 120)
    signature = tree_signature(fresh_env.cache)

    async def body() -> None:
        app = make_app(fresh_env)
        async with app.run_test(size=SIZE) as pilot:
            await wait_until(
                pilot, lambda: probe_lock(str(fresh_env.cache)).state is LockState.HELD
            )
            await open_preview(pilot, "p")
            await pilot.click("#wait")
            await wait_until(pilot, lambda: bool(uv_pids_for(fresh_env.cache)), timeout=30)
            await pilot.press("ctrl+q")
            await wait_until(pilot, lambda: not uv_pids_for(fresh_env.cache), timeout=30)
        assert app.return_code in (None, 0)

    try:
        run(body)
    finally:
        holder.terminate()
        holder.wait(10)
    assert [line["status"] for line in audit_lines(state_dir)] == ["started", "interrupted"]
    assert tree_signature(fresh_env.cache) == signature
