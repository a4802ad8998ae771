"""Check that this checkout's scanners give exactly the figures of another one, and time them.

    git archive HEAD | tar -x -C /tmp/base          # or any older checkout
    uv run python benchmarks/compare_scanners.py /tmp/base /tmp/uvcache-tui-bench/cache

Compares every directory's figures (and the order of its subdirectories), the problems
(counts and samples, in order), the shared inodes (in order), and `selection_sizes` of
random multi-directory selections (including every archive together with the dirs that
link to it, as `package_sizes` does) of this checkout's serial walk (`scan(workers=1)`)
and its parallel walk (`scan()`, as the CLI runs it) against the other checkout's serial
`scan()` (its `uvcache_tui.core.scan`, a module or a package); then times all of them,
interleaved.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import importlib
import inspect
import os
import random
import statistics
import sys
import time
from types import ModuleType
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_scan_module(source: str) -> ModuleType:
    """`uvcache_tui.core.scan` of another checkout, kept apart from this checkout's.

    Its package is imported with the checkout first on sys.path, then taken out of
    sys.modules again: its functions keep their own modules, this checkout keeps its own.
    """

    def ours() -> dict[str, ModuleType]:
        return {
            name: module
            for name, module in sys.modules.items()
            if name == "uvcache_tui" or name.startswith("uvcache_tui.")
        }

    saved = ours()
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, source)
    try:
        return importlib.import_module("uvcache_tui.core.scan")
    finally:
        sys.path.remove(source)
        for name in ours():
            del sys.modules[name]
        sys.modules.update(saved)


def figures(result: Any) -> dict[str, tuple[Any, ...]]:
    out = {}
    stack = [result.root]
    while stack:
        node = stack.pop()
        out[node.relpath()] = (
            node.own_alloc,
            node.own_apparent,
            node.own_files,
            node.sub_alloc,
            node.sub_apparent,
            node.sub_reclaim,
            node.sub_files,
            node.sub_dirs,
            node.complete,
            tuple(node.children) if node.children else None,
        )
        stack.extend(node.iter_children())
    return out


def shared(result: Any) -> list[tuple[Any, ...]]:
    return [
        (s.allocated, s.apparent, s.all_links_seen, tuple(n.relpath() for n in s.nodes))
        for s in result.shared_inodes
    ]


def selections(result: Any, count: int, seed: int) -> list[list[str]]:
    """Random unions of 2-4 dirs, plus every shared inode's link dirs (the hard cases)."""
    paths = list(figures(result))
    rng = random.Random(seed)
    chosen = [rng.sample(paths, min(len(paths), rng.randint(2, 4))) for _ in range(count)]
    for inode in result.shared_inodes[:count]:
        chosen.append([n.relpath() for n in inode.nodes])
        chosen.append([n.relpath() for n in inode.nodes] + [rng.choice(paths)])
    return chosen


def selection_figures(result: Any, chosen: list[list[str]]) -> list[Any]:
    """As plain tuples: the other checkout's `Sizes` is another class."""
    out = []
    for relpaths in chosen:
        nodes = [result.node(p) for p in relpaths]
        out.append(dataclasses.astuple(result.selection_sizes([n for n in nodes if n is not None])))
    return out


def problems(result: Any) -> tuple[Any, ...]:
    """Counts and samples, in order, as plain data (the other checkout has its own model)."""
    log = result.problems
    counts = [(kind.value, count) for kind, count in log.counts.items()]
    return counts, [(p.kind.value, p.path, p.detail) for p in log.samples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline_source", help="the other checkout")
    parser.add_argument("cache", help="tree to scan")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--selections", type=int, default=500)
    args = parser.parse_args()
    sys.path.insert(0, REPO)
    from uvcache_tui.core.scan import scan

    base = load_scan_module(os.path.abspath(args.baseline_source))
    base_scan = base.scan
    if "workers" in inspect.signature(base_scan).parameters:
        # Its serial walk: forked workers would send back objects of its own modules,
        # which pickle resolves to this checkout's.
        base_scan = functools.partial(base_scan, workers=1)
    stats: dict[str, Any] = {}

    def parallel(root: str) -> Any:
        result = scan(root)
        stats["last"] = result.stats
        return result

    scanners: dict[str, Any] = {
        "this checkout": functools.partial(scan, workers=1),
        "this, processes": parallel,
        "baseline": base_scan,
    }
    b = base_scan(args.cache)
    reference = (figures(b), problems(b), shared(b))
    chosen: list[list[str]] | None = None
    reference_sizes: list[Any] = []
    ok = True
    for label, run in scanners.items():
        if label == "baseline":
            continue
        a = run(args.cache)
        if chosen is None:
            chosen = selections(a, args.selections, 1)
            reference_sizes = selection_figures(b, chosen)
        checks = {
            "directory figures": figures(a) == reference[0],
            "problems": problems(a) == reference[1],
            "shared inodes": shared(a) == reference[2],
            "selection sizes": selection_figures(a, chosen) == reference_sizes,
        }
        for name, same in checks.items():
            print(f"{label:<16} {name:<20} {'identical' if same else 'DIFFERENT'}")
        if label == "this, processes":
            print(f"{label:<16} {stats['last']}")
        ok = ok and all(checks.values())
        del a
    del b
    times: dict[str, list[float]] = {label: [] for label in scanners}
    for _ in range(args.repeat):
        for label, run in scanners.items():
            gc.collect()
            started = time.perf_counter()
            run(args.cache)
            times[label].append(time.perf_counter() - started)
    for label, values in times.items():
        print(
            f"scan() {label:<16} median {statistics.median(values):.3f} s  "
            f"({', '.join(f'{v:.3f}' for v in values)})"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
