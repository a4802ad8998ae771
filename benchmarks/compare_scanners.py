"""Check that this checkout's scanner gives exactly the figures of another one, and time both.

    git archive HEAD | tar -x -C /tmp/base          # or any older checkout
    uv run python benchmarks/compare_scanners.py /tmp/base /tmp/uvcache-tui-bench/cache

Compares every directory's figures, the problems, the shared inodes, and `selection_sizes`
of random multi-directory selections (including every archive together with the dirs that
link to it, as `package_sizes` does), then times `scan()` of both, interleaved.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import os
import random
import statistics
import sys
import time
from types import ModuleType
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_scan_module(source: str, name: str) -> ModuleType:
    """`uvcache_tui/core/scan.py` of a checkout, imported under another module name."""
    sys.path.insert(0, REPO)  # its own imports (model) come from this checkout
    path = os.path.join(source, "uvcache_tui", "core", "scan.py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


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
            tuple(sorted(node.children)) if node.children else None,
        )
        stack.extend(node.iter_children())
    return out


def shared(result: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (s.allocated, s.apparent, s.all_links_seen, tuple(sorted(n.relpath() for n in s.nodes)))
        for s in result.shared_inodes
    )


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
    out = []
    for relpaths in chosen:
        nodes = [result.node(p) for p in relpaths]
        out.append(result.selection_sizes([n for n in nodes if n is not None]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("baseline_source", help="the other checkout")
    parser.add_argument("cache", help="tree to scan")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--selections", type=int, default=500)
    args = parser.parse_args()
    ours = load_scan_module(REPO, "scan_ours")
    base = load_scan_module(os.path.abspath(args.baseline_source), "scan_base")
    a, b = ours.scan(args.cache), base.scan(args.cache)
    checks = {
        "directory figures": figures(a) == figures(b),
        "problems": (a.problems.counts, a.problems.samples)
        == (b.problems.counts, b.problems.samples),
        "shared inodes": shared(a) == shared(b),
    }
    chosen = selections(a, args.selections, 1)
    checks["selection sizes"] = selection_figures(a, chosen) == selection_figures(b, chosen)
    for name, same in checks.items():
        print(f"{name:<20} {'identical' if same else 'DIFFERENT'}")
    del a, b
    times: dict[str, list[float]] = {"this checkout": [], "baseline": []}
    for _ in range(args.repeat):
        for label, module in (("this checkout", ours), ("baseline", base)):
            gc.collect()
            started = time.perf_counter()
            module.scan(args.cache)
            times[label].append(time.perf_counter() - started)
    for label, values in times.items():
        print(
            f"scan() {label:<14} median {statistics.median(values):.3f} s  "
            f"({', '.join(f'{v:.3f}' for v in values)})"
        )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
