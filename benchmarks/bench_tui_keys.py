"""The TUI on a large cache, driven headless: time to the complete model, and how fast keys
answer while it scans (issue 12's TUI bars), beside `uv cache size` measured in the same run.

- `model`: from the app's start to the cache's model arriving on the UI thread (the
  `ScanFinished` message applied: header, buckets, packages filled).
- `key latency`: while the scan runs, the tab keys `2` and `1` are pressed in turn every
  `--interval` s; each latency is from the key's arrival to the tab being switched, seen
  from the UI thread. Median and worst are printed next to the 100 ms bar.
- `uv cache size`: the anchor, same cache, run in turn with the app (`--repeat` each).

    uv run python benchmarks/bench_tui_keys.py /tmp/uvb-750k/cache --repeat 3

Warm cache; the machine's load is printed (`os.getloadavg`): on a shared machine the
ratios, measured in turn, mean more than the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from uvcache_tui.core.uvbin import UvBinary  # noqa: E402
from uvcache_tui.tui.app import UvCacheApp  # noqa: E402

KEY_BAR = 0.100
MODEL_BAR = 1.3


def uv_binary() -> str:
    here = os.path.join(os.path.dirname(sys.executable), "uv")
    return here if os.path.exists(here) else (shutil.which("uv") or "uv")


def uv_cache_size(cache: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [uv_binary(), "cache", "size", "--cache-dir", cache],
        check=True,
        capture_output=True,
        env={**os.environ, "UV_NO_PROGRESS": "1"},
    )
    return time.perf_counter() - started


async def one_run(cache: str, interval: float) -> tuple[float, list[float]]:
    """(seconds to the model, key latencies during the scan)."""
    # The cache is the active one (as for a user), so the app opens on it at once.
    app = UvCacheApp(
        uv=UvBinary(uv_binary(), env={**os.environ, "UV_CACHE_DIR": cache}),
        buildkit=False,
        read_only=True,
    )
    started = time.perf_counter()
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen: Any = app.screen_stack[0]
        while cache not in getattr(screen, "states", {}):
            await asyncio.sleep(0.005)
        screen.select_location(cache)
        keys = ["2", "1"]
        tabs = {"2": "packages", "1": "buckets"}

        def scanned() -> bool:
            # Looked up each time: the states shown with the last figures (a snapshot)
            # are replaced when uv's discovery answers.
            state = screen.states.get(cache)
            return state is not None and state.model is not None

        while not scanned():
            key = keys[len(latencies) % 2]
            pressed = time.perf_counter()
            await pilot.press(key)
            while screen.cache_view.tabs.active != tabs[key] and not scanned():
                await asyncio.sleep(0.001)
            if not scanned():
                latencies.append(time.perf_counter() - pressed)
            await asyncio.sleep(interval)
        model_at = time.perf_counter() - started
    return model_at, latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.05)
    args = parser.parse_args()
    cache = os.path.abspath(args.cache)
    uv_cache_size(cache)  # warm-up
    asyncio.run(one_run(cache, args.interval))
    models: list[float] = []
    uvs: list[float] = []
    latencies: list[float] = []
    for _ in range(args.repeat):
        uvs.append(uv_cache_size(cache))
        model_at, pressed = asyncio.run(one_run(cache, args.interval))
        models.append(model_at)
        latencies += pressed
    uv = statistics.median(uvs)
    model = statistics.median(models)
    print(f"{cache}: {args.repeat} runs each, load {os.getloadavg()[0]:.1f}")
    print(f"  uv cache size            {uv:7.2f} s")
    print(f"  TUI, complete model      {model:7.2f} s   {model / uv:.2f}x uv (bar <= {MODEL_BAR}x)")
    if latencies:
        latencies.sort()
        median = statistics.median(latencies)
        worst = latencies[-1]
        p95 = latencies[int(0.95 * (len(latencies) - 1))]
        print(
            f"  keys during the scan     {len(latencies)} presses: median {median * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, worst {worst * 1000:.0f} ms (bar <= {KEY_BAR * 1000:.0f} ms)"
        )
    else:
        print("  keys during the scan     none measured (the scan finished first)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
