"""The BuildKit section of the TUI against real Docker engines (no mocks).

Engines come from `scripts/test-docker.sh start` (see tests/dockerenv.py); the docker tests
skip without them unless UVCACHE_TUI_REQUIRE_DOCKER=1. The unreachable and slow cases need
no engine: a socket path that does not exist, and a real socket that never answers.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static
from textual.widgets._toast import Toast
from textual.widgets.tree import TreeNode

from tests import dockerenv
from tests.core.buildkit.scenarios import (
    TARGETS_16180,
    build_16180,
    build_mounts,
    build_one_mount,
    default_builder,
    mounts_with,
)
from tests.dockerenv import Engine, Tracker, base_environ, wait_for
from tests.tui.conftest import main_screen, make_app, run, settle
from tests.tui.test_app import plain, wait_until
from tests.uvcache_factory import UvEnv
from uvcache_tui.core.buildkit.engine import describe_prune_call, parse_system_df
from uvcache_tui.core.buildkit.prune import (
    MODE_ALL,
    PlanItem,
    PrunePlan,
    PruneRequest,
    PruneResult,
)
from uvcache_tui.core.buildkit.records import (
    CACHE_MOUNT_TYPE,
    FLAG_UNEXPANDED,
    SIZE_NOTE,
    BuilderInfo,
    cache_mounts,
)
from uvcache_tui.core.buildkit.texts import true_size
from uvcache_tui.core.words import counted
from uvcache_tui.tui.buildkit.prune_screen import BuildkitPruneScreen
from uvcache_tui.tui.buildkit.rows import LOADING, BuilderItem, MountItem, StatusItem
from uvcache_tui.tui.buildkit.tree import BuildkitLocationsTree
from uvcache_tui.tui.buildkit.view import BuildkitView
from uvcache_tui.tui.config import READ_ONLY_NOTICE
from uvcache_tui.tui.messages import ScanFinished
from uvcache_tui.tui.screens.main import MainScreen
from uvcache_tui.tui.widgets.cache_view import CacheHeader

SIZE = (120, 40)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "buildkit"
NOT_REACHABLE = "Docker: not reachable — "


# --- helpers ----------------------------------------------------------------------------


def section_of(pilot: Pilot[Any]) -> BuildkitLocationsTree:
    return main_screen(pilot).locations_tree


def top_rows(section: BuildkitLocationsTree) -> list[TreeNode[object]]:
    return list(section.buildkit_branch.children)


def mount_nodes(section: BuildkitLocationsTree, marker: str) -> list[TreeNode[object]]:
    """Mount rows whose record's description holds `marker` (the test's token)."""
    return [
        node
        for node in section.buildkit_rows()
        if isinstance(node.data, MountItem) and marker in node.data.mount.description
    ]


def builder_node(section: BuildkitLocationsTree, name: str) -> TreeNode[object]:
    (node,) = [
        node
        for node in top_rows(section)
        if isinstance(node.data, BuilderItem) and node.data.builder.name == name
    ]
    return node


M = TypeVar("M", bound=Message)


def posted(seen: list[Message], kind: type[M]) -> list[M]:
    """The messages of one kind a `message_hook` saw, each once (it sees one per node a
    message bubbles through)."""
    unique = {id(message): message for message in seen if isinstance(message, kind)}
    return list(unique.values())


def view_text(pilot: Pilot[Any]) -> str:
    return plain(main_screen(pilot).query_one("#buildkit-body", Static))


async def move_to(pilot: Pilot[Any], node: TreeNode[object]) -> None:
    """Walk the sidebar cursor to `node` with the arrow keys, as a user would."""
    tree = main_screen(pilot).locations_tree
    tree.focus()
    await pilot.pause()
    for _ in range(80):
        if tree.cursor_node is node:
            await pilot.pause()
            return
        await pilot.press("down" if tree.cursor_line < node.line else "up")
    raise AssertionError(f"could not reach {node.label}")


def docker_app(env: UvEnv, docker: dict[str, str], **kwargs: Any) -> Any:
    return make_app(env, docker_env=docker, docker_timeout=kwargs.pop("timeout", 20), **kwargs)


def nowhere_env(directory: Path) -> dict[str, str]:
    """DOCKER_HOST at a socket that does not exist, an empty DOCKER_CONFIG."""
    env = base_environ()
    env["DOCKER_HOST"] = f"unix://{directory / 'missing' / 'docker.sock'}"
    env["DOCKER_CONFIG"] = str(directory / "docker-config")
    return env


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short directory for unix sockets (their paths are limited to ~107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="uvct-") as name:
        yield Path(name)


# --- Docker unreachable or slow: one row, local views unaffected ----------------------------


def test_unreachable_docker_is_one_row_and_local_views_work(
    shared_env: UvEnv, short_dir: Path
) -> None:
    docker = nowhere_env(short_dir)
    missing = docker["DOCKER_HOST"].removeprefix("unix://")

    async def body() -> None:
        app = docker_app(shared_env, docker, timeout=5)
        seen: list[Message] = []
        async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
            await settle(pilot)
            screen = main_screen(pilot)
            section = section_of(pilot)
            (row,) = top_rows(section)
            assert str(row.label).startswith(NOT_REACHABLE)
            assert isinstance(row.data, StatusItem)
            assert (
                row.data.message == f"{NOT_REACHABLE}no socket at {missing} (engine not running?)"
            )
            # the local cache is selected and its header has its totals
            cache = str(shared_env.cache)
            assert screen.selected_path == cache
            header = plain(screen.query_one(CacheHeader))
            assert cache in header and "allocated" in header and "reclaimable" in header
            # the row's details give the whole reason; d/D are not offered there
            await move_to(pilot, row)
            assert screen.query_one("#detail-switcher").current == "buildkit-view"  # type: ignore[attr-defined]
            text = view_text(pilot)
            assert f"no socket at {missing}" in text and "Local caches are not affected" in text
            assert section.check_action("prune_mount", ()) is False
            assert section.check_action("prune_builder", ()) is False
            highlighted = [m for m in seen if isinstance(m, BuildkitLocationsTree.RowHighlighted)]
            assert highlighted and highlighted[-1].item == row.data
            # r on the row reads Docker again (and only Docker): still one row
            seen.clear()
            await pilot.press("r")
            await settle(pilot)
            assert len(posted(seen, BuildkitLocationsTree.Loaded)) == 1
            assert not posted(seen, ScanFinished)
            (row,) = top_rows(section)
            assert str(row.label).startswith(NOT_REACHABLE)
            # back on the local cache, its view is there again, and r rescans it
            await move_to(pilot, screen.locations_tree.node_for(cache))  # type: ignore[arg-type]
            assert screen.query_one("#detail-switcher").current == "cache-view"  # type: ignore[attr-defined]
            assert "allocated" in plain(screen.query_one(CacheHeader))
            seen.clear()
            await pilot.press("r")
            await settle(pilot)
            assert [m.path for m in posted(seen, ScanFinished)] == [cache]
            assert not posted(seen, BuildkitLocationsTree.Loaded)

    run(body)


def test_slow_docker_never_blocks_the_local_views(shared_env: UvEnv, short_dir: Path) -> None:
    """An engine socket that accepts but never answers: the local cache shows meanwhile."""
    path = short_dir / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)  # connections complete in the backlog; nothing ever answers
    docker = nowhere_env(short_dir)
    docker["DOCKER_HOST"] = f"unix://{path}"
    docker["PATH"] = os.defpath  # no docker CLI: one Engine API call, one timeout
    docker["UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT"] = "12"

    async def body() -> None:
        # Docker's timeout well above the local scan's time, even on a loaded machine
        # (the scan's worker interpreters start slowly there): the test is about the order.
        app = docker_app(shared_env, docker, timeout=12)
        async with app.run_test(size=SIZE) as pilot:
            screen = main_screen(pilot)
            section = section_of(pilot)
            cache = str(shared_env.cache)

            def local_shown() -> bool:
                state = screen.states.get(cache)
                return state is not None and state.model is not None

            await wait_until(pilot, local_shown, timeout=11)
            await pilot.pause()
            assert section.reading, "the local cache should not have waited for Docker"
            (row,) = top_rows(section)
            assert isinstance(row.data, StatusItem) and row.data.title == LOADING
            assert "allocated" in plain(screen.query_one(CacheHeader))
            await pilot.press("2")  # the local views keep working meanwhile
            await pilot.pause()
            assert screen.cache_view.tabs.active == "packages"
            await wait_until(pilot, lambda: not section.reading, timeout=30)
            await pilot.pause()
            (row,) = top_rows(section)
            assert str(row.label).startswith(NOT_REACHABLE)
            assert isinstance(row.data, StatusItem)
            assert "within 12s" in (row.data.message or "")

    try:
        run(body)
    finally:
        server.close()


# --- real engines -------------------------------------------------------------------------


@pytest.mark.docker
def test_builder_and_uv_mount_listed_and_explained(
    tracked: Tracker, tmp_path: Path, shared_env: UvEnv
) -> None:
    """#16180's Dockerfile: modern engines expand the target (a plain uv mount), 20.10
    leaves `${UV_CACHE_DIR}` in it (flagged and explained)."""
    engine = tracked.engine
    tok, _ = build_16180(tracked, tmp_path / "ctx")
    (mount,) = wait_for(lambda: mounts_with(default_builder(engine), tok), "the mount listed")
    expected_target = TARGETS_16180[1] if engine.legacy else TARGETS_16180[0]
    assert mount.target == expected_target

    async def body() -> None:
        app = docker_app(shared_env, engine.env())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            section = section_of(pilot)
            builder = builder_node(section, "default")
            label = str(builder.label)
            assert "default" in label and "docker" in label
            (node,) = mount_nodes(section, tok)
            assert node.parent is builder
            item = node.data
            assert isinstance(item, MountItem)
            assert item.mount.id == mount.id and item.mount.kind == "uv"
            mount_label = str(node.label)
            # measured on disk by the branch's load worker: the true size, not BuildKit's
            assert item.on_disk is not None and item.on_disk.size is not None
            assert "uv" in mount_label and mount_label.endswith(true_size(item.on_disk))
            if engine.legacy:
                assert mount_label.startswith("!") and item.mount.flags == (FLAG_UNEXPANDED,)
            else:
                assert item.mount.flags == ()

            await move_to(pilot, node)
            screen = main_screen(pilot)
            assert screen.selected_path is None
            assert screen.query_one("#detail-switcher").current == "buildkit-view"  # type: ignore[attr-defined]
            text = view_text(pilot)
            assert mount.id in text and expected_target in text
            assert f"echo {tok}" in text  # the command, parsed from the description
            assert SIZE_NOTE in text
            assert "It is not in" in text and "the image" in text
            assert "Why `uv sync` may download again" in text
            if engine.legacy:
                assert f"! {FLAG_UNEXPANDED}" in text
                assert "Engine < 23" in text and "image layer" in text
                assert "not in the description" in text  # no ` with id` before BuildKit 0.12
            else:
                assert FLAG_UNEXPANDED not in text
                assert "Cache id" in text and "/application/cache/uv" in text
            assert section.check_action("prune_mount", ()) is True

            await move_to(pilot, builder)
            text = view_text(pilot)
            assert "Builder default" in text and "Engine" in text
            assert f"API {engine.api_version}" in text
            assert mount.id in text  # the builder's mounts table
            assert "cache mounts" in text and SIZE_NOTE in text.replace("\n", " ").replace(
                "  ", " "
            )
            if not engine.legacy:  # Engine 28's default policy: its limits on three rules
                words = " ".join(text.split())
                assert "for 3 rules: unused 2 months, then any age, then all" in words
                assert words.count("reserved ") == 1, words

    run(body)


@pytest.mark.docker
def test_prune_one_mount_from_the_tui(tracked: Tracker, tmp_path: Path, shared_env: UvEnv) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()

    async def body() -> None:
        app = docker_app(shared_env, engine.env())
        seen: list[Message] = []
        async with app.run_test(size=SIZE, notifications=True, message_hook=seen.append) as pilot:
            await settle(pilot)
            section = section_of(pilot)
            (node,) = [
                n
                for n in mount_nodes(section, mounts.token)
                if isinstance(n.data, MountItem) and n.data.mount.id == mounts.pip.id
            ]
            await move_to(pilot, node)
            await pilot.press("d")
            await wait_until(pilot, lambda: isinstance(app.screen, BuildkitPruneScreen))
            await pilot.pause()
            preview = app.screen
            assert isinstance(preview, BuildkitPruneScreen)
            (planned,) = posted(seen, BuildkitLocationsTree.Planned)
            assert planned.plan is preview.plan
            assert [i.mount.id for i in planned.plan.to_delete] == [mounts.pip.id]
            table = preview.query_one("#bk-prune-entries", DataTable)
            rows = [table.get_row_at(i) for i in range(table.row_count)]
            assert [(r[0], r[1], r[2]) for r in rows] == [("delete", mounts.pip.id, "pip")]
            calls = plain(preview.query_one("#bk-prune-calls", Static))
            assert "/build/prune?filters=" in calls and f"^{mounts.pip.id}$" in calls
            assert "exec.cachemount" in calls
            assert not preview.query_one("#run", Button).disabled
            await pilot.click("#run")
            # the dialog stays up and shows the result itself (no toast)
            await wait_until(pilot, lambda: preview.result is not None, timeout=60)
            await pilot.pause()
            status = plain(preview.query_one("#bk-prune-status", Static))
            assert (
                status.split(",")[0].rstrip(".") == "Deleted 1 record" and mounts.pip.id in status
            )
            assert not preview.query_one("#run", Button).display
            assert str(preview.query_one("#cancel", Button).label) == "Close"
            assert_dialog_uncovered(preview)
            await pilot.click("#cancel")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
            await wait_until(
                pilot,
                lambda: (
                    not section.reading and not mount_nodes(section, f"echo {mounts.token} pip")
                ),
                timeout=30,
            )
            await settle(pilot)
            left = {
                n.data.mount.id
                for n in mount_nodes(section, mounts.token)
                if isinstance(n.data, MountItem)
            }
            assert left == {mounts.own.id, mounts.apt.id}
            (pruned,) = posted(seen, BuildkitLocationsTree.Pruned)
            assert pruned.result is section.last_result
            assert pruned.result.deleted == (mounts.pip.id,)
            assert not [n for n in app._notifications if "Deleted" in n.message]

            # the next dialog: a toast that is up when it opens is not drawn over it
            app.notify("a message from elsewhere " * 8, timeout=120)
            await pilot.pause()
            await move_to(pilot, builder_node(section, "default"))
            await pilot.press("D")
            await wait_until(pilot, lambda: isinstance(app.screen, BuildkitPruneScreen))
            await pilot.pause()
            assert isinstance(app.screen, BuildkitPruneScreen)
            assert_dialog_uncovered(app.screen)
            await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

    run(body)
    assert engine.record_ids() == before - {mounts.pip.id}


@pytest.mark.docker
def test_D_leaves_a_mount_created_after_the_preview(
    tracked: Tracker, tmp_path: Path, shared_env: UvEnv
) -> None:
    """D previews the builder's mounts; a build creates another one while the dialog is
    up; Run deletes exactly the previewed ones, and the dialog reports the new one."""
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")

    async def body() -> None:
        app = docker_app(shared_env, engine.env())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            section = section_of(pilot)
            await move_to(pilot, builder_node(section, "default"))
            await pilot.press("D")
            await wait_until(pilot, lambda: isinstance(app.screen, BuildkitPruneScreen), 60)
            await pilot.pause()
            preview = app.screen
            assert isinstance(preview, BuildkitPruneScreen)
            planned = [i.mount.id for i in preview.plan.to_delete]
            assert mounts.ids <= set(planned)
            calls = plain(preview.query_one("#bk-prune-calls", Static))
            assert all(f'"id":["^{i}$"]' in calls for i in planned)
            assert '{"type":["exec.cachemount"]}' not in calls
            note = plain(preview.query_one("#bk-prune-note", Static))
            assert "created after this preview are not named" in note
            late = build_one_mount(tracked, tmp_path / "late")
            before = engine.record_ids()
            await pilot.click("#run")
            await wait_until(pilot, lambda: preview.result is not None, timeout=120)
            await pilot.pause()
            result = preview.result
            assert result is not None
            assert sorted(result.deleted) == sorted(planned) and late in result.appeared
            status = plain(preview.query_one("#bk-prune-status", Static))
            assert f"left alone (appeared after the preview, not requested): {late}" in status
            assert engine.record_ids() == before - set(planned)
            await pilot.click("#cancel")
            await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
            await settle(pilot)

    run(body)


@pytest.mark.docker
def test_prune_builder_preview_cancel_and_read_only(
    docker_env: dockerenv.DockerEnv, tmp_path: Path, shared_env: UvEnv
) -> None:
    """D previews every cache mount of the builder; Cancel deletes nothing; --read-only
    offers neither key."""
    engine: Engine = docker_env.modern
    tracker = Tracker(engine=engine, before=engine.record_ids())
    try:
        mounts = build_mounts(tracker, tmp_path / "ctx")
        before = engine.record_ids()

        async def body() -> None:
            app = docker_app(shared_env, engine.env())
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                section = section_of(pilot)
                await move_to(pilot, builder_node(section, "default"))
                assert section.check_action("prune_mount", ()) is False
                await pilot.press("D")
                await wait_until(pilot, lambda: isinstance(app.screen, BuildkitPruneScreen))
                await pilot.pause()
                preview = app.screen
                assert isinstance(preview, BuildkitPruneScreen)
                table = preview.query_one("#bk-prune-entries", DataTable)
                planned = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
                assert mounts.ids <= planned
                assert "all cache mounts of builder default" in plain(
                    preview.query_one("#bk-prune-title", Static)
                )
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
                await settle(pilot)

            read_only = docker_app(shared_env, engine.env(), read_only=True)
            seen: list[Message] = []
            async with read_only.run_test(size=SIZE, message_hook=seen.append) as pilot:
                await settle(pilot)
                section = section_of(pilot)
                (node, *_) = mount_nodes(section, mounts.token)
                await move_to(pilot, node)
                assert section.check_action("prune_mount", ()) is False
                assert section.check_action("prune_builder", ()) is False
                for key in ("d", "D"):
                    read_only.clear_notifications()
                    await pilot.press(key)
                    await settle(pilot)  # a plan worker, had one started, has posted by now
                    said = [n for n in read_only._notifications if n.message == READ_ONLY_NOTICE]
                    assert len(said) == 1 and said[0].title == "Read-only", key
                assert not posted(seen, BuildkitLocationsTree.Planned)
                assert isinstance(read_only.screen, MainScreen)
                assert "d prune this mount" not in view_text(pilot)

        run(body)
        assert engine.record_ids() == before
    finally:
        tracker.cleanup()


# --- notifications never cover a dialog --------------------------------------------------------


def assert_dialog_uncovered(screen: BuildkitPruneScreen) -> None:
    """Every cell of the dialog shows the dialog (no toast drawn over it), and the buttons
    that are displayed are what is at their own centre."""
    box = screen.query_one("#bk-prune-box")
    region = box.region
    assert region.width > 0 and region.height > 0
    for y in range(region.y, region.y + region.height):
        for x in range(region.x, region.x + region.width):
            widget, _ = screen.get_widget_at(x, y)
            assert widget is box or box in widget.ancestors, (x, y, widget)
    for button in screen.query(Button):
        if button.display:
            x, y = button.region.center
            assert screen.get_widget_at(x, y)[0] is button


def recorded_plan() -> PrunePlan:
    """A plan for every cache mount of the recorded 20.10 builder (no engine needed)."""
    builder = recorded_legacy_builder()
    requests = []
    for mount in builder.mounts:
        filters = {"id": f"^{mount.id}$", "type": CACHE_MOUNT_TYPE}
        call = describe_prune_call(builder.api_version, filters, False)
        requests.append(PruneRequest(tuple(filters.items()), False, call, (mount.id,)))
    return PrunePlan(
        builder=builder,
        mode=MODE_ALL,
        items=tuple(PlanItem(m, "delete") for m in builder.mounts),
        requests=tuple(requests),
    )


class DialogApp(App[None]):
    """An empty main screen that can open the prune dialog."""

    def compose(self) -> ComposeResult:
        yield Static("main screen", id="main")


def test_toasts_are_not_drawn_over_the_prune_dialog() -> None:
    async def body() -> None:
        app = DialogApp()
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            for index in range(4):
                app.notify(f"message {index}: " + "long text " * 12, timeout=120)
            await pilot.pause()
            main = app.screen
            dialog = BuildkitPruneScreen(recorded_plan(), on_run=lambda: None)
            await app.push_screen(dialog)
            await pilot.pause()
            await pilot.pause()
            assert app.screen is dialog
            assert_dialog_uncovered(dialog)
            app.notify("a message that comes while the dialog is up", timeout=120)
            await pilot.pause()
            await pilot.pause()
            assert_dialog_uncovered(dialog)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.pause()
            # the toasts were hidden, not lost: they are drawn again on the main screen
            assert app.screen is main
            shown = [t for t in main.query(Toast) if t.region.area > 0]
            assert len(shown) == 5

    run(body)


def test_dialog_asks_its_owner_to_run_and_shows_what_it_hands_back() -> None:
    """Run starts the prune through `on_run` once (the sidebar owns the worker); the dialog
    waits with both buttons off, then shows the result it is given and offers Close."""
    runs: list[int] = []
    closed: list[PruneResult | None] = []

    async def body() -> None:
        app = DialogApp()
        async with app.run_test(size=SIZE) as pilot:
            dialog = BuildkitPruneScreen(recorded_plan(), on_run=lambda: runs.append(1))
            await app.push_screen(dialog, closed.append)
            await pilot.pause()
            await pilot.click("#run")
            await pilot.press("escape", "enter")  # neither cancels nor runs it twice
            await pilot.pause()
            assert runs == [1] and dialog.running and app.screen is dialog
            assert dialog.query_one("#run", Button).disabled
            assert dialog.query_one("#cancel", Button).disabled
            deleted = tuple(m.id for m in dialog.plan.builder.mounts)
            dialog.show_result(PruneResult(plan=dialog.plan, deleted=deleted))
            await pilot.pause()
            status = plain(dialog.query_one("#bk-prune-status", Static))
            assert status.startswith(f"Deleted {counted(len(deleted), 'record')}")
            assert str(dialog.query_one("#cancel", Button).label) == "Close"
            await pilot.click("#cancel")
            await pilot.pause()
            assert [r.deleted if r else None for r in closed] == [deleted]

    run(body)


def test_section_messages_wait_for_the_dialog_to_close(shared_env: UvEnv) -> None:
    async def body() -> None:
        app = make_app(shared_env)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await settle(pilot)
            section = section_of(pilot)
            await app.push_screen(BuildkitPruneScreen(recorded_plan()))
            await pilot.pause()
            section.tell("BuildKit says something", timeout=60)
            await pilot.pause()
            assert not [n for n in app._notifications if n.message == "BuildKit says something"]
            await pilot.press("escape")
            await pilot.pause()
            await pilot.pause()
            assert isinstance(app.screen, MainScreen)
            assert [n for n in app._notifications if n.message == "BuildKit says something"]

    run(body)


# --- snapshot: a recorded 20.10 record, fixed clock ---------------------------------------------


def recorded_legacy_builder() -> BuilderInfo:
    """The records `scripts/test-docker.sh record-fixtures` saved from Engine 20.10."""
    records = parse_system_df(json.loads((FIXTURES / "api-1.41-system-df.json").read_text()))
    assert records is not None
    return BuilderInfo(
        name="default",
        driver="docker",
        endpoint="default",
        status="running",
        buildkit_version="v0.8+unknown",
        current=True,
        source="engine-api",
        context="default",
        host="unix:///var/run/docker.sock",
        api_version="1.41",
        engine_version="20.10.24+dfsg1",
        records=records,
        mounts=cache_mounts(records),
        listed=True,
    )


class MountViewApp(App[None]):
    """Just the BuildKit detail view, fed a recorded record and a fixed clock: the mount's
    details, or (`builder=True`) the builder's."""

    def __init__(self, builder: bool = False) -> None:
        super().__init__()
        self.builder = builder

    def compose(self) -> ComposeResult:
        yield BuildkitView(id="buildkit-view")

    def on_mount(self) -> None:
        builder = recorded_legacy_builder()
        (mount,) = [m for m in builder.mounts if FLAG_UNEXPANDED in m.flags]
        assert mount.last_used_at is not None
        now = mount.last_used_at + timedelta(minutes=5)
        if self.builder:
            self.query_one(BuildkitView).show_builder(builder, now=now)
        else:
            self.query_one(BuildkitView).show_mount(builder, mount, now=now)


SNAPSHOT_TERMINALS = {"120x40": (120, 40), "80x24": (80, 24)}


@pytest.mark.parametrize("terminal", list(SNAPSHOT_TERMINALS))
def test_mount_view_snapshot(snap_compare: Callable[..., bool], terminal: str) -> None:
    assert snap_compare(MountViewApp(), terminal_size=SNAPSHOT_TERMINALS[terminal])


@pytest.mark.parametrize("terminal", list(SNAPSHOT_TERMINALS))
def test_builder_view_snapshot(snap_compare: Callable[..., bool], terminal: str) -> None:
    app = MountViewApp(builder=True)
    assert snap_compare(app, terminal_size=SNAPSHOT_TERMINALS[terminal])
