"""The TUI's scan: serial (as before) against worker interpreters, from a threaded process.

The TUI scans in worker threads, where forking is unsafe; it used to walk in one process
(11 s against 7.7 s for `show` on a 792k-entry cache, issue 12). Its workers are now fresh
interpreters (`core/scan/launch.py`). This prints median wall time of `load_cache` for each,
with a thread running as in the TUI, beside the anchor: the CLI's forked walk.

    uv run python benchmarks/bench_tui_scan.py --dir /tmp/uvb-scan-100k-hl --files 100000
    uv run python benchmarks/bench_tui_scan.py --files 200000 --repeat 5

The tree is built (once, kept in --dir) by bench_scan.py's generator, with two hardlinked
venvs and a cached environment. Figures are warm-cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_scan import CACHE, GENERATOR_VERSION, ensure_tree  # noqa: E402
from uvcache_tui.core.buckets import table_for  # noqa: E402
from uvcache_tui.core.cache import load_cache  # noqa: E402
from uvcache_tui.core.scan import fork_is_safe  # noqa: E402


def timed(cache: str, workers: int | None) -> tuple[float, int, str]:
    started = time.monotonic()
    model = load_cache(cache, table_for("0.13.9"), workers=workers)
    elapsed = time.monotonic() - started
    stats = model.scan.stats
    return elapsed, model.totals.allocated, f"{stats.walk}/{stats.start_method or '-'}"


def cli_fork(cache: str) -> float:
    """The anchor: the same load in a single-threaded process (forked workers)."""
    code = (
        "import sys,time; from uvcache_tui.core.cache import load_cache;"
        "from uvcache_tui.core.buckets import table_for; t=time.monotonic();"
        "m=load_cache(sys.argv[1], table_for('0.13.9'));"
        "assert m.scan.stats.start_method == 'fork', m.scan.stats; print(time.monotonic()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code, cache], capture_output=True, text=True)
    out.check_returncode()
    return float(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="/tmp/uvb-scan-100k-hl")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    params = {
        "generator": GENERATOR_VERSION,
        "files": args.files,
        "seed": 1,
        "hardlinked_venvs": 2,
        "cached_envs": 1,
        "venv_fraction": 0.5,
    }
    tree = ensure_tree(args.dir, params, max(1, os.cpu_count() or 1), rebuild=False)
    cache = os.path.join(args.dir, CACHE)
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="as-in-the-tui")
    thread.start()
    try:
        assert not fork_is_safe()
        timed(cache, 1)  # warm-up
        serial = [timed(cache, 1) for _ in range(args.repeat)]
        workers = [timed(cache, None) for _ in range(args.repeat)]
    finally:
        release.set()
        thread.join()
    anchor = [cli_fork(cache) for _ in range(args.repeat)]
    assert len({alloc for _, alloc, _ in serial + workers}) == 1, "the walks disagree"
    print(f"tree: {tree.files:,} files, {os.cpu_count()} CPUs, median of {args.repeat}")
    print(f"{'load_cache from a threaded process':<44}{'seconds':>9}  walk")
    print(
        f"{'  serial (the TUI before)':<44}{statistics.median(s for s, _, _ in serial):>9.2f}"
        f"  {serial[0][2]}"
    )
    print(
        f"{'  worker interpreters (the TUI now)':<44}"
        f"{statistics.median(s for s, _, _ in workers):>9.2f}  {workers[0][2]}"
    )
    print(
        f"{'anchor: single-threaded, forked (the CLI)':<44}{statistics.median(anchor):>9.2f}"
        "  parallel/fork"
    )


if __name__ == "__main__":
    main()
