"""The TUI on a large cache, driven headless: time to the complete model, and how fast keys
answer while it scans and while the model is put on screen (issue 12's TUI bars), beside
`uv cache size` measured in the same run.

- `model`: from the app's start to the cache's `ScanFinished` message handled on the UI
  thread (the state holds the model, the header and the tables show it); `filled`: to the
  Packages table holding every package (the same moment unless the table fills in steps).
- `key latency`: a thread types like a terminal's input thread (the driver's
  `send_message`, thread-safe, as Textual's own input thread does): the tab keys `2` and
  `1` in turn, each `--interval` s after the last was answered. A key is answered when
  the screen's `show_tab` action has run (the tab switched; during the first scan, the note
  that tabs are for scanned caches). Keys pressed before the model's message was handled
  count as "during the scan"; those pressed from then until the Packages table is full
  as "as the model arrives" (when a large table is filled); those of the `--after` s
  after that as "after" (switching tabs that hold the full tables). A key the UI thread cannot
  take because it is busy waits, and that wait is what is measured (a pilot coroutine on
  the same loop would only start its stopwatch after the stall).
- `uv cache size`: the anchor, same cache, run in turn with the app (`--repeat` each).

    uv run python benchmarks/bench_tui_keys.py /tmp/uvb-200k/cache --repeat 3
    uv run python benchmarks/bench_tui_keys.py CACHE --baseline-source /tmp/base

Every run is a fresh process (`--one`), as a user's launch is; with `--baseline-source`
the `uvcache_tui` of another checkout runs in turn with this one's, for a before/after
under the same load. Snapshots go to a directory of the benchmark's own per source (the
second launch on shows the last figures first, as for a user). Warm cache; the machine's
load is printed (`os.getloadavg`): on a shared machine the ratios, measured in turn, mean
more than the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY_BAR = 0.100
MODEL_BAR = 1.3
ANSWER_TIMEOUT = 60.0
FILL_TIMEOUT = 120.0


@dataclass
class Run:
    """One launch: seconds from the app's start, and every key's latency by phase."""

    model: float
    filled: float
    scan_keys: list[float] = field(default_factory=list)
    arrival_keys: list[float] = field(default_factory=list)
    after_keys: list[float] = field(default_factory=list)
    arrival_pressed: list[float] = field(default_factory=list)
    """When each of `arrival_keys` was pressed, seconds after the model's message."""


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


class Typist:
    """Presses keys from its own thread, as a terminal's input thread does; the UI thread
    calls `answered()` when a key's action has run."""

    KEYS = ("2", "1")

    def __init__(self, app: Any, interval: float) -> None:
        self.app = app
        self.interval = interval
        self.presses: list[tuple[float, float]] = []
        self._answer = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._type, name="typist", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def answered(self) -> None:
        self._answer.set()

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.get_running_loop().run_in_executor(None, self._thread.join)

    def _type(self) -> None:
        from textual import events

        driver = self.app._driver
        count = 0
        while not self._stop.wait(self.interval):
            key = self.KEYS[count % 2]
            count += 1
            self._answer.clear()
            event = events.Key(key, key)
            event.set_sender(self.app)
            pressed = time.perf_counter()
            driver.send_message(event)
            if not self._answer.wait(ANSWER_TIMEOUT):
                raise RuntimeError(f"key {key!r} not answered in {ANSWER_TIMEOUT} s")
            self.presses.append((pressed, time.perf_counter()))


async def one_run(cache: str, interval: float, after: float) -> Run:
    """One launch of the app in this process (its `uvcache_tui` is first on sys.path)."""
    from uvcache_tui.core.uvbin import UvBinary
    from uvcache_tui.tui.app import UvCacheApp

    app = UvCacheApp(
        uv=UvBinary(uv_binary(), env={**os.environ, "UV_CACHE_DIR": cache}),
        buildkit=False,
        read_only=True,
    )
    started = time.perf_counter()
    finish_started: list[float] = []
    model_at: list[float] = []
    async with app.run_test(size=(120, 40)):
        screen: Any = app.screen_stack[0]
        typist = Typist(app, interval)
        show_tab = screen.action_show_tab
        finish = screen._finish

        def timed_show_tab(tab: str) -> None:
            show_tab(tab)
            typist.answered()

        def timed_finish(path: str, *args: Any) -> None:
            ours = path == cache and not model_at
            if ours:
                finish_started.append(time.perf_counter())
            finish(path, *args)
            state = screen.states.get(cache)
            if ours and state is not None and state.model is not None:
                model_at.append(time.perf_counter())

        screen.action_show_tab = timed_show_tab
        screen._finish = timed_finish
        typist.start()
        while not model_at:
            await asyncio.sleep(0.005)
        model = screen.states[cache].model
        table = screen.cache_view.packages_view.table
        deadline = time.perf_counter() + FILL_TIMEOUT
        while table.row_count < len(model.packages) and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        filled_at = time.perf_counter()
        await asyncio.sleep(after)
        await typist.stop()
    arrival = finish_started[0]
    return Run(
        model=model_at[0] - started,
        filled=filled_at - started,
        scan_keys=[end - start for start, end in typist.presses if start < arrival],
        arrival_keys=[end - start for start, end in typist.presses if arrival <= start < filled_at],
        arrival_pressed=[
            start - arrival for start, _ in typist.presses if arrival <= start < filled_at
        ],
        after_keys=[end - start for start, end in typist.presses if start >= filled_at],
    )


