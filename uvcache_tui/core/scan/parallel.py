"""The parallel walk: the same `ScanResult` as the serial walk, sooner, on several processes.

The single-process walk is bound by Python's per-entry work (a `DirEntry` and a stat
result per file) and by the kernel's, and threads do not help (the GIL is handed over on
every syscall). Processes do: the parent lists the top of the tree itself (level by level
until there are enough subtrees, e.g. the root, the buckets and `archive-v0/*`), forks
worker processes that walk those subtrees ("units", handed out in chunks), and builds
their compact per-directory records back into one `DirNode` tree.

Everything that depends on the walk order is merged in the order the single-process walk
would have met it (depth first, the last listed first): problems (the first 200 are kept)
and the links of multi-link files, gathered in that order and resolved once the walk is
over (`links.resolve_links`: an inode with links in two chunks becomes one record, exactly
as if one walker had met both links), and so `shared_inodes`. Directory loops (bind mounts) are the
one thing a split walk cannot reproduce exactly (which occurrence wins depends on the
order); when any is met, or two workers met the same directory, the scan is redone in one
process.

Forking is only safe from a single-threaded process (the TUI scans in worker threads), so
`scan()` (the package's entry) walks serially whenever other threads exist or on platforms
other than Linux (`fork_is_safe`); this walk itself stays in this process when the tree is
too small to split. The workers' side is in `worker`, the split in `plan`.

Longer than ~400 lines because the parent's loop over its workers (`_run_workers`) and the
merges it drives share one state; split further, each part would only make sense with the
others open next to it.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from uvcache_tui.core.model import ProblemLog, ScanProgress
from uvcache_tui.core.scan.launch import EXEC, FORK, Workers, start_workers
from uvcache_tui.core.scan.links import LinkRecords, finish, resolve_links
from uvcache_tui.core.scan.node import DirNode
from uvcache_tui.core.scan.plan import Chunk, Item, plan_chunks, walk_order
from uvcache_tui.core.scan.serial import scan_serial
from uvcache_tui.core.scan.tree import ScanResult, ScanStats
from uvcache_tui.core.scan.walk import (
    CancelCheck,
    ProgressCallback,
    WalkState,
    problem_for,
    walk_dirs,
)
from uvcache_tui.core.scan.worker import SLOT, build_tree, unpack_links

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

MAX_WORKERS = 4
UNITS_PER_WORKER = 16
"""The parent lists level after level until there are this many subtrees per worker."""
MAX_EXPAND_LEVELS = 3
IN_FLIGHT = 2
"""Chunks queued per worker, so none waits for the parent between two chunks."""


def worker_count() -> int:
    """One worker per CPU this process may run on, at most MAX_WORKERS."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_WORKERS))


def fork_is_safe() -> bool:
    """Forking copies only the calling thread: unsafe while other threads may hold locks."""
    return sys.platform.startswith("linux") and threading.active_count() == 1


def start_method() -> str | None:
    """How workers start here (`launch`): forked from a single-threaded process (the CLI),
    as fresh interpreters where threads run (the TUI's workers); None: not on Linux."""
    if not sys.platform.startswith("linux"):
        return None
    return FORK if fork_is_safe() else EXEC


def scan_parallel(
    root: str,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    workers: int = 2,
    progress_interval: float = 0.1,
    background: Callable[[], object] | None = None,
    method: str = FORK,
) -> ScanResult:
    """Scan `root` on `workers` processes started by `method` (`launch.FORK` only where
    `fork_is_safe()`, else `launch.EXEC`; see `start_method`).

    Walks in this process when the tree does not split into at least two subtrees, and
    again with the serial walk when a split walk cannot give its result (see `_Fallback`).
    Progress and cancellation work as with the serial walk.

    `background`: run in a thread of this process while the workers walk (started after
    they are forked, finished before this returns); not run at all without workers.
    """
    return _ParallelScan(
        root, progress, cancelled, progress_interval, workers, background, method
    ).run()


class _Fallback(Exception):
    """The parallel walk cannot give the single-process result: walk again in one process."""


