"""What holds the TUI's UI thread while a large cache is scanned and its model shown: one
launch of `bench_tui_keys.py`'s run, with every event-loop step that took long, the
garbage collector's passes, and each key's latency, on one time line.

    uv run python benchmarks/profile_tui_keys.py /tmp/uvb-750k/cache
    uv run python benchmarks/profile_tui_keys.py CACHE --over 0.03 --cprofile 30

- steps: each callback the UI thread's event loop ran (a task's step: one message pump's
  work until it awaits) that took more than `--over` s of wall time, with its thread CPU
  time, the task, and the messages dispatched in it (type -> receiver, own ms).
- gc: every collection, on whichever thread ran it (a collection holds the GIL, so one on
  another thread stalls the UI too), with its generation and duration.
- keys: press time and latency, marked `!` over 100 ms.
- `--cprofile N`: the UI thread's functions, top N by cumulative time, from the model's
  arrival to the table's end (what the arrival costs).

Times are seconds from the app's start. The run launches this checkout's `uvcache_tui`
(or `--source`'s), snapshots in a directory of its own (run it twice to have one shown
first, as `bench_tui_keys.py` does).
"""

from __future__ import annotations

import argparse
import asyncio
import asyncio.events
import cProfile
import gc
import io
import os
import pstats
import sys
import tempfile
import threading
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cache")
    parser.add_argument("--source", default=os.path.dirname(HERE))
    parser.add_argument("--over", type=float, default=0.03, help="report steps over this (s)")
    parser.add_argument("--gc-over", type=float, default=0.01, help="report collections over")
    parser.add_argument("--cprofile", type=int, default=0, help="top N functions on arrival")
    parser.add_argument(
        "--cprofile-from",
        choices=("start", "arrival", "finish", "filled"),
        default="arrival",
        help="profile from the start to the model's arrival, from the model's arrival (to the"
        " end), only its handler, or from the table full (to the end)",
    )
    parser.add_argument("--cprofile-dump", help="also write the profile there (pstats)")
    parser.add_argument("--after", type=float, default=2.0)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--snapshots", help="snapshot dir (default: a temporary one)")
    parser.add_argument(
        "--parts",
        action="store_true",
        help="split each long step into the time of known parts (layout, render, restyle, ...)",
    )
    args = parser.parse_args()
    sys.path.insert(0, args.source)
    os.environ.setdefault(
        "UVCACHE_TUI_SNAPSHOT_DIR", args.snapshots or tempfile.mkdtemp(prefix="profile-tui-")
    )
    import bench_tui_keys
    from textual.message_pump import MessagePump

    cache = os.path.abspath(args.cache)
    t0 = time.perf_counter()
    ui_thread = threading.get_ident()
    steps: list[tuple[float, float, float, str, list[tuple[str, float]]]] = []
    collections: list[tuple[float, float, int, str]] = []
    dispatched: list[tuple[str, float]] = []
    profiler = cProfile.Profile() if args.cprofile else None

    original_run = asyncio.events.Handle._run

    def timed_run(handle: Any) -> None:
        if threading.get_ident() != ui_thread:
            original_run(handle)
            return
        dispatched.clear()
        parts.clear()
        if profiler is not None and not profiling and screens and args.cprofile_from == "filled":
            state = screens[0].states.get(cache)
            view = screens[0].shown_cache_view()
            if state is not None and state.model is not None and view is not None:
                table = view.packages_view.table
                if table.row_count >= len(state.model.packages) and not table.filling:
                    profiling.append(time.perf_counter())
                    profiler.enable()
        start = time.perf_counter()
        cpu = time.thread_time()
        process_cpu = time.process_time()
        original_run(handle)
        wall = time.perf_counter() - start
        if wall > args.over:
            callback = handle._callback
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, asyncio.Task):
                coro = owner.get_coro()
                what = getattr(coro, "__qualname__", repr(coro))
                frame = getattr(coro, "cr_frame", None)
                pump = frame.f_locals.get("self") if frame is not None else None
                if pump is not None:
                    what += f" [{type(pump).__name__}#{getattr(pump, 'id', None)}]"
            else:
                what = repr(callback)[:80]
            big = sorted(dispatched, key=lambda item: -item[1])[:4]
            big += sorted(((f"<{k}>", v) for k, v in parts.items()), key=lambda i: -i[1])
            own = time.thread_time() - cpu
            # The other threads' CPU meanwhile: they hold the GIL the step waits for.
            others = time.process_time() - process_cpu - own
            big.insert(0, ("<other threads' cpu>", others))
            steps.append((start - t0, wall, own, what, big))

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]

    original_dispatch = MessagePump._dispatch_message

    async def timed_dispatch(self: Any, message: Any) -> Any:
        start = time.perf_counter()
        try:
            return await original_dispatch(self, message)
        finally:
            wall = time.perf_counter() - start
            if wall > 0.005:
                name = f"{type(message).__name__} -> {type(self).__name__}#{self.id}"
                dispatched.append((name, wall))

    MessagePump._dispatch_message = timed_dispatch  # type: ignore[method-assign]

    gc_started: dict[int, float] = {}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        ident = threading.get_ident()
        if phase == "start":
            gc_started[ident] = time.perf_counter()
            return
        start = gc_started.pop(ident, None)
        if start is None:
            return
        wall = time.perf_counter() - start
        if wall > args.gc_over:
            where = "UI" if ident == ui_thread else threading.current_thread().name
            collections.append((start - t0, wall, info["generation"], where))

    gc.callbacks.append(on_gc)

    parts: dict[str, float] = {}
    if args.parts:
        time_parts(parts)

    typists: list[Any] = []
    typist_init = bench_tui_keys.Typist.__init__

    def registered(self: Any, *a: Any) -> None:
        typist_init(self, *a)
        typists.append(self)

    bench_tui_keys.Typist.__init__ = registered  # type: ignore[method-assign]
    arrival: list[float] = []
    screens: list[Any] = []
    profiling: list[float] = []
    if profiler is not None:
        from uvcache_tui.tui.screens.main import MainScreen

        finish = MainScreen._finish

        def profiled_finish(self: Any, path: str, *rest: Any) -> None:
            if path == cache and not arrival:
                arrival.append(time.perf_counter())
                screens.append(self)
                if args.cprofile_from == "start":
                    profiler.disable()
                if args.cprofile_from in ("arrival", "finish"):
                    profiling.append(arrival[0])
                    profiler.enable()
            finish(self, path, *rest)
            if args.cprofile_from == "finish" and len(arrival) == 1:
                arrival.append(time.perf_counter())
                profiler.disable()

        MainScreen._finish = profiled_finish  # type: ignore[method-assign]

    if profiler is not None and args.cprofile_from == "start":
        profiling.append(time.perf_counter())
        profiler.enable()
    run = asyncio.run(bench_tui_keys.one_run(cache, args.interval, args.after))
    if profiler is not None:
        profiler.disable()
    gc.callbacks.remove(on_gc)
    model_at = run.model
    filled_at = run.filled
    print(f"model handled at {model_at:.2f} s, table full at {filled_at:.2f} s")
    keys = [("scan", k) for k in run.scan_keys]
    keys += [("arrival", k) for k in run.arrival_keys] + [("after", k) for k in run.after_keys]
    for phase in ("scan", "arrival", "after"):
        found = sorted(k for p, k in keys if p == phase)
        if found:
            print(
                f"  keys {phase:8s} {len(found):4d}: median {found[len(found) // 2] * 1000:4.0f} ms,"
                f" worst {found[-1] * 1000:4.0f} ms"
            )
    events: list[tuple[float, str]] = []
    for start, wall, cpu, what, big in steps:
        inner = "; ".join(f"{name} {ms * 1000:.0f}" for name, ms in big)
        events.append(
            (start, f"step {wall * 1000:5.0f} ms (cpu {cpu * 1000:4.0f}) {what}  {inner}")
        )
    for pressed, answered in typists[0].presses if typists else []:
        late = answered - pressed
        mark = "!" if late > 0.1 else " "
        if late > 0.05:
            events.append((pressed - t0, f"key{mark} {late * 1000:5.0f} ms"))
    for start, wall, generation, where in collections:
        events.append((start, f"gc{generation} {wall * 1000:5.0f} ms on {where}"))
    for start, line in sorted(events):
        print(f"{start:7.3f} {line}")
    if profiler is not None:
        out = io.StringIO()
        if args.cprofile_dump:
            profiler.dump_stats(args.cprofile_dump)
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(args.cprofile)
        stats.sort_stats("tottime").print_stats(args.cprofile)
        print(out.getvalue())
    sys.stdout.flush()
    os._exit(0)


