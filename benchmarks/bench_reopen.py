"""Instant reopen: how soon the last figures are on screen after launch, next to the first
frame of a minimal Textual app, in one run, taken in turn.

For each cache given: one full scan writes its snapshot (not timed), then `--repeat`
rounds of launches, each a fresh process, headless at 120x40:
- `minimal`: a Textual app with one Static; time to its first frame;
- `reopen`: uvcache-tui (real uv, BuildKit section on, Docker unreachable), the cache as
  uv's active cache; time to the first frame that shows the snapshot's figures;
- `first`: the same app; time to its first frame, whatever it shows (the floor: what
  composing and painting uvcache-tui's screen costs before any figure).
A frame is timed when the app hands it to the driver (`App._display`), after its text is
rendered as a terminal would get it (the headless driver writes nothing); the reopen frame
is the first whose text holds "Last figures". Timing the frame itself, not a callback run
after it, leaves out whatever the app does once the figures are painted.
Each child reports two times: from the parent's spawn (Python start and imports
included) and from `App.run` (the app's own work), and the CPU time the process used until
that frame (start and imports included: what a loaded machine stretches, so its ratio is the
steadier one). The bars: in-app ≤ 0.3 s, and spawn-to-figures ≤ 1.5x the minimal app's
spawn-to-first-frame.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/bench/docker.sock"}
FIGURES = "Last figures"
"""The snapshot summary's first words (`tui.snapshots.snapshot_summary`)."""


def time_frames(app: Any, times: dict[str, float], wanted: Callable[[str], bool]) -> None:
    """Wrap the app's `_display`: the first frame whose text passes `wanted` is timed, the
    times printed, and the process ends (scans may still be walking: the frame is what is
    measured)."""
    from textual._compositor import CompositorUpdate

    display = app._display

    def timed(screen: Any, update: Any) -> None:
        display(screen, update)
        if update is None or app._batch_count or not isinstance(update, CompositorUpdate):
            return
        if wanted(update.render_segments(app.console)):
            times["frame"] = time.time()
            times["cpu"] = time.process_time()
            print(json.dumps(times), flush=True)
            os._exit(0)

    app._display = timed


def child_minimal() -> dict[str, float]:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    times: dict[str, float] = {}

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("first frame")

    app = Minimal()
    time_frames(app, times, lambda text: True)
    times["app"] = time.time()
    app.run(headless=True, size=(120, 40))
    return times


def child_reopen(cache: str, uv: str, first_frame: bool) -> dict[str, float]:
    from uvcache_tui.core.uvbin import UvBinary
    from uvcache_tui.tui.app import UvCacheApp

    times: dict[str, float] = {}
    env = {**os.environ, "UV_CACHE_DIR": cache}
    app = UvCacheApp(uv=UvBinary(uv, env=env), docker_env={**os.environ, **NO_DOCKER})
    time_frames(app, times, (lambda text: True) if first_frame else (lambda text: FIGURES in text))
    times["app"] = time.time()
    app.run(headless=True, size=(120, 40))
    return times


def spawn(kind: str, cache: str, uv: str, snapshots: str, source: str = REPO) -> dict[str, float]:
    """One child; `source` is the checkout whose uvcache_tui it imports."""
    # Compiled modules kept as an installed tool keeps them (this VM sets
    # PYTHONDONTWRITEBYTECODE): the warm-up run writes them, the measured runs read them.
    env = {
        **os.environ,
        "UVCACHE_TUI_SNAPSHOT_DIR": snapshots,
        "PYTHONPATH": source,
        "PYTHONPYCACHEPREFIX": os.path.join(snapshots, ".pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [sys.executable, __file__, "--child", kind, "--uv", uv, cache]
    started = time.time()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=True)
    times = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "spawn": times["frame"] - started,
        "app": times["frame"] - times["app"],
        "cpu": times["cpu"],
    }


