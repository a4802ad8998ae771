"""The fast path on both real engines: a mount filled by a real `uv sync` opens as a cache,
its true size equals `du -sB1`, and nothing is asked of BuildKit (no usage bumped)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.buildkit.scenarios import settle
from tests.core.buildkit.uv_mounts import PACKAGE, UvMounts, build_uv_mounts, usage
from tests.dockerenv import Engine, Tracker
from tests.uvcache_factory import du_bytes
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.mount_cache import open_mount_on_disk
from uvcache_tui.core.buildkit.ondisk import (
    engine_storage,
    measure_report,
    mount_directory,
    storage_from_info,
)
from uvcache_tui.core.buildkit.records import (
    CACHE_MOUNT_TYPE,
    BuildCacheRecord,
    BuilderInfo,
    mount_from_record,
)
from uvcache_tui.core.buildkit.select import resolve_mount
from uvcache_tui.core.buildkit.texts import true_size

pytestmark = pytest.mark.docker


@pytest.fixture
def uv_mounts(tracked: Tracker, tmp_path: Path) -> UvMounts:
    mounts = build_uv_mounts(tracked, tmp_path / "ctx")
    for mount in (mounts.plain, mounts.own, mounts.empty, mounts.own_empty, mounts.pip):
        settle(tracked.engine, mount.id, min_age=0)
    return mounts


def test_uv_mounts_open_through_the_fast_path(tracked: Tracker, uv_mounts: UvMounts) -> None:
    engine = tracked.engine
    before = {m.id: usage(engine, m.id) for m in (uv_mounts.plain, uv_mounts.own)}
    report = list_builders(timeout=30, env=engine.env())
    table = table_for("0.13.9")
    for mount, layout in ((uv_mounts.plain, "/diff"), (uv_mounts.own, "/diff/cache")):
        opened = open_mount_on_disk(resolve_mount(report, mount.id, "default"), table, timeout=30)
        assert opened.message is None, opened.message
        assert opened.model is not None
        path = opened.on_disk.path
        assert path is not None and path.endswith(f"/{mount.id}{layout}")
        assert opened.model.totals.allocated == du_bytes(path)
        assert opened.on_disk.size is not None
        assert opened.on_disk.size.allocated == du_bytes(path)
        assert PACKAGE in {p.name for p in opened.model.packages}
        assert opened.model.cachedir_tag.valid
    time.sleep(2)  # BuildKit updates usage asynchronously: give a bump time to show
    after = {m.id: usage(engine, m.id) for m in (uv_mounts.plain, uv_mounts.own)}
    assert after == before


def test_empty_and_non_uv_mounts_say_so(tracked: Tracker, uv_mounts: UvMounts) -> None:
    report = list_builders(timeout=30, env=tracked.engine.env())
    table = table_for("0.13.9")
    for mount in (uv_mounts.empty, uv_mounts.own_empty):
        empty = open_mount_on_disk(resolve_mount(report, mount.id), table, timeout=30)
        assert empty.model is None
        assert empty.message is not None and "empty" in empty.message
        assert empty.on_disk.path is not None and os.listdir(empty.on_disk.path) == []
        assert empty.on_disk.size is not None
        assert empty.on_disk.size.allocated == du_bytes(empty.on_disk.path)
    pip = open_mount_on_disk(resolve_mount(report, uv_mounts.pip.id), table, timeout=30)
    assert pip.model is None
    assert pip.message is not None and pip.message.startswith("Not a uv cache")
    assert pip.on_disk.size is not None
    # BuildKit counts file bytes (inodes once, no directories), as the fast path does
    assert pip.on_disk.size.files_apparent == len(f"{uv_mounts.token}\n")


def test_measure_report_and_ls_json(tracked: Tracker, uv_mounts: UvMounts) -> None:
    engine = tracked.engine
    report = list_builders(timeout=30, env=engine.env())
    measured = measure_report(report, timeout=30)
    plain = measured[("default", uv_mounts.plain.id)]
    assert plain.size is not None and plain.path is not None
    assert plain.size.allocated == du_bytes(plain.path)
    done = subprocess.run(
        [sys.executable, "-m", "uvcache_tui", "buildkit", "ls", "--json"],
        env=engine.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    document = json.loads(done.stdout)
    (builder,) = document["builders"]
    mounts = {m["id"]: m for m in builder["mounts"]}
    shown = mounts[uv_mounts.plain.id]
    assert shown["true_size_source"] == "on-disk"
    assert shown["on_disk_path"] == plain.path
    assert shown["true_size_bytes"] == du_bytes(plain.path)
    assert shown["size_stale"] is (shown["size_bytes"] != plain.size.files_apparent)
    assert shown["on_disk_note"] is None
    text = subprocess.run(
        [sys.executable, "-m", "uvcache_tui", "buildkit", "ls"],
        env=engine.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    (row,) = [line for line in text.splitlines() if line.strip().startswith(uv_mounts.plain.id)]
    assert "ON DISK" in text and f"  {true_size(plain)}  " in row


def test_fast_path_refusals(engine: Engine, tmp_path: Path) -> None:
    """Each reason the fast path gives up, on the real engine's own `docker info`."""
    api = engine.client()
    try:
        info = api.info()
    finally:
        api.close()
    assert storage_from_info(info).reason is None
    assert "not overlay2" in str(storage_from_info({**info, "Driver": "vfs"}).reason)
    snapshotter = {
        **info,
        "Driver": "overlayfs",
        "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]],
    }
    assert "containerd image store" in str(storage_from_info(snapshotter).reason)
    elsewhere = {**info, "DockerRootDir": str(tmp_path / "not-here")}
    assert "not on this machine" in str(storage_from_info(elsewhere).reason)
    report = list_builders(timeout=30, env=engine.env())
    (builder,) = report.builders
    remote = BuilderInfo(**{**builder.__dict__, "host": "tcp://192.0.2.1:2376"})
    assert engine_storage(remote, 5).reason == "the engine is remote (tcp://192.0.2.1:2376)"
    container = BuilderInfo(name="ci", driver="docker-container", listed=True)
    assert "inside the builder" in str(engine_storage(container, 5).reason)
    local = engine_storage(builder, 30)
    assert local.reason is None and local.data_root == info["DockerRootDir"]
    gone = mount_from_record(
        BuildCacheRecord(
            id="z" * 25, type=CACHE_MOUNT_TYPE, description="cached mount /x from exec true"
        )
    )
    assert "no layer" in str(mount_directory(local, gone).note)


def test_not_root_is_refused(engine: Engine) -> None:
    """An unprivileged user gets the reason, not an error (the data root is root's)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to nobody")
    api = engine.client()
    try:
        info = api.info()
    finally:
        api.close()
    code = (
        "import json,sys; from uvcache_tui.core.buildkit.ondisk import storage_from_info; "
        "print(storage_from_info(json.loads(sys.stdin.read())).reason)"
    )
    done = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable]
        + ["-c", code],
        input=json.dumps(info),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[3],
    )
    if done.returncode != 0 and "Permission denied" in done.stderr:
        pytest.skip(f"nobody cannot run this checkout's Python: {done.stderr.strip()[-200:]}")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("permission denied on "), done.stdout