PARTS = (
    "textual.screen:Screen._refresh_layout",
    "textual._compositor:Compositor.reflow",
    "textual.screen:Screen._compositor_refresh",
    "textual.css.stylesheet:Stylesheet.update_nodes",
    "textual.app:App._register",
    "textual.widgets._tabbed_content:TabbedContent._watch_active",
    "textual.screen:Screen.set_focus",
    "textual.widgets._content_switcher:ContentSwitcher.watch_current",
    "textual.widget:Widget.compose_add_child",
    "textual.css.stylesheet:Stylesheet.apply",
    "textual.widgets._data_table:DataTable._render_line_in_row",
    "textual.widgets._data_table:DataTable._render_cell",
    "uvcache_tui.tui.widgets.table_columns:FittedTable._add_rows",
    "uvcache_tui.tui.widgets.table_columns:FittedTable.set_columns",
    "uvcache_tui.tui.widgets.table_columns:FittedTable.render_lines",
    "uvcache_tui.tui.widgets.table_columns:FittedTable._update_dimensions",
    "uvcache_tui.tui.widgets.packages_table:PackagesView._fill",
    "uvcache_tui.tui.widgets.package_figures:sorted_packages",
    "uvcache_tui.tui.widgets.cache_view:CacheView.show_model",
    "uvcache_tui.tui.widgets.cache_view:CacheHeader.show_model",
    "uvcache_tui.tui.widgets.bucket_bar:BucketBar.set_buckets",
    "uvcache_tui.tui.widgets.buckets_table:BucketsTable.show_model",
    "uvcache_tui.tui.widgets.packages_table:PackagesView.show_model",
    "uvcache_tui.tui.widgets.files_view:FilesView.show_scan",
    "uvcache_tui.tui.widgets.info_view:InfoView.show_model",
    "uvcache_tui.tui.widgets.interpreters_view:InterpretersView.show_model",
    "uvcache_tui.core.dir_listing:archive_folder_labels",
    "textual.screen:Screen.refresh_bindings",
    "uvcache_tui.tui.screens.main:MainScreen._finish",
    "uvcache_tui.tui.screens.main:MainScreen.refresh_detail",
    "uvcache_tui.tui.heap:settle_young",
)
"""What `--parts` times inside each long step (module:attribute path), outermost calls only."""


