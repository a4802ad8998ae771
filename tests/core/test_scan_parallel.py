"""The parallel walk gives exactly the serial walk's result, on trees made to split it.

Every test compares against the serial walk (itself checked against `du -sB1`, `uv cache
size` and a brute-force inode oracle in test_scan.py): each directory's figures, the
problems (counts and samples, in order), the shared inodes (in order, with their link
directories) and `selection_sizes` of unions of directories. Tests taking `walk` run
against both walks (the serial one against itself: its result does not depend on the
run); the others are about the parallel walk's own machinery (chunks, fallbacks to one
process, what its workers send) and force it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import RichCache
from tests.core.scan_walks import Walk, cancel_after, worker_children
from tests.uvcache_factory import du_bytes
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import build_model
from uvcache_tui.core.model import ProblemKind, ScanProgress
from uvcache_tui.core.report import cache_json
from uvcache_tui.core.scan import DirNode, ScanResult, fork_is_safe, plan, scan, worker

PARALLEL = Walk("parallel")
SERIAL = Walk("serial")


@pytest.fixture(autouse=True)
def _single_threaded() -> None:
    if not fork_is_safe():
        pytest.skip("the parallel walker only forks from a single-threaded process on Linux")


def snapshot(result: ScanResult, selections: int = 200) -> dict[str, Any]:
    """Everything a ScanResult says, as plain data (order kept where it is observable)."""
    figures: dict[str, tuple[Any, ...]] = {}
    stack: list[DirNode] = [result.root]
    while stack:
        node = stack.pop()
        figures[node.relpath()] = (
            node.own_alloc,
            node.own_apparent,
            node.own_files,
            node.sub_alloc,
            node.sub_apparent,
            node.sub_reclaim,
            node.sub_files,
            node.sub_dirs,
            node.complete,
            list(node.children) if node.children else None,
        )
        stack.extend(node.iter_children())
    paths = sorted(figures)
    rng = random.Random(7)
    chosen = [rng.sample(paths, min(len(paths), rng.randint(2, 4))) for _ in range(selections)]
    for inode in result.shared_inodes[:selections]:
        chosen.append([n.relpath() for n in inode.nodes])
        chosen.append([n.relpath() for n in inode.nodes] + [rng.choice(paths)])
    sizes = []
    for relpaths in chosen:
        nodes = [result.node(p) for p in relpaths]
        sizes.append(result.selection_sizes([n for n in nodes if n is not None]))
    return {
        "figures": figures,
        "problem_counts": list(result.problems.counts.items()),
        "problem_samples": result.problems.samples,
        "shared": [
            (s.allocated, s.apparent, s.all_links_seen, [n.relpath() for n in s.nodes])
            for s in result.shared_inodes
        ],
        "selections": sizes,
        "cancelled": result.cancelled,
    }


def assert_same_as_serial(
    walk: Walk, root: Path | str, expect_workers: bool = True, **kwargs: Any
) -> ScanResult:
    result = walk.scan(root, **kwargs)
    if walk.name == "serial":
        assert result.stats.workers == 0, result.stats
    elif expect_workers:
        assert result.stats.workers == 2, result.stats
        assert result.stats.fallback is None, result.stats
    assert snapshot(result) == snapshot(SERIAL.scan(root))
    return result


def _write(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def make_linked_tree(base: Path, tops: int = 10, subs: int = 6) -> Path:
    """Subtrees t*/s*/ (the work units) with hardlinks inside one directory, inside one
    unit, across units, from the listed top levels, and from outside the tree."""
    root = base / "tree"
    outside = base / "outside"
    outside.mkdir(parents=True)
    rng = random.Random(11)
    files: list[Path] = []
    for t in range(tops):
        _write(root / f"t{t}" / "top-file", 700 + t)
        for s in range(subs):
            for f in range(3):
                files.append(
                    _write(root / f"t{t}" / f"s{s}" / f"d{f % 2}" / f"f{f}", rng.randint(1, 30000))
                )
    _write(root / "root-file", 5000)
    counter = 0

    def link(source: Path, directory: Path) -> None:
        nonlocal counter
        directory.mkdir(parents=True, exist_ok=True)
        counter += 1
        os.link(source, directory / f"link{counter}")

    for index, source in enumerate(files):
        kind = index % 6
        if kind == 0:  # same directory
            link(source, source.parent)
        elif kind == 1:  # same unit, another directory
            link(source, source.parents[1] / "other")
        elif kind == 2:  # another unit, far away in the walk
            link(source, root / f"t{(index * 7) % tops}" / f"s{(index * 5) % subs}" / "x")
        elif kind == 3:  # outside only: met once in the tree
            link(source, outside)
        elif kind == 4:  # two units and outside: never all seen
            link(source, root / f"t{(index * 3) % tops}" / "s0" / "y")
            link(source, outside)
        elif index % 12 == 5:  # three links in one unit, a fourth in another
            link(source, source.parent)
            link(source, source.parents[1] / "third")
            link(source, root / f"t{(index * 11) % tops}" / f"s{(index * 7) % subs}" / "w")
    # Listed by the parent itself: a top-level file linked from deep down, and back.
    link(root / "root-file", root / "t3" / "s2" / "z")
    link(root / "t1" / "top-file", root / "t8" / "s4")
    link(root / "t1" / "top-file", root)
    return root


@pytest.fixture()
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """One unit per chunk: every hardlink between units crosses chunks (and workers)."""
    monkeypatch.setattr(plan, "MAX_CHUNK", 1)


def test_rich_cache_identical(rich_cache_template: RichCache, walk: Walk) -> None:
    assert_same_as_serial(walk, rich_cache_template.cache)
    assert_same_as_serial(walk, rich_cache_template.cache.parent)  # the venvs: shared inodes


def test_rich_cache_model_identical(rich_cache_template: RichCache, walk: Walk) -> None:
    table = table_for("0.13.9")
    cache = str(rich_cache_template.cache)
    serial = cache_json(build_model(SERIAL.scan(cache), table))
    assert cache_json(build_model(walk.scan(cache), table)) == serial
    assert serial["packages"] and serial["archives"]


def test_hardlinks_across_units_and_chunks(tmp_path: Path, small_chunks: None, walk: Walk) -> None:
    root = make_linked_tree(tmp_path)
    stats = assert_same_as_serial(walk, root).stats
    if walk.kind == "parallel":
        assert stats.chunks == stats.units >= 32
    assert_same_as_serial(walk, tmp_path)  # the outside links too: every link seen
    result = walk.scan(root)
    assert result.root.sub_alloc == du_bytes(root)
    assert len(result.shared_inodes) > 10


def test_hardlinks_default_chunks(tmp_path: Path, walk: Walk) -> None:
    root = make_linked_tree(tmp_path, tops=40, subs=8)
    assert_same_as_serial(walk, root)


def test_inodes_keyed_by_device_travel_as_lists(
    tmp_path: Path, small_chunks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Multi-link inodes of another device (a mount inside the tree) use the list form."""
    monkeypatch.setattr(worker, "key_array", list)
    assert_same_as_serial(PARALLEL, make_linked_tree(tmp_path))


