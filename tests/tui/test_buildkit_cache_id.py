"""Two cache mounts at one target, told apart by their cache id: in the sidebar, the builder's
mount table, the mount's view, the prune preview (TUI and CLI) and `buildkit ls`, against the
real modern engine (Engine 20.10 does not print the id in the record's description)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests import dockerenv
from tests.cli.test_cli_buildkit import cli
from tests.core.buildkit.scenarios import default_builder, mounts_with
from tests.dockerenv import Engine, Tracker, token, wait_for
from tests.tui.conftest import run, settle
from tests.tui.test_app import wait_until
from tests.tui.test_buildkit_tui import (
    SIZE,
    docker_app,
    mount_nodes,
    move_to,
    section_of,
    view_text,
)
from tests.uvcache_factory import UvEnv
from uvcache_tui.core.buildkit.records import CacheMountRecord
from uvcache_tui.tui.buildkit.prune_screen import BuildkitPruneScreen
from uvcache_tui.tui.buildkit.rows import MountItem
from uvcache_tui.tui.screens.main import MainScreen

TARGET = "/root/.cache/uv"
DOCKERFILE = """\
FROM {busybox}
RUN --mount=type=cache,id={token}-py311,target=/root/.cache/uv echo {token} a > /root/.cache/uv/f
RUN --mount=type=cache,id={token}-py312,target=/root/.cache/uv echo {token} b > /root/.cache/uv/f
"""


def build_same_target(tracker: Tracker, directory: Path) -> tuple[str, list[CacheMountRecord]]:
    """Two mounts at TARGET with ids `<token>-py311` and `<token>-py312`."""
    engine: Engine = tracker.engine
    tok = token()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(
        DOCKERFILE.format(busybox=engine.busybox_image, token=tok)
    )
    tag = f"uvct-same-target-{tok}"
    tracker.images.append(tag)
    engine.build(directory, tag=tag)
    found: list[CacheMountRecord] = wait_for(
        lambda: m if len(m := mounts_with(default_builder(engine), tok)) == 2 else None,
        "both mounts listed",
        timeout=30,
    )
    return tok, sorted(found, key=lambda m: m.cache_id or "")


@pytest.mark.docker
def test_mounts_at_one_target_show_their_cache_ids(
    docker_env: dockerenv.DockerEnv, tmp_path: Path, shared_env: UvEnv
) -> None:
    engine = docker_env.modern
    tracker = Tracker(engine=engine, before=engine.record_ids())
    try:
        tok, mounts = build_same_target(tracker, tmp_path / "ctx")
        ids = [f"{tok}-py311", f"{tok}-py312"]
        assert [m.cache_id for m in mounts] == ids
        assert {m.target for m in mounts} == {TARGET}

        async def body() -> None:
            app = docker_app(shared_env, engine.env())
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot)
                section = section_of(pilot)
                nodes = mount_nodes(section, tok)
                labels = {}
                for node in nodes:
                    assert isinstance(node.data, MountItem)
                    labels[node.data.mount.cache_id] = str(node.label)
                # the rows differ, each by the end of its own id
                assert labels[ids[0]] != labels[ids[1]]
                assert "py311" in labels[ids[0]] and "py312" in labels[ids[1]]

                node = next(n for n in nodes if n.data.mount.cache_id == ids[1])  # type: ignore[union-attr]
                await move_to(pilot, node)
                text = view_text(pilot)
                assert f"{TARGET} id={ids[1]}" in text  # the mount's title

                await move_to(pilot, node.parent)  # type: ignore[arg-type]
                words = " ".join(view_text(pilot).split())
                for cache_id in ids:  # the builder's mount table
                    assert f"id={cache_id}" in words, words

                await move_to(pilot, node)
                await pilot.press("d")
                await wait_until(pilot, lambda: isinstance(app.screen, BuildkitPruneScreen))
                await pilot.pause()
                preview = app.screen
                assert isinstance(preview, BuildkitPruneScreen)
                table = preview.query_one("#bk-prune-entries", DataTable)
                target = [str(c.label) for c in table.ordered_columns].index("Target")
                targets = [str(table.get_row_at(i)[target]) for i in range(table.row_count)]
                assert targets == [f"{TARGET} id={ids[1]}"]
                await pilot.press("escape")
                await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))

        run(body)
        listing = cli("ls", env=engine.env())
        assert listing.returncode == 0, listing.stderr
        for cache_id in ids:  # the CACHE ID column
            assert cache_id in listing.stdout
        preview = cli("prune", mounts[0].id, "--dry-run", env=engine.env())
        assert preview.returncode == 0, preview.stderr
        assert f"{TARGET} id={ids[0]}" in preview.stdout
        assert ids[1] not in preview.stdout
    finally:
        tracker.cleanup()