def keep_snapshot(cache: str, snapshots: str) -> None:
    from uvcache_tui.core.buckets import table_for
    from uvcache_tui.core.cache import load_cache
    from uvcache_tui.core.snapshot import identity_of, load_snapshot, save_snapshot, take_snapshot

    identity = identity_of(cache)
    assert identity is not None
    snapshot = take_snapshot(load_cache(cache, table_for(None)), identity)
    assert snapshot is not None
    written = save_snapshot(snapshot, snapshots)
    assert written is not None and load_snapshot(snapshots, cache).snapshot == snapshot
    print(
        f"{cache}: {snapshot.totals.files:,} files, snapshot {os.path.getsize(written):,} bytes",
        file=sys.stderr,
    )


def measure(cache: str, uv: str, repeat: int, baseline: str | None) -> dict[str, float]:
    """Medians by kind; with a baseline checkout, its `first` and `reopen` launches are taken
    in the same rounds (keys prefixed `base_`)."""
    snapshots = tempfile.mkdtemp(prefix="bench-reopen-")
    keep_snapshot(cache, snapshots)
    runs: dict[str, list[float]] = {}
    sources = {"": REPO} | ({"base_": baseline} if baseline else {})
    spawn("minimal", cache, uv, snapshots)  # warm-up: bytecode, page cache
    for source in sources.values():
        spawn("reopen", cache, uv, snapshots, source)
    for _ in range(repeat):
        launches = [("", "minimal")] + [(p, k) for p in sources for k in ("first", "reopen")]
        for prefix, kind in launches:
            times = spawn(kind, cache, uv, snapshots, sources[prefix])
            runs.setdefault(f"{prefix}{kind}", []).append(times["spawn"])
            runs.setdefault(f"{prefix}{kind}_app", []).append(times["app"])
            runs.setdefault(f"{prefix}{kind}_cpu", []).append(times["cpu"])
    return {key: statistics.median(values) for key, values in runs.items()}


def report(medians: dict[str, float], prefix: str, name: str) -> None:
    ratio = medians[f"{prefix}reopen"] / medians["minimal"]
    print(
        f"  {name}, first frame: {medians[f'{prefix}first']:.3f} s from spawn, "
        f"{medians[f'{prefix}first_app']:.3f} s from App.run"
    )
    cpu = medians[f"{prefix}reopen_cpu"]
    print(
        f"  {name}, last figures on screen: {medians[f'{prefix}reopen']:.3f} s from spawn "
        f"({ratio:.2f}x the minimal app), {medians[f'{prefix}reopen_app']:.3f} s from App.run; "
        f"CPU {cpu:.3f} s ({cpu / medians['minimal_cpu']:.2f}x the minimal app's)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("caches", nargs="*")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--uv", default=os.path.join(REPO, ".venv", "bin", "uv"))
    parser.add_argument("--child", choices=("minimal", "first", "reopen"))
    parser.add_argument(
        "--baseline-source",
        help="another checkout (e.g. `git archive` of main) launched in the same rounds",
    )
    args = parser.parse_args()
    if args.child == "minimal":
        print(json.dumps(child_minimal()), flush=True)
        return
    if args.child in ("first", "reopen"):
        child_reopen(args.caches[0], args.uv, first_frame=args.child == "first")
        return
    baseline = os.path.abspath(args.baseline_source) if args.baseline_source else None
    for cache in args.caches:
        medians = measure(os.path.abspath(cache), args.uv, args.repeat, baseline)
        print(f"{cache} (medians of {args.repeat}; load {os.getloadavg()})")
        print(
            f"  minimal Textual app, first frame: {medians['minimal']:.3f} s from spawn, "
            f"{medians['minimal_app']:.3f} s from App.run; CPU {medians['minimal_cpu']:.3f} s"
        )
        report(medians, "", "uvcache-tui")
        if baseline:
            report(medians, "base_", f"baseline ({baseline})")


if __name__ == "__main__":
    main()