def test_too_small_to_split_walks_here(tmp_path: Path) -> None:
    """A chain of single directories never makes two units: walked in this process."""
    chain = tmp_path / "a" / "b" / "c" / "d" / "e"
    source = _write(chain / "f", 9000)
    os.link(source, tmp_path / "a" / "b" / "g")
    os.link(source, tmp_path / "a" / "h")
    _write(tmp_path / "a" / "b" / "c" / "d" / "e" / "more" / "x", 10)
    result = assert_same_as_serial(PARALLEL, tmp_path, expect_workers=False)
    assert result.stats.workers == 0


def test_hostile_names_and_symlink_loops(tmp_path: Path, walk: Walk) -> None:
    root = tmp_path / "tree"
    for t in range(6):
        for s in range(8):
            _write(root / f"t{t}" / f"s{s}" / "f", 100 * s + t)
    (root / "t2" / "s3" / "-rf").mkdir()
    _write(root / "t2" / "s3" / "-rf" / "--help", 1)
    weird = os.fsencode(root / "t4" / "s1") + b"/caf\xe9-latin1"
    os.mkdir(weird)
    with open(weird + b"/f", "wb") as handle:
        handle.write(b"y" * 5000)
    os.mkdir(os.fsencode(root) + b"/top-\xff")
    (root / "t1" / "s1" / "loop").symlink_to(root)
    (root / "t1" / "self").symlink_to("self")
    (root / "outside").symlink_to("/")
    assert_same_as_serial(walk, root)
    result = walk.scan(root)
    assert result.problems.counts.get(ProblemKind.NOT_UTF8) == 2
    assert result.root.sub_alloc == du_bytes(root)


def test_progress_is_reported(tmp_path: Path, walk: Walk) -> None:
    root = make_linked_tree(tmp_path, tops=20, subs=8)
    seen: list[ScanProgress] = []
    result = walk.scan(root, progress=seen.append, progress_interval=0.0)
    assert result.stats.workers == (2 if walk.kind == "parallel" else 0)
    assert result.stats.fallback is None, result.stats
    final_serial: list[ScanProgress] = []
    SERIAL.scan(root, progress=final_serial.append)
    assert len(seen) >= 3
    last = seen[-1]
    assert last.current_dir == str(root)
    assert (last.entries, last.dirs_done) == (
        final_serial[-1].entries,
        final_serial[-1].dirs_done,
    )
    assert last.dirs_done == result.root.sub_dirs + 1
    assert all(a.entries <= b.entries for a, b in zip(seen, seen[1:], strict=False))
    assert last.allocated > 0


def test_cancel_stops_the_workers_and_keeps_a_partial_result(
    tmp_path: Path, small_chunks: None, walk: Walk
) -> None:
    root = make_linked_tree(tmp_path, tops=20, subs=8)
    full = SERIAL.scan(root)
    cancelled = cancel_after(22)  # the root and its 20 dirs are listed here, then it stops

    result = walk.scan(root, cancelled=cancelled)
    assert result.stats.workers == (2 if walk.kind == "parallel" else 0)
    assert result.cancelled and result.partial
    assert 20 <= result.root.sub_dirs < full.root.sub_dirs
    assert 0 < result.root.sub_alloc < full.root.sub_alloc
    assert multiprocessing.active_children() == []


