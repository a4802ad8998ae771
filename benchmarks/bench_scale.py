"""How `uvcache-tui show --json` scales: time per entry and peak memory at several sizes.

    uv run python benchmarks/bench_scale.py                          # 200k, 800k, 3.2M files
    uv run python benchmarks/bench_scale.py --files 200000,800000 --repeat 3 --json out.json

Builds (or reuses) one `bench_scan.py` tree per size, without hardlinks (`--dir-prefix`
+ the size: `/tmp/uvb-scale-3200000`; 3.2M files take ~22 GB and a few minutes to
build), then runs `show --json` on each, the sizes taken in turn (round-robin) so that
drifting machine load hits them alike, after one warm-up each. Reports per size the
entries (files + directories, from the JSON's totals), the median wall and CPU time (user
+ system of the whole process tree), both per entry, and the peak RSS (GNU time's, as in
`bench_scan.py`), with the load average beside each run.

The bars (issue 12): time per entry within +-20 % of the sizes' mean, and peak memory
growing sublinearly in the files (each size's memory ratio to the smallest below its
files ratio).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_scan  # noqa: E402

SPREAD = 0.20


def entries_of(tool: bench_scan.Tool) -> int:
    """Files + directories of the cache, from the warm-up run's JSON."""
    out = subprocess.run(
        tool.argv, env=tool.env, cwd=tool.cwd, capture_output=True, text=True, check=True
    ).stdout
    totals = json.loads(out)["totals"]
    return int(totals["files"]) + int(totals["dirs"])


def measure(sizes: list[int], args: argparse.Namespace) -> list[dict[str, Any]]:
    uv = args.uv or bench_scan.default_uv()
    rows = []
    tools = []
    for files in sizes:
        directory = f"{args.dir_prefix}-{files}"
        params = {
            "generator": bench_scan.GENERATOR_VERSION,
            "files": files,
            "seed": args.seed,
            "hardlinked_venvs": 0,
            "cached_envs": 0,
            "venv_fraction": 0.5,
        }
        bench_scan.ensure_tree(directory, params, max(1, args.jobs), False)
        tool = bench_scan._uvcache_tui(
            f"{files}",
            f"show --json, {files:,} files",
            bench_scan.REPO,
            os.path.join(directory, bench_scan.CACHE),
            sys.executable,
            uv,
            os.path.join(directory, ".pycache"),
        )
        print(f"warm-up: {tool.label}", file=sys.stderr, flush=True)
        tools.append((files, tool, entries_of(tool), []))
    for number in range(args.repeat):
        for files, tool, _, loads in tools:
            load = os.getloadavg()[0]
            wall, rss, code, tail, cpu = bench_scan.run_measured(tool.argv, tool.env, tool.cwd)
            if code != 0:
                raise SystemExit(f"{tool.label}: exit {code}: {tail}")
            tool.walls.append(wall)
            tool.cpus.append(cpu)
            tool.rss_kib.append(rss)
            loads.append((load, os.getloadavg()[0]))
            print(f"run {number + 1}/{args.repeat}: {files:,} files {wall:.2f} s", file=sys.stderr)
    for files, tool, entries, loads in tools:
        wall = statistics.median(tool.walls)
        cpu = statistics.median(tool.cpus)
        rows.append(
            {
                "files": files,
                "entries": entries,
                "wall_seconds": tool.walls,
                "cpu_seconds": tool.cpus,
                "peak_rss_mib": [kib / 1024 for kib in tool.rss_kib],
                "load_1min_before_after": loads,
                "wall_median": wall,
                "cpu_median": cpu,
                "rss_median_mib": statistics.median(tool.rss_kib) / 1024,
                "wall_us_per_entry": wall / entries * 1e6,
                "cpu_us_per_entry": cpu / entries * 1e6,
            }
        )
    return rows


def verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in ("wall_us_per_entry", "cpu_us_per_entry"):
        values = [row[key] for row in rows]
        mean = statistics.mean(values)
        spread = max(abs(value / mean - 1) for value in values)
        found[key] = {"mean": mean, "max_deviation": spread, "pass": spread <= SPREAD}
    first = rows[0]
    memory = []
    for row in rows[1:]:
        files_ratio = row["files"] / first["files"]
        rss_ratio = row["rss_median_mib"] / first["rss_median_mib"]
        memory.append({"files": row["files"], "files_ratio": files_ratio, "rss_ratio": rss_ratio})
    found["memory"] = {
        "ratios": memory,
        "pass": all(item["rss_ratio"] < item["files_ratio"] for item in memory),
    }
    return found


def table(rows: list[dict[str, Any]], found: dict[str, Any]) -> str:
    lines = [
        f"{'files':>10} {'entries':>10} {'wall':>8} {'CPU':>8} {'wall/entry':>11} "
        f"{'CPU/entry':>10} {'peak RSS':>10}  load (1 min, before-after)"
    ]
    for row in rows:
        loads = ", ".join(f"{a:.1f}-{b:.1f}" for a, b in row["load_1min_before_after"])
        lines.append(
            f"{row['files']:>10,} {row['entries']:>10,} {row['wall_median']:>6.2f} s "
            f"{row['cpu_median']:>6.2f} s {row['wall_us_per_entry']:>8.2f} us "
            f"{row['cpu_us_per_entry']:>7.2f} us {row['rss_median_mib']:>6.1f} MiB  {loads}"
        )
    for key in ("wall_us_per_entry", "cpu_us_per_entry"):
        item = found[key]
        lines.append(
            f"{key}: mean {item['mean']:.2f} us, largest deviation "
            f"{item['max_deviation'] * 100:.0f} % (bar +-{SPREAD * 100:.0f} %) "
            f"{'PASS' if item['pass'] else 'MISS'}"
        )
    ratios = ", ".join(
        f"{item['files']:,}: files x{item['files_ratio']:.0f}, memory x{item['rss_ratio']:.2f}"
        for item in found["memory"]["ratios"]
    )
    lines.append(
        f"peak memory vs the smallest: {ratios} "
        f"{'PASS (sublinear)' if found['memory']['pass'] else 'MISS'}"
    )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", default="200000,800000,3200000", help="sizes, comma-separated")
    parser.add_argument("--dir-prefix", default="/tmp/uvb-scale", help="trees in PREFIX-<files>")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--uv", help="uv binary (default: .venv/bin/uv)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="build workers")
    parser.add_argument("--json", help="write the figures as JSON to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(int(size) for size in args.files.split(","))
    rows = measure(sizes, args)
    found = verdicts(rows)
    print(table(rows, found))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {
                    "rows": rows,
                    "verdicts": found,
                    "machine": bench_scan.machine_notes(os.path.dirname(args.dir_prefix)),
                },
                handle,
                indent=2,
            )
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