def launch(source: str, cache: str, args: argparse.Namespace, snapshots: str) -> Run:
    """One run in a fresh process importing `uvcache_tui` from `source`."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        cache,
        "--one",
        "--source",
        source,
        "--interval",
        str(args.interval),
        "--after",
        str(args.after),
    ]
    env = {**os.environ, "UVCACHE_TUI_SNAPSHOT_DIR": snapshots}
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return Run(**json.loads(out.stdout.splitlines()[-1]))


def describe(latencies: list[float]) -> str:
    if not latencies:
        return "none pressed"
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (
        f"{len(ordered):4d} keys: median {statistics.median(ordered) * 1000:5.0f} ms,"
        f" p95 {p95 * 1000:5.0f} ms, worst {ordered[-1] * 1000:5.0f} ms"
    )


def report(label: str, runs: list[Run], uv: float) -> dict[str, Any]:
    model = statistics.median(r.model for r in runs)
    filled = statistics.median(r.filled for r in runs)
    scan = [k for r in runs for k in r.scan_keys]
    arrival = [k for r in runs for k in r.arrival_keys]
    after = [k for r in runs for k in r.after_keys]
    print(f"  {label}")
    print(f"    complete model         {model:7.2f} s   {model / uv:.2f}x uv (bar <= {MODEL_BAR}x)")
    print(f"    Packages table full    {filled:7.2f} s   {filled / uv:.2f}x uv")
    print(f"    keys during the scan       {describe(scan)}  (bar <= {KEY_BAR * 1000:.0f} ms)")
    print(f"    keys as the model arrives  {describe(arrival)}")
    print(f"    keys after, tables full    {describe(after)}")
    return {
        "model_s": model,
        "filled_s": filled,
        "model_vs_uv": model / uv,
        "runs": [asdict(r) for r in runs],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between keys")
    parser.add_argument("--after", type=float, default=2.0, help="keys go on this long after")
    parser.add_argument("--baseline-source", help="another checkout, run in turn with this one")
    parser.add_argument("--json", help="write the figures there too")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--source", default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache = os.path.abspath(args.cache)
    if args.one:
        sys.path.insert(0, args.source)
        print(json.dumps(asdict(asyncio.run(one_run(cache, args.interval, args.after)))))
        sys.stdout.flush()
        os._exit(0)  # scans of the other locations may still be running in threads
    sources = {"this source": REPO}
    if args.baseline_source:
        sources["baseline source"] = os.path.abspath(args.baseline_source)
    loads = [os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-tui-keys-") as tmp:
        snapshot_dirs = {label: os.path.join(tmp, str(n)) for n, label in enumerate(sources)}
        uv_cache_size(cache)  # warm-up
        for label, source in sources.items():
            launch(source, cache, args, snapshot_dirs[label])  # warm-up, writes the snapshot
        uvs: list[float] = []
        runs: dict[str, list[Run]] = {label: [] for label in sources}
        for _ in range(args.repeat):
            uvs.append(uv_cache_size(cache))
            for label, source in sources.items():
                runs[label].append(launch(source, cache, args, snapshot_dirs[label]))
    loads.append(os.getloadavg())
    uv = statistics.median(uvs)
    load_text = " → ".join("/".join(f"{x:.1f}" for x in load) for load in loads)
    print(f"{cache}: {args.repeat} runs each, in turn; load average {load_text}")
    print(f"  uv cache size              {uv:7.2f} s")
    figures = {label: report(label, found, uv) for label, found in runs.items()}
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"cache": cache, "uv_s": uvs, "load": loads, **figures}, out, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
