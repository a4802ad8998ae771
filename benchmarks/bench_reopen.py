"""Instant reopen: how soon the last figures are on screen after launch, next to the first
frame of a minimal Textual app, in one run, taken in turn.

For each cache given: one full scan writes its snapshot (not timed), then `--repeat` pairs
of launches, each a fresh process, headless:
- `minimal`: a Textual app with one Static; time to its first frame;
- `reopen`: uvcache-tui (real uv, BuildKit section on, Docker unreachable), the cache as
  uv's active cache; time to the first frame that shows the snapshot's figures;
- `first`: the same app; time to its first frame, whatever it shows (the floor: what
  composing and painting uvcache-tui's screen costs before any figure).
Each child reports two times: from the parent's spawn (Python start and imports
included) and from `App.run` (the app's own work). The bars: in-app ≤ 0.3 s, and
spawn-to-figures ≤ 1.5x the minimal app's spawn-to-first-frame.
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

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/bench/docker.sock"}


def child_minimal() -> dict[str, float]:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    times: dict[str, float] = {}

    class Minimal(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("first frame")

        def on_mount(self) -> None:
            self.call_after_refresh(self.painted)

        def painted(self) -> None:
            times["frame"] = time.time()
            self.exit()

    times["app"] = time.time()
    Minimal().run(headless=True, size=(120, 40))
    return times


def child_reopen(cache: str, uv: str, first_frame: bool) -> dict[str, float]:
    from textual.widgets import ContentSwitcher

    from uvcache_tui.core.uvbin import UvBinary
    from uvcache_tui.tui.app import UvCacheApp
    from uvcache_tui.tui.screens.main import MainScreen

    times: dict[str, float] = {}

    class Timed(UvCacheApp):
        def on_mount(self) -> None:
            if first_frame:
                times["shown"] = time.time()
                self.call_after_refresh(self.painted)
            else:
                self.set_interval(0.002, self.check)

        def check(self) -> None:
            if "shown" in times or not isinstance(self.screen, MainScreen):
                return
            state = self.screen.selected_state
            switcher = self.screen.query_one("#detail-switcher", ContentSwitcher)
            if state is not None and state.snapshot is not None and switcher.current == "notice":
                times["shown"] = time.time()
                self.call_after_refresh(self.painted)

        def painted(self) -> None:
            times["frame"] = time.time()
            print(json.dumps(times), flush=True)
            os._exit(0)  # scans may still be walking: the figures are what is measured

    env = {**os.environ, "UV_CACHE_DIR": cache}
    app = Timed(uv=UvBinary(uv, env=env), docker_env={**os.environ, **NO_DOCKER})
    times["app"] = time.time()
    app.run(headless=True, size=(120, 40))
    return times


def spawn(kind: str, cache: str, uv: str, snapshots: str) -> dict[str, float]:
    # Compiled modules kept as an installed tool keeps them (this VM sets
    # PYTHONDONTWRITEBYTECODE): the warm-up run writes them, the measured runs read them.
    env = {
        **os.environ,
        "UVCACHE_TUI_SNAPSHOT_DIR": snapshots,
        "PYTHONPATH": REPO,
        "PYTHONPYCACHEPREFIX": os.path.join(snapshots, ".pycache"),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    argv = [sys.executable, __file__, "--child", kind, "--uv", uv, cache]
    started = time.time()
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=True)
    times = json.loads(out.stdout.strip().splitlines()[-1])
    return {"spawn": times["frame"] - started, "app": times["frame"] - times["app"]}


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


def measure(cache: str, uv: str, repeat: int) -> dict[str, float]:
    snapshots = tempfile.mkdtemp(prefix="bench-reopen-")
    keep_snapshot(cache, snapshots)
    runs: dict[str, list[float]] = {}
    spawn("minimal", cache, uv, snapshots)  # warm-up: bytecode, page cache
    spawn("reopen", cache, uv, snapshots)
    for _ in range(repeat):
        for kind in ("minimal", "first", "reopen"):
            times = spawn(kind, cache, uv, snapshots)
            runs.setdefault(kind, []).append(times["spawn"])
            runs.setdefault(f"{kind}_app", []).append(times["app"])
    return {key: statistics.median(values) for key, values in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("caches", nargs="*")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--uv", default=os.path.join(REPO, ".venv", "bin", "uv"))
    parser.add_argument("--child", choices=("minimal", "first", "reopen"))
    args = parser.parse_args()
    if args.child == "minimal":
        print(json.dumps(child_minimal()), flush=True)
        return
    if args.child in ("first", "reopen"):
        child_reopen(args.caches[0], args.uv, first_frame=args.child == "first")
        return
    for cache in args.caches:
        medians = measure(os.path.abspath(cache), args.uv, args.repeat)
        ratio = medians["reopen"] / medians["minimal"]
        print(f"{cache} (medians of {args.repeat}; load {os.getloadavg()})")
        print(
            f"  minimal Textual app, first frame: {medians['minimal']:.3f} s from spawn, "
            f"{medians['minimal_app']:.3f} s from App.run"
        )
        print(
            f"  uvcache-tui, first frame: {medians['first']:.3f} s from spawn, "
            f"{medians['first_app']:.3f} s from App.run"
        )
        print(
            f"  uvcache-tui, last figures on screen: {medians['reopen']:.3f} s from spawn "
            f"({ratio:.2f}x the minimal app), {medians['reopen_app']:.3f} s from App.run"
        )


if __name__ == "__main__":
    main()