class _ParallelScan:
    def __init__(
        self,
        root: str,
        progress: ProgressCallback | None,
        cancelled: CancelCheck | None,
        interval: float,
        workers: int,
        background: Callable[[], object] | None = None,
        method: str = FORK,
    ) -> None:
        self.background = background
        self.method = method
        self.root_path = os.path.abspath(root)
        self.progress = progress
        self.cancelled = cancelled
        self.interval = interval
        self.workers = workers
        self.root = DirNode("", None)
        self.problems = ProblemLog()
        self.links = LinkRecords()
        """Every part's multi-link files, in walk order (`links.resolve_links`)."""
        self.stats = ScanStats(walk="parallel", start_method=method)
        self.state = WalkState()
        self.shared: Any = None
        """The workers' progress slots (a shared-memory byte array, see `worker.SLOT`)."""
        self.started_workers = 0

    def run(self) -> ScanResult:
        started = self.started = time.monotonic()
        try:
            was_cancelled = self._run()
        except _Fallback as reason:
            self.stats.fallback = str(reason)
            result = scan_serial(
                self.root_path, self.progress, self.cancelled, self.interval, self.stats
            )
        else:
            result = ScanResult(self.root_path, self.root, self.problems, cancelled=was_cancelled)
            result.stats = self.stats
            self.stats.walked_s = time.monotonic() - started
            result.shared_inodes = finish(self.root, resolve_links(self.links), self.state.ints)
            self.links = LinkRecords()
        result.elapsed = time.monotonic() - started
        return result

    # ------------------------------------------------------------------ the parent's part

    def _run(self) -> bool:
        """Walk the tree into self.root, self.problems and self.links; True if cancelled."""
        try:
            root_stat = os.lstat(self.root_path)
        except OSError as exc:
            self.problems.add(problem_for(exc, self.root_path))
            self.root.complete = False
            return False
        self.root.own_alloc = root_stat.st_blocks * 512
        self.root.own_apparent = root_stat.st_size
        self.state.total_alloc = self.root.own_alloc
        self.root_dev = root_stat.st_dev
        self.visited: set[object] = {root_stat.st_ino}
        top = Item(self.root_path, self.root)
        cancelled = self._expand(top)
        self.stats.expanded_s = time.monotonic() - self.started
        sequence = walk_order(top)
        units = [item for item in sequence if item.children is None]
        if cancelled:
            self._merge_segments(sequence)
            return True
        if self.state.loops:
            raise _Fallback("directory loop")
        if len(units) < 2:
            return self._finish_here(sequence)
        return self._run_workers(sequence, units)

    def _expand(self, top: Item) -> bool:
        """List the top levels in this process until there are enough units for the workers."""
        frontier = [top]
        target = self.workers * UNITS_PER_WORKER
        for _ in range(MAX_EXPAND_LEVELS):
            next_frontier: list[Item] = []
            for item in frontier:
                if self._list(item):
                    return True
                assert item.children is not None
                next_frontier.extend(item.children)
            frontier = next_frontier
            if len(frontier) >= target or not frontier:
                break
        return False

    def _list(self, item: Item) -> bool:
        found: list[tuple[str, DirNode]] = []
        item.problems = ProblemLog()
        item.links = LinkRecords()
        cancelled = walk_dirs(
            [(item.path, item.node)],
            found,
            self.root_dev,
            self.visited,
            item.links,
            item.problems,
            self.state,
            self.progress,
            self.cancelled,
            self.interval,
        )
        item.children = [Item(path, node) for path, node in reversed(found)]
        return cancelled

    def _finish_here(self, sequence: list[Item]) -> bool:
        """Too little to split: walk the units in this process, in walk order."""
        for position, item in enumerate(sequence):
            if item.children is not None:
                self._merge_segment(item)
                continue
            stack = [(item.path, item.node)]
            if walk_dirs(
                stack,
                stack,
                self.root_dev,
                self.visited,
                self.links,
                self.problems,
                self.state,
                self.progress,
                self.cancelled,
                self.interval,
            ):
                # Partial: the dirs listed here after this point still bring their
                # problems and multi-link inodes.
                self._merge_segments(sequence[position + 1 :])
                return True
        if self.state.loops:
            raise _Fallback("directory loop")
        self._report(self.root_path)
        return False

    def _merge_segments(self, sequence: list[Item]) -> None:
        for item in sequence:
            if item.problems is not None:
                self._merge_segment(item)

    def _merge_segment(self, item: Item) -> None:
        assert item.problems is not None and item.links is not None
        _merge_problems(self.problems, item.problems)
        self.links.extend_from(item.links)

    def _report(self, current: str) -> None:
        """Progress: what this process listed plus what each worker counted so far."""
        progress = self.progress
        if progress is None:
            return
        state = self.state
        entries, allocated, dirs = state.entries, state.total_alloc, state.dirs_done
        shared = self.shared
        if shared is not None:
            for slot in range(self.started_workers):
                slot_entries, slot_alloc, slot_dirs = SLOT.unpack_from(shared, slot * SLOT.size)
                entries += slot_entries
                allocated += slot_alloc
                dirs += slot_dirs
        progress(ScanProgress(entries, allocated, current, dirs))

    def _run_workers(self, sequence: list[Item], units: list[Item]) -> bool:
        from multiprocessing.connection import wait

        steps, chunks = plan_chunks(sequence, self.workers)
        workers = min(self.workers, len(chunks))
        started = Workers()
        processes = started.processes
        conns = started.conns
        in_flight: dict[Connection, int] = {}
        base_visited = self.visited
        self.stats.workers = workers
        self.stats.units = len(units)
        self.stats.chunks = len(chunks)
        next_chunk = 0
        merged_steps = 0
        current = self.root_path
        worker_keys: list[Sequence[object]] = []
        worker_rss: list[tuple[int, int, float, float]] = []
        cancelled = finished = False
        helper: threading.Thread | None = None

        def send_chunk(conn: Connection) -> None:
            """The next chunk in order, to this worker."""
            nonlocal next_chunk, current
            chunk = chunks[next_chunk]
            _send(conn, (next_chunk, chunk.start, chunk.stop))
            in_flight[conn] += 1
            current = units[chunk.start].path
            next_chunk += 1

        try:
            try:
                specs = [(u.path, u.node.own_alloc, u.node.own_apparent) for u in units]
                try:
                    start_workers(self.method, workers, specs, self.root_dev, base_visited, started)
                finally:
                    self.shared = started.shared
                    self.started_workers = len(processes)
                    in_flight.update((conn, 0) for conn in conns)
            except (OSError, EOFError, ValueError) as exc:  # out of processes, memory or
                # descriptors; a worker interpreter that went away at once
                raise _Fallback(f"cannot start the workers: {exc!r}") from exc
            self.stats.forked_s = time.monotonic() - self.started
            if self.background is not None:
                # Threads only now: every fork is done.
                helper = threading.Thread(target=self.background, name="scan-background")
                helper.start()
            for _ in range(IN_FLIGHT):
                for conn in conns:
                    if next_chunk < len(chunks):
                        send_chunk(conn)
            for conn in conns:
                if in_flight[conn] == 0:
                    _send(conn, None)
            active = list(conns)
            # Wake up now and then for progress and cancellation (never busy-wait).
            waiting = None
            if self.progress is not None or self.cancelled is not None:
                waiting = max(self.interval, 0.01)
            next_report = 0.0
            while active:
                for ready in wait(active, waiting):
                    conn = cast("Connection", ready)
                    try:
                        message = conn.recv()
                    except (EOFError, OSError) as exc:
                        raise _Fallback(f"worker lost: {exc!r}") from exc
                    kind = message[0]
                    if kind == "chunk":
                        _, index, names, parents, figures, incomplete, links, problems = message
                        chunk = chunks[index]
                        if isinstance(links, str):  # worker.LOOP
                            raise _Fallback("directory loop")
                        chunk.nodes = build_tree(
                            [units[i].node for i in range(chunk.start, chunk.stop)],
                            names,
                            parents,
                            figures,
                            incomplete,
                            self.state,
                        )
                        chunk.links = links
                        chunk.problems = problems
                        chunk.done = True
                        in_flight[conn] -= 1
                        if next_chunk < len(chunks):
                            send_chunk(conn)
                        elif in_flight[conn] == 0:
                            _send(conn, None)
                        merged_steps = self._merge_steps(steps, merged_steps)
                    elif kind == "done":
                        worker_keys.append(message[1])
                        worker_rss.append(message[2])
                        active.remove(conn)
                    else:
                        raise _Fallback(f"worker failed: {message[1]}")
                if self.cancelled is not None and self.cancelled():
                    cancelled = True
                    break
                if self.progress is not None:
                    now = time.monotonic()
                    if now >= next_report:
                        next_report = now + self.interval
                        self._report(current)
            else:
                finished = True
                self._report(self.root_path)
        finally:
            # Normally every worker has exited by now; otherwise (cancelled, a fallback,
            # an exception such as KeyboardInterrupt here) they are stopped.
            for worker in processes:
                if not finished:
                    worker.terminate()
                worker.join(timeout=5)
                if worker.is_alive():
                    worker.kill()
                    worker.join()
            self.shared = None
            started.close()
            if helper is not None:
                helper.join()
        if cancelled:
            # A partial tree: what the finished chunks found, and the problems and
            # multi-link inodes of every dir listed here.
            for step in steps[merged_steps:]:
                if isinstance(step, Item):
                    self._merge_segment(step)
                elif step.done:
                    self._merge_chunk(step)
            return True
        assert merged_steps == len(steps)
        _check_disjoint(worker_keys)
        self.stats.worker_max_rss_kib = [usage[0] for usage in worker_rss]
        self.stats.worker_private_kib = [usage[1] for usage in worker_rss]
        self.stats.worker_cpu_s = [(usage[2], usage[3]) for usage in worker_rss]
        return False

    def _merge_steps(self, steps: list[Item | Chunk], merged: int) -> int:
        """Merge segments and finished chunks in walk order, as far as they are there."""
        while merged < len(steps):
            step = steps[merged]
            if isinstance(step, Item):
                self._merge_segment(step)
            elif step.done:
                self._merge_chunk(step)
            else:
                break
            merged += 1
        return merged

    def _merge_chunk(self, chunk: Chunk) -> None:
        assert chunk.problems is not None and chunk.nodes is not None
        _merge_problems(self.problems, chunk.problems)
        links = chunk.links
        nodes = chunk.nodes
        chunk.nodes = chunk.links = chunk.problems = None
        if links is not None:
            unpack_links(nodes, links, self.links)


