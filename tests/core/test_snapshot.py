"""Scan snapshots: kept and read back exactly, checked against the cache's identity, bounded,
written atomically, and anything that is not one of ours ignored with a note."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import RichCache
from tests.core.test_actions import user_uv
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.model import Sizes
from uvcache_tui.core.snapshot import (
    MAX_BYTES,
    PackageFigures,
    age_text,
    encode,
    identity_of,
    load_snapshot,
    save_snapshot,
    snapshot_dir,
    snapshot_file,
    take_snapshot,
)


def kept(rich: RichCache, directory: Path) -> str:
    _uv, version = user_uv(rich)
    model = load_cache(str(rich.cache), table_for(version))
    identity = identity_of(model.path)
    assert identity is not None
    snapshot = take_snapshot(model, identity)
    assert snapshot is not None
    assert snapshot.totals == model.totals and snapshot.package_count == len(model.packages)
    assert [b.name for b in snapshot.buckets] == [b.name for b in model.buckets]
    written = save_snapshot(snapshot, str(directory))
    assert written == snapshot_file(str(directory), model.path)
    loaded = load_snapshot(str(directory), model.path)
    assert loaded.snapshot == snapshot and not loaded.changed and loaded.note is None
    return model.path


def test_a_snapshot_reads_back_as_written_and_notices_changes(
    rich_cache: RichCache, tmp_path: Path
) -> None:
    directory = tmp_path / "snaps"
    path = kept(rich_cache, directory)
    assert [p.name for p in directory.iterdir()] == [Path(snapshot_file(str(directory), path)).name]
    archive = rich_cache.cache / "archive-v0"
    shutil.rmtree(next(archive.iterdir()))  # as a prune does: the bucket dir's mtime moves
    loaded = load_snapshot(str(directory), path)
    assert loaded.snapshot is not None and loaded.changed


def test_another_directory_at_the_path_is_not_shown_its_figures(
    rich_cache: RichCache, tmp_path: Path
) -> None:
    path = kept(rich_cache, tmp_path / "snaps")
    os.rename(path, path + ".moved")
    os.mkdir(path)
    loaded = load_snapshot(str(tmp_path / "snaps"), path)
    assert loaded.snapshot is None and "another directory" in (loaded.note or "")
    os.rmdir(path)
    assert load_snapshot(str(tmp_path / "snaps"), path) == load_snapshot(str(tmp_path), path)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xfe garbage",
        b'{"format": "uvcache-tui-snapshot", "version": 1',
        b"[1, 2, 3]",
        b'{"format": "something-else", "version": 1}',
        b"x" * (MAX_BYTES + 10),
    ],
)
def test_what_is_not_a_snapshot_is_ignored_with_a_note(
    rich_cache_template: RichCache, tmp_path: Path, content: bytes
) -> None:
    path = str(rich_cache_template.cache)
    target = Path(snapshot_file(str(tmp_path), path))
    target.write_bytes(content)
    loaded = load_snapshot(str(tmp_path), path)
    assert loaded.snapshot is None and loaded.note is not None and str(target) in loaded.note


def test_every_damaged_field_is_ignored_with_a_note(
    rich_cache_template: RichCache, tmp_path: Path
) -> None:
    path = kept(rich_cache_template, tmp_path / "good")
    good = json.loads(Path(snapshot_file(str(tmp_path / "good"), path)).read_bytes())
    damaged = [
        {**good, "version": 2},
        {**good, "path": "/somewhere/else"},
        {**good, "totals": [1, 2, 3]},
        {**good, "totals": ["1", 2, 3, 4, 5]},
        {**good, "identity": [1, 2]},
        {**good, "buckets": [["wheels-v8", "current"]]},
        {**good, "packages": {"a": 1}},
        {**good, "taken_at": "yesterday"},
        {key: value for key, value in good.items() if key != "package_count"},
    ]
    target = Path(snapshot_file(str(tmp_path), path))
    for data in damaged:
        target.write_text(json.dumps(data))
        loaded = load_snapshot(str(tmp_path), path)
        assert loaded.snapshot is None and loaded.note, data
    encoded = encode(load_snapshot(str(tmp_path / "good"), path).snapshot)  # type: ignore[arg-type]
    for cut in range(0, len(encoded), max(1, len(encoded) // 50)):
        target.write_bytes(encoded[:cut])
        assert load_snapshot(str(tmp_path), path).snapshot is None


def test_size_is_bounded_and_writes_leave_no_temporary_file(
    rich_cache_template: RichCache, tmp_path: Path
) -> None:
    path = kept(rich_cache_template, tmp_path)
    snapshot = load_snapshot(str(tmp_path), path).snapshot
    assert snapshot is not None
    many = tuple(
        PackageFigures(f"package-{'x' * 200}-{i}", Sizes(i, i, i, i, i)) for i in range(5000)
    )
    big = dataclasses.replace(snapshot, packages=many, package_count=len(many))
    written = save_snapshot(big, str(tmp_path))
    assert written is not None and os.path.getsize(written) <= MAX_BYTES
    loaded = load_snapshot(str(tmp_path), path).snapshot
    assert loaded is not None and 0 < len(loaded.packages) < len(many)
    assert loaded.packages == many[: len(loaded.packages)] and loaded.package_count == 5000
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(written).name]


def test_where_snapshots_live() -> None:
    assert snapshot_dir({"UVCACHE_TUI_SNAPSHOT_DIR": "/x/y"}) == "/x/y"
    assert snapshot_dir({}).endswith(os.path.join("uvcache-tui", "snapshots"))
    assert snapshot_file("/d", "/a/cache") != snapshot_file("/d", "/a/cache2")


def test_age_text() -> None:
    assert [age_text(s) for s in (1, 42, 180, 7200, 3 * 86400)] == [
        "just now",
        "42 s ago",
        "3 min ago",
        "2 h ago",
        "3 days ago",
    ]