def time_parts(parts: dict[str, float]) -> None:
    """Wrap each of `PARTS` so its UI-thread time adds to `parts` (outermost calls only)."""
    import functools
    import importlib
    import inspect

    ui_thread = threading.get_ident()
    depth: dict[str, int] = {}

    def timed(name: str, function: Any) -> Any:
        if inspect.iscoroutinefunction(function):
            raise ValueError(f"{name}: a coroutine spans steps, time its parts instead")

        @functools.wraps(function)
        def wrapped(*a: Any, **k: Any) -> Any:
            if threading.get_ident() != ui_thread or depth.get(name):
                return function(*a, **k)
            depth[name] = 1
            start = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                depth[name] = 0
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - start

        return wrapped

    from textual.widget import Widget

    render_lines = Widget.render_lines

    def widget_render_lines(self: Any, crop: Any) -> Any:
        # Every widget's own drawing, by type (a type overriding it is timed through super).
        if threading.get_ident() != ui_thread or depth.get("render"):
            return render_lines(self, crop)
        depth["render"] = 1
        start = time.perf_counter()
        try:
            return render_lines(self, crop)
        finally:
            depth["render"] = 0
            name = f"draw {type(self).__name__}"
            parts[name] = parts.get(name, 0.0) + time.perf_counter() - start

    Widget.render_lines = widget_render_lines  # type: ignore[method-assign]

    for spec in PARTS:
        module_name, _, path = spec.partition(":")
        owner: Any = importlib.import_module(module_name)
        *outer, attr = path.split(".")
        for step in outer:
            owner = getattr(owner, step)
        short = path.rsplit(".", 1)[-1] if outer else path
        label = f"{outer[-1]}.{short}" if outer else short
        setattr(owner, attr, timed(label, owner.__dict__[attr] if outer else getattr(owner, attr)))


if __name__ == "__main__":
    sys.exit(main())