def _send(conn: Connection, message: object) -> None:
    """Send to a worker; one that is gone means a fallback (with its error, if it sent one)."""
    try:
        conn.send(message)
    except OSError as exc:
        reason = f"worker lost: {exc!r}"
        with contextlib.suppress(OSError, EOFError):
            while conn.poll(0):
                answer = conn.recv()
                if answer[0] == "error":
                    reason = f"worker failed: {answer[1]}"
                    break
        raise _Fallback(reason) from exc


def _merge_problems(into: ProblemLog, part: ProblemLog) -> None:
    """Append one part's problems, as if they had been added one by one."""
    for kind, count in part.counts.items():
        into.counts[kind] = into.counts.get(kind, 0) + count
    room = into.limit - len(into.samples)
    if room > 0:
        into.samples.extend(part.samples[:room])


def _check_disjoint(worker_keys: list[Sequence[object]]) -> None:
    """No directory may have been walked by two workers (a bind mount across units).

    Each worker's keys are distinct already (it detects loops itself)."""
    if len(worker_keys) < 2:
        return
    seen = set(worker_keys[0])
    for keys in worker_keys[1:-1]:
        if not seen.isdisjoint(keys):
            raise _Fallback("a directory met by two workers")
        seen.update(keys)
    if not seen.isdisjoint(worker_keys[-1]):
        raise _Fallback("a directory met by two workers")
