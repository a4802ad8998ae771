"""Open, export and import a cache mount filled by a real `uv sync`, on both engines.

Every read, export and import must leave the builder's record set as it was (the helper's
own records are pruned by anchored ID), and the mount read by the helper build must be the
same cache as the one on disk.
"""

from __future__ import annotations

import os
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.core.buildkit.transfer_scenarios import UvMount, build_uv_mount, consume, mount_records
from tests.dockerenv import Engine, Tracker
from uvcache_tui.core.buckets import newest_writer, table_for
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.helper_build import (
    HelperImageMissing,
    NoSuchKey,
    run_reader,
)
from uvcache_tui.core.buildkit.mountref import (
    KeyOptions,
    LocatedMount,
    candidate_keys,
    locate_mount,
    ready_builder,
)
from uvcache_tui.core.buildkit.transfer import (
    export_mount,
    import_source,
    manifest_path,
    open_mount,
    prepare_source,
)
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.report import cache_json

pytestmark = pytest.mark.docker


def new_records(engine: Engine, before: set[str], mine: str | None = None) -> list[dict[str, Any]]:
    """Records a helper build could have left since `before`: anything carrying a helper's
    nonce (`uvcache-tui-…`) and any new cache mount that is not another test's (their
    commands carry a `uvct…` token other than `mine`). Other agents build on these engines
    at the same time, so unrelated new layers and contexts are not counted here; that the
    helper's own `local source` records went is checked through its cleanup result."""
    found = []
    for record in engine.records():
        text = record["Description"]
        if record["ID"] in before:
            continue
        foreign = "uvct" in text and not (mine and mine in text)
        if "uvcache-tui-" in text or (record["Type"] == "exec.cachemount" and not foreign):
            found.append(record)
    return found


def gone(engine: Engine, cleanup: Any) -> None:
    """Every record the helper's cleanup pruned is gone and none was left."""
    assert cleanup.left == () and cleanup.errors == ()
    assert cleanup.pruned and not set(cleanup.pruned) & engine.record_ids()


def model_view(path: str) -> dict[str, Any]:
    """What must agree between two copies of one cache: totals, buckets, packages."""
    names = os.listdir(path)
    document = cache_json(load_cache(path, table_for(newest_writer(names))))
    return {key: document[key] for key in ("totals", "buckets", "packages")}


def located(mount: UvMount) -> tuple[LocatedMount, tuple[CacheKey, ...]]:
    where = locate_mount(mount.record_id, env=mount.engine.env(), timeout=30)
    # Engine 20.10 prints no id, so the explicit one is given (as a user would, --id)
    return where, candidate_keys(where.mount, KeyOptions(id=mount.cache_id))


def docker_root(engine: Engine) -> Path:
    return Path(engine.docker("info", "--format", "{{.DockerRootDir}}").stdout.strip())


def test_reader_gives_the_same_cache_as_the_disk(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    where, keys = located(mount)
    before = engine.record_ids()
    usage = where.mount.usage_count
    with open_mount(where, keys, engine.busybox_image) as opened:
        read = cache_json(opened.model)
        run = opened.run
        assert opened.located.mount.usage_count == usage  # as listed before the read
    assert new_records(engine, before) == []
    gone(engine, run.cleanup)
    assert read["totals"]["files"] > 5
    assert [p["name"] for p in read["packages"]] == ["uvcttiny"]

    export = export_mount(where, keys, engine.busybox_image, tmp_path / "cache.tar")
    assert new_records(engine, before) == []
    gone(engine, export.run.cleanup)
    copy = tmp_path / "copy"
    copy.mkdir()
    with tarfile.open(export.path) as archive:
        archive.extractall(copy, numeric_owner=True, filter="fully_trusted")
    expected = model_view(str(copy))
    assert {k: read[k] for k in expected} == expected

    diff = docker_root(engine) / "overlay2" / mount.record_id / "diff"
    if os.geteuid() != 0 or not diff.is_dir():
        pytest.skip(f"{diff} is not readable here (not root, or not a local overlay2 engine)")
    assert model_view(str(diff)) == expected


def test_export_prune_import_then_offline_sync(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    where, keys = located(mount)
    to = tmp_path / "exported"
    result = export_mount(where, keys, engine.busybox_image, to)
    assert result.kind == "dir" and (to / "CACHEDIR.TAG").is_file()
    assert result.document["key"]["id"] == mount.cache_id
    assert result.document["uv_version_inside"].startswith(">=")
    assert manifest_path(to).is_file()
    assert sorted(os.listdir(tmp_path)) == ["exported", "exported.manifest.json", "writer"]

    assert engine.prune_ids(mount_records(mount))
    assert mount_records(mount) == []
    assert not consume(mount, tmp_path / "without"), "uv sync worked without the cache"
    engine.prune_ids(mount_records(mount))  # the consumer made an empty one

    resolved = ready_builder(None, env=engine.env(), timeout=30)
    source = prepare_source(to)
    before = engine.record_ids()
    try:
        imported = import_source(resolved, keys[0], engine.busybox_image, source)
    finally:
        source.close()
    assert imported.ok, imported.missing
    gone(engine, imported.run.cleanup)
    gone(engine, imported.verify.cleanup)
    (created,) = imported.created
    assert [r["ID"] for r in new_records(engine, before, mount.token)] == [created]
    assert consume(mount, tmp_path / "with"), "uv sync failed after the import"

    # importing again merges into that record: nothing new at all
    before = engine.record_ids()
    source = prepare_source(to)
    try:
        again = import_source(resolved, keys[0], engine.busybox_image, source)
    finally:
        source.close()
    assert again.ok and again.created == ()
    assert new_records(engine, before, mount.token) == []


def test_a_key_that_does_not_exist_leaves_nothing(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mount = build_uv_mount(tracked, tmp_path / "writer")
    resolved = ready_builder(None, env=engine.env(), timeout=30)
    before = engine.record_ids()
    for key in (
        CacheKey(mount.cache_id, uid=1000, gid=1000),  # the writer had no uid/gid
        CacheKey(mount.cache_id + "-nope"),
    ):
        with pytest.raises(NoSuchKey, match=r"no cache with that key \(uid/gid/mode or id differ"):
            run_reader(resolved, key, engine.busybox_image, lambda stream: stream.read())
    assert new_records(engine, before) == []
    target = tmp_path / "never.tar"
    where, _ = located(mount)
    with pytest.raises(NoSuchKey):
        export_mount(where, (CacheKey(mount.cache_id, mode=0o700),), engine.busybox_image, target)
    assert sorted(os.listdir(tmp_path)) == ["writer"]
    assert new_records(engine, before) == []


def test_a_missing_helper_image_names_the_option(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    resolved = ready_builder(None, env=engine.env(), timeout=30)
    before = engine.record_ids()
    with pytest.raises(HelperImageMissing, match="--helper-image") as caught:
        run_reader(resolved, CacheKey("uvct-any"), "uvct-no-such-image:1", lambda s: s.read())
    assert "UVCACHE_TUI_HELPER_IMAGE" in str(caught.value)
    assert new_records(engine, before) == []
    shutil.rmtree(tmp_path, ignore_errors=True)
