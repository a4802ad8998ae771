"""The rescan after a prune that removed a few archive entries, next to `uv cache size`.

Builds (or reuses) a `bench_scan.py` tree, then per run: scans it in full (not timed),
removes `--remove` archive entries as `uv cache prune` removes dangling ones (unlink, so
hardlink counts drop as they do under uv), takes the names-only listings `run_action` takes
around uv, and times
- `rescan_after` (the scan after, from the scan before and what went: `core/scan/rescan.py`),
- the rest of `reload_cache` (the model after: packages, archives, contents), timed as
  rescan plus model,
- `uv cache size` on the same tree, interleaved with the two.
The first run also checks that the rescan equals a full walk, directory by directory.
Each run removes other entries: the tree shrinks by `--remove` entries a run (`--rebuild`).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_scan import CACHE, GENERATOR_VERSION, default_uv, ensure_tree  # noqa: E402
from uvcache_tui.core.buckets import table_for  # noqa: E402
from uvcache_tui.core.cache import build_model, complete_model, load_cache  # noqa: E402
from uvcache_tui.core.pathset import added_paths, list_paths, removed_paths  # noqa: E402
from uvcache_tui.core.scan import DirNode, ScanResult, scan  # noqa: E402
from uvcache_tui.core.scan.rescan import TreeChange, rescan_after  # noqa: E402


def figures(result: ScanResult) -> dict[str, tuple[int, ...]]:
    found: dict[str, tuple[int, ...]] = {}
    stack: list[DirNode] = [result.root]
    while stack:
        node = stack.pop()
        found[node.relpath()] = (
            node.sub_alloc,
            node.sub_apparent,
            node.sub_reclaim,
            node.sub_files,
            node.sub_dirs,
        )
        stack.extend(node.iter_children())
    return found


def removable(cache: str) -> list[str]:
    """Archive entries that are not cached environments (prune's dangling-archive kind)."""
    archive = os.path.join(cache, "archive-v0")
    return sorted(
        name
        for name in os.listdir(archive)
        if not os.path.exists(os.path.join(archive, name, "pyvenv.cfg"))
    )


def uv_cache_size(uv: str, cache: str) -> float:
    env = {**os.environ, "UV_CACHE_DIR": cache, "NO_COLOR": "1"}
    started = time.perf_counter()
    subprocess.run(
        [uv, "cache", "size", "--output-format", "machine"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def load() -> str:
    return os.getloadavg().__repr__()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument(
        "--dir", default=os.path.join(tempfile.gettempdir(), "uvcache-tui-bench-rescan")
    )
    parser.add_argument("--cached-envs", type=int, default=1)
    parser.add_argument("--hardlinked-venvs", type=int, default=1)
    parser.add_argument("--remove", type=int, default=5, help="archive entries a run removes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--uv", default=default_uv())
    args = parser.parse_args()
    params = {
        "generator": GENERATOR_VERSION,
        "files": args.files,
        "seed": 1,
        "hardlinked_venvs": args.hardlinked_venvs,
        "cached_envs": args.cached_envs,
        "venv_fraction": 0.5,
    }
    ensure_tree(args.dir, params, os.cpu_count() or 1, args.rebuild)
    cache = os.path.join(args.dir, CACHE)
    table = table_for(None)
    rng = random.Random(7)
    uv_cache_size(args.uv, cache)  # warm the page cache
    rescans: list[float] = []
    reloads: list[float] = []
    uv_sizes: list[float] = []
    for run in range(args.repeat):
        model = load_cache(cache, table)
        before = list_paths(cache)
        for name in rng.sample(removable(cache), args.remove):
            shutil.rmtree(os.path.join(cache, "archive-v0", name))
        after = list_paths(cache)
        change = TreeChange(tuple(removed_paths(before, after)), tuple(added_paths(before, after)))
        uv_sizes.append(uv_cache_size(args.uv, cache))
        # What `reload_cache` does, timed in two parts (the rescan takes over the scan
        # before, so it runs once).
        started = time.perf_counter()
        rescanned = rescan_after(model.scan, change)
        rescans.append(time.perf_counter() - started)
        reloaded = complete_model(build_model(rescanned, table), False, None)
        reloads.append(time.perf_counter() - started)
        if run == 0:
            walked = scan(cache)
            assert figures(rescanned) == figures(walked), "the rescan differs from a full walk"
            assert reloaded.totals == walked.root.sizes
            print(
                f"checked: equal to a full walk ({walked.root.sizes.files:,} files, "
                f"{len(walked.shared_inodes):,} shared inodes, {len(change.removed):,} paths "
                "removed)",
                file=sys.stderr,
            )
        print(
            f"run {run + 1}: rescan {rescans[-1]:.3f} s, reload {reloads[-1]:.3f} s, "
            f"uv cache size {uv_sizes[-1]:.3f} s; load {load()}",
            file=sys.stderr,
        )
    rescan, reload, uv = (statistics.median(x) for x in (rescans, reloads, uv_sizes))
    print(
        f"files in the cache: {reloaded.totals.files:,} (--files {args.files:,} plus the cached "
        f"environments' links), removed per run: {args.remove} archive entries"
    )
    print(f"uv cache size   {uv:.3f} s (median of {args.repeat})")
    print(f"rescan_after    {rescan:.3f} s = {rescan / uv:.3f}x uv cache size")
    print(f"reload_cache    {reload:.3f} s = {reload / uv:.3f}x uv cache size (with the model)")
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