def test_cancel_soon_after_the_start(tmp_path: Path, small_chunks: None, walk: Walk) -> None:
    for index in range(50):
        _write(tmp_path / f"d{index}" / "e" / "f", 10)
    cancelled = cancel_after(3)

    result = walk.scan(tmp_path, cancelled=cancelled)
    assert result.cancelled and result.partial
    assert 50 <= result.root.sub_dirs < 100
    assert multiprocessing.active_children() == []


def test_other_threads_mean_fresh_interpreters(tmp_path: Path) -> None:
    """Forking while other threads run is unsafe (the TUI scans in threads): the workers are
    fresh interpreters then, and a fork asked for anyway is refused (one process)."""
    root = make_linked_tree(tmp_path)
    release = threading.Event()
    thread = threading.Thread(target=release.wait)
    thread.start()
    try:
        result = scan(str(root), workers=2)
        assert result.stats.walk == "parallel" and result.stats.start_method == "exec"
        assert result.stats.workers == 2
        forced = scan(str(root), workers=2, method="fork")
        assert forced.stats.walk == "serial" and forced.stats.workers == 0
    finally:
        release.set()
        thread.join()
    assert worker_children() == []
    assert snapshot(result) == snapshot(SERIAL.scan(root)) == snapshot(forced)


def test_a_failing_worker_means_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(worker, "pack_tree", broken)  # inherited by the forked workers
    root = make_linked_tree(tmp_path)
    result = PARALLEL.scan(root)
    assert result.stats.fallback is not None
    assert result.stats.fallback.startswith("worker failed")
    assert "boom" in result.stats.fallback
    assert snapshot(result) == snapshot(SERIAL.scan(root))


def test_no_processes_to_fork_means_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import multiprocessing.context

    def refuse(self: Any) -> None:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(multiprocessing.context.ForkProcess, "start", refuse)
    root = make_linked_tree(tmp_path)
    result = PARALLEL.scan(root)
    assert result.stats.fallback is not None
    assert result.stats.fallback.startswith("cannot start the workers")
    assert snapshot(result) == snapshot(SERIAL.scan(root))


@pytest.fixture()
def bind_mount() -> Iterator[Any]:
    """`mount(source, target)` as bind mounts (root only), all unmounted afterwards."""
    mounted: list[Path] = []

    def mount(source: Path, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["mount", "--bind", str(source), str(target)], capture_output=True, check=False
        )
        if done.returncode != 0:
            pytest.skip(f"cannot bind-mount here: {done.stderr.decode().strip()}")
        mounted.append(target)

    if os.geteuid() != 0:
        pytest.skip("bind mounts need root")
    try:
        yield mount
    finally:
        for target in reversed(mounted):
            subprocess.run(["umount", str(target)], check=False)


@pytest.mark.parametrize("target", ["t5", "t3/s1/d0"])
def test_directory_loops_fall_back_to_one_process(
    tmp_path: Path, bind_mount: Any, target: str
) -> None:
    """Which occurrence of a bind-mounted dir is walked depends on the order: one process."""
    root = make_linked_tree(tmp_path)
    bind_mount(root / target, root / "t0" / "s0" / "mnt")
    result = PARALLEL.scan(root)
    assert result.stats.fallback, result.stats
    assert result.problems.counts.get(ProblemKind.ERROR, 0) >= 1
    assert snapshot(result) == snapshot(SERIAL.scan(root))


def test_permission_denied_inside_a_worker(tmp_path: Path, walk: Walk) -> None:
    """As `nobody` against root-owned 0700 dirs, deep in a unit and among the top levels."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to an unprivileged user")
    root = tmp_path / "tree"
    for t in range(5):
        for s in range(8):
            _write(root / f"t{t}" / f"s{s}" / "f", 10 + s)
    _write(root / "t2" / "s5" / "locked" / "secret", 3)
    _write(root / "t4" / "locked" / "secret", 3)
    os.chmod(root / "t2" / "s5" / "locked", 0o700)
    os.chmod(root / "t4" / "locked", 0o700)
    code = (
        "import json, sys\n"
        "from uvcache_tui.core.scan import scan\n"
        "def problems(r):\n"
        "    return [{k.value: v for k, v in r.problems.counts.items()},"
        " [p.to_json() for p in r.problems.samples], r.root.sub_alloc, r.root.sub_dirs]\n"
        "fast = scan(sys.argv[1], workers=int(sys.argv[2]), method=sys.argv[3] or None)\n"
        "print(json.dumps([problems(fast), problems(scan(sys.argv[1], workers=1)),"
        " fast.stats.workers]))\n"
    )
    fast, serial, workers = json.loads(walk.run_as_nobody(code, root))
    assert workers == (2 if walk.kind == "parallel" else 0)
    assert fast == serial
    assert fast[0] == {"permission-denied": 2}
