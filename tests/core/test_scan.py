"""The scanner against `du -sB1`, `uv cache size`, and a brute-force inode oracle.

Every test runs against both walks (`walk`: serial and parallel, see scan_walks).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import RichCache
from tests.core import inode_oracle
from tests.core.scan_walks import Walk, cancel_after
from tests.uvcache_factory import du_bytes, uv_cache_size
from uvcache_tui.core.model import ProblemKind, ScanProgress


def test_total_equals_du_and_uv_cache_size(rich_cache_template: RichCache, walk: Walk) -> None:
    result = walk.scan(rich_cache_template.cache)
    assert result.root.sub_alloc == du_bytes(rich_cache_template.cache)
    assert result.root.sub_alloc == uv_cache_size(rich_cache_template.env)
    assert result.problems.total == 0


def test_every_subdirectory_equals_du(rich_cache_template: RichCache, walk: Walk) -> None:
    """Each directory's figure is what `du -sB1 <dir>` says when run on that dir alone."""
    cache = rich_cache_template.cache
    result = walk.scan(cache)
    for bucket in result.root.iter_children():
        assert bucket.sub_alloc == du_bytes(cache / bucket.name), bucket.name
        for child in bucket.iter_children():
            assert child.sub_alloc == du_bytes(cache / bucket.name / child.name), child.relpath()


def test_reclaimable_is_what_venvs_do_not_keep_alive(
    rich_cache_template: RichCache, walk: Walk
) -> None:
    rc = rich_cache_template
    result = walk.scan(rc.cache)
    kept = inode_oracle.shared_with(rc.cache, [rc.hardlink_venv, rc.copy_venv, rc.symlink_venv])
    assert kept > 0, "the hardlinked venv should share inodes with the cache"
    assert result.root.sub_reclaim == result.root.sub_alloc - kept
    assert result.root.sub_reclaim == inode_oracle.reclaimable([rc.cache])


def test_subtree_reclaimable_matches_oracle(rich_cache_template: RichCache, walk: Walk) -> None:
    cache = rich_cache_template.cache
    result = walk.scan(cache)
    archive = result.root.child("archive-v0")
    assert archive is not None
    for node in [archive, *archive.iter_children()]:
        path = cache / node.relpath()
        assert node.sub_reclaim == inode_oracle.reclaimable([path]), node.relpath()
        assert node.sub_apparent <= node.sub_alloc + 4096 * (node.sub_files + 1)


def test_apparent_counts_each_inode_once(tmp_path: Path, walk: Walk) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "f").write_bytes(b"x" * 10000)
    os.link(tmp_path / "a" / "f", tmp_path / "b" / "f")
    result = walk.scan(tmp_path)
    dirs_apparent = sum(os.lstat(p).st_size for p in (tmp_path, tmp_path / "a", tmp_path / "b"))
    assert result.root.sub_apparent == dirs_apparent + 10000
    assert result.root.sub_alloc == du_bytes(tmp_path)
    # Each directory alone holds the file; only the root holds every link.
    a, b = result.root.child("a"), result.root.child("b")
    assert a is not None and b is not None
    assert a.sub_reclaim == os.lstat(tmp_path / "a").st_blocks * 512
    assert result.root.sub_reclaim == result.root.sub_alloc
    both = result.selection_sizes([a, b])
    assert both.allocated == a.sub_alloc + b.sub_alloc - (a.sub_alloc - a.sub_reclaim)
    assert both.reclaimable == both.allocated


def test_survives_hostile_names_and_symlink_loops(tmp_path: Path, walk: Walk) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "-rf").mkdir()
    (root / "-rf" / "--help").write_text("x")
    weird = os.fsencode(root) + b"/caf\xe9-latin1"
    os.mkdir(weird)
    with open(weird + b"/f", "wb") as handle:
        handle.write(b"y" * 5000)
    (root / "loop").symlink_to(root)
    (root / "self").symlink_to("self")
    (root / "outside").symlink_to("/")
    result = walk.scan(root)
    assert result.root.sub_alloc == du_bytes(root)
    assert result.problems.counts.get(ProblemKind.NOT_UTF8) == 1
    assert result.root.sub_files == 5


def test_vanishing_entries_are_counted_not_fatal(tmp_path: Path, walk: Walk) -> None:
    root = tmp_path / "tree"
    for index in range(30):
        (root / f"d{index:02d}").mkdir(parents=True)
        (root / f"d{index:02d}" / "f").write_text("z")
    removed: list[str] = []

    def progress(snapshot: ScanProgress) -> None:
        # Once the root is listed, remove the directories the walker has not entered yet.
        if snapshot.dirs_done >= 1 and not removed:
            for index in range(30):
                target = root / f"d{index:02d}"
                (target / "f").unlink()
                target.rmdir()
                removed.append(str(target))

    result = walk.scan(root, progress=progress, progress_interval=0.0)
    assert removed
    assert result.problems.counts.get(ProblemKind.VANISHED, 0) >= 1
    assert not result.cancelled


def test_cancel_keeps_partial_result(tmp_path: Path, walk: Walk) -> None:
    for index in range(50):
        (tmp_path / f"d{index}").mkdir()
    cancelled = cancel_after(10)

    result = walk.scan(tmp_path, cancelled=cancelled)
    assert result.cancelled and result.partial
    assert 0 < result.root.sub_dirs <= 50


def test_permission_denied_is_reported(tmp_path: Path, walk: Walk) -> None:
    """Run as an unprivileged user (root reads everything) against a 0700 root-owned dir."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user")
    root = tmp_path / "tree"
    (root / "locked").mkdir(parents=True)
    (root / "locked" / "secret").write_text("s")
    (root / "open.txt").write_text("o")
    os.chmod(root / "locked", 0o700)
    code = (
        "import json,sys; from uvcache_tui.core.scan import scan;"
        " r=scan(sys.argv[1], workers=int(sys.argv[2]), method=sys.argv[3] or None); print(r.stats.walk);"
        "print(json.dumps({k.value: v for k, v in r.problems.counts.items()}))"
    )
    out = walk.run_as_nobody(code, root)
    assert out.splitlines()[0] == walk.kind
    assert '"permission-denied": 1' in out
