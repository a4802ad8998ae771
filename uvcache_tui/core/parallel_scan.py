"""The walker on several processes: the same `ScanResult` as `scan.scan`, sooner.

The single-process walk is bound by Python's per-entry work (a `DirEntry` and a stat
result per file) and by the kernel's, and threads do not help (the GIL is handed over on
every syscall). Processes do: the parent lists the top of the tree itself (level by level
until there are enough subtrees, e.g. the root, the buckets and `archive-v0/*`), forks
worker processes that walk those subtrees ("units", handed out in chunks), and builds
their compact per-directory records back into one `DirNode` tree.

Everything that depends on the walk order is merged in the order the single-process walk
would have met it (depth first, the last listed first): problems (the first 200 are kept),
multi-link inodes (an inode with links in two chunks becomes one record, exactly as if one
walker had met both links) and so `shared_inodes`. Directory loops (bind mounts) are the
one thing a split walk cannot reproduce exactly (which occurrence wins depends on the
order); when any is met, or two workers met the same directory, the scan is redone in one
process.

Forking is only safe from a single-threaded process (the TUI scans in worker threads), so
`scan` falls back to the single-process walker whenever other threads exist, on platforms
other than Linux, or when the tree is too small to split.
"""

from __future__ import annotations

import contextlib
import gc
import mmap
import os
import signal
import struct
import sys
import threading
import time
import traceback
from array import array
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from uvcache_tui.core.model import ProblemLog, ScanProgress
from uvcache_tui.core.scan import (
    CancelCheck,
    DirNode,
    Linked,
    LinkRecords,
    ProgressCallback,
    Scanner,
    ScanResult,
    WalkState,
    _finish,
    _LinkedInode,
    _problem_for,
    _walk_tree,
)

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from multiprocessing.process import BaseProcess

MAX_WORKERS = 4
UNITS_PER_WORKER = 16
"""The parent lists level after level until there are this many subtrees per worker."""
MAX_EXPAND_LEVELS = 3
MAX_CHUNK = 256
"""Units per chunk at most (chunks shrink towards the end, so the workers finish together)."""
IN_FLIGHT = 2
"""Chunks queued per worker, so none waits for the parent between two chunks."""

_SLOT = struct.Struct("qqq")  # entries, allocated, dirs: one worker's progress

last_stats: dict[str, Any] = {}
"""Figures of the last `scan` in this process (workers, chunks, their peak RSS), for benchmarks."""


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


def scan(
    root: str,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    workers: int | None = None,
    progress_interval: float = 0.1,
    background: Callable[[], object] | None = None,
) -> ScanResult:
    """Scan `root` once, on `workers` processes (default: one per CPU, at most 4).

    Falls back to the single-process `scan.Scanner` when forking is not safe (see
    `fork_is_safe`), when `workers` < 2, and when the tree does not split into at least
    two subtrees. Progress and cancellation work as with `scan.scan`.

    `background`: run in a thread of this process while the workers walk (started after
    they are forked, finished before this returns); not run at all without workers.
    """
    last_stats.clear()
    wanted = worker_count() if workers is None else workers
    if wanted < 2 or not fork_is_safe():
        last_stats["workers"] = 0
        return Scanner(root, progress, cancelled, progress_interval).run()
    return _ParallelScan(root, progress, cancelled, progress_interval, wanted, background).run()


class _Item:
    """A directory the parent listed (a segment of the walk) or left to a worker (a unit)."""

    __slots__ = ("path", "node", "children", "problems", "records")

    def __init__(self, path: str, node: DirNode) -> None:
        self.path = path
        self.node = node
        self.children: list[_Item] | None = None
        """Subdirectories in walk order, once listed by the parent; None for a unit."""
        self.problems: ProblemLog | None = None
        self.records: LinkRecords | None = None


class _Chunk:
    """Consecutive units (indices into the unit list) of one parent directory."""

    __slots__ = ("start", "stop", "nodes", "records", "problems", "done")

    def __init__(self, start: int, stop: int) -> None:
        self.start = start
        self.stop = stop
        self.nodes: list[DirNode] | None = None
        """The chunk's unit roots, then every directory below them, as the worker sent them."""
        self.records: Any = None
        """Its multi-link inodes, as `_pack_records` sent them."""
        self.problems: ProblemLog | None = None
        self.done = False


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
    ) -> None:
        self.background = background
        self.root_path = os.path.abspath(root)
        self.progress = progress
        self.cancelled = cancelled
        self.interval = interval
        self.workers = workers
        self.root = DirNode("", None)
        self.problems = ProblemLog()
        self.linked: Linked = {}
        self.state = WalkState()
        self.shared: mmap.mmap | None = None
        self.started_workers = 0

    def run(self) -> ScanResult:
        started = self.started = time.monotonic()
        try:
            was_cancelled = self._run()
        except _Fallback as reason:
            last_stats["fallback"] = str(reason)
            result = Scanner(self.root_path, self.progress, self.cancelled, self.interval).run()
        else:
            result = ScanResult(self.root_path, self.root, self.problems, cancelled=was_cancelled)
            last_stats["walked_s"] = time.monotonic() - started
            result.shared_inodes = _finish(self.root, self.linked)
        result.elapsed = time.monotonic() - started
        return result

    # ------------------------------------------------------------------ the parent's part

    def _run(self) -> bool:
        """Walk the tree into self.root/problems/linked; True if cancelled."""
        try:
            root_stat = os.lstat(self.root_path)
        except OSError as exc:
            self.problems.add(_problem_for(exc, self.root_path))
            self.root.complete = False
            last_stats["workers"] = 0
            return False
        self.root.own_alloc = root_stat.st_blocks * 512
        self.root.own_apparent = root_stat.st_size
        self.state.total_alloc = self.root.own_alloc
        self.root_dev = root_stat.st_dev
        self.visited: set[object] = {root_stat.st_ino}
        top = _Item(self.root_path, self.root)
        cancelled = self._expand(top)
        last_stats["expanded_s"] = time.monotonic() - self.started
        sequence = _walk_order(top)
        units = [item for item in sequence if item.children is None]
        if cancelled:
            self._merge_segments(sequence)
            return True
        if self.state.loops:
            raise _Fallback("directory loop")
        if len(units) < 2:
            last_stats["workers"] = 0
            return self._finish_here(sequence)
        return self._run_workers(sequence, units)

    def _expand(self, top: _Item) -> bool:
        """List the top levels in this process until there are enough units for the workers."""
        frontier = [top]
        target = self.workers * UNITS_PER_WORKER
        for _ in range(MAX_EXPAND_LEVELS):
            next_frontier: list[_Item] = []
            for item in frontier:
                if self._list(item):
                    return True
                assert item.children is not None
                next_frontier.extend(item.children)
            frontier = next_frontier
            if len(frontier) >= target or not frontier:
                break
        return False

    def _list(self, item: _Item) -> bool:
        found: list[tuple[str, DirNode]] = []
        item.problems = ProblemLog()
        item.records = LinkRecords()
        cancelled = _walk_tree(
            [(item.path, item.node)],
            found,
            self.root_dev,
            self.visited,
            {},
            item.problems,
            self.state,
            self.progress,
            self.cancelled,
            self.interval,
            records=item.records,
        )
        item.children = [_Item(path, node) for path, node in reversed(found)]
        return cancelled

    def _finish_here(self, sequence: list[_Item]) -> bool:
        """Too little to split: walk the units in this process, in walk order."""
        for position, item in enumerate(sequence):
            if item.children is not None:
                self._merge_segment(item)
                continue
            stack = [(item.path, item.node)]
            if _walk_tree(
                stack,
                stack,
                self.root_dev,
                self.visited,
                self.linked,
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

    def _merge_segments(self, sequence: list[_Item]) -> None:
        for item in sequence:
            if item.problems is not None:
                self._merge_segment(item)

    def _merge_segment(self, item: _Item) -> None:
        assert item.problems is not None and item.records is not None
        _merge_problems(self.problems, item.problems)
        records = item.records
        self._merge_records(
            records.keys,
            records.nlinks,
            records.allocs,
            records.apparents,
            records.nodes,
            records.more,
        )

    def _merge_records(
        self,
        keys: Sequence[object],
        nlinks: Sequence[int],
        allocs: Sequence[int],
        apparents: Sequence[int],
        firsts: Sequence[DirNode],
        more: dict[int, list[DirNode]],
    ) -> None:
        """Add one part's multi-link inodes (see `LinkRecords`), as the single walk would.

        Usually none was met before and none twice in the part: they go in at once.
        """
        linked = self.linked
        if not more and linked.keys().isdisjoint(keys):
            linked.update(zip(keys, firsts, strict=True))  # bytes: in their dirs already
            return
        merge = self._merge_inode
        for index, key in enumerate(keys):
            first = firsts[index]
            others = more.get(index)
            if others is not None:
                merge(key, nlinks[index], allocs[index], apparents[index], first, others)
            elif key not in linked:
                linked[key] = first
            else:
                # Met in an earlier part too: its bytes leave this directory as well.
                first.sub_alloc -= allocs[index]
                first.sub_apparent -= apparents[index]
                merge(key, nlinks[index], allocs[index], apparents[index], first, None)

    def _merge_inode(
        self,
        key: object,
        nlink: int,
        alloc: int,
        apparent: int,
        first: DirNode,
        more: list[DirNode] | None,
    ) -> None:
        """Add the links of one multi-link inode met in one part, as the single walk would;
        its bytes are in none of their directories.

        The parts come in walk order. An inode met once so far is `key -> DirNode` with its
        bytes in that directory; at its second link it becomes a `_LinkedInode`.
        """
        linked = self.linked
        record = linked.get(key)
        if record is None:
            if more is None:
                linked[key] = first
                first.sub_alloc += alloc
                first.sub_apparent += apparent
            else:
                linked[key] = _LinkedInode(nlink, alloc, apparent, [first, *more])
        elif isinstance(record, DirNode):
            record.sub_alloc -= alloc
            record.sub_apparent -= apparent
            nodes = [record, first]
            if more is not None:
                nodes.extend(more)
            linked[key] = _LinkedInode(nlink, alloc, apparent, nodes)
        else:
            assert isinstance(record, _LinkedInode)  # this process's store holds no indices
            record.nodes.append(first)
            if more is not None:
                record.nodes.extend(more)

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
                slot_entries, slot_alloc, slot_dirs = _SLOT.unpack_from(shared, slot * _SLOT.size)
                entries += slot_entries
                allocated += slot_alloc
                dirs += slot_dirs
        progress(ScanProgress(entries, allocated, current, dirs))

    def _run_workers(self, sequence: list[_Item], units: list[_Item]) -> bool:
        import multiprocessing
        from multiprocessing.connection import wait

        steps, chunks = _plan_chunks(sequence, self.workers)
        workers = min(self.workers, len(chunks))
        context = multiprocessing.get_context("fork")
        processes: list[BaseProcess] = []
        conns: list[Connection] = []
        in_flight: dict[Connection, int] = {}
        base_visited = self.visited
        last_stats.update(workers=workers, units=len(units), chunks=len(chunks))
        next_chunk = 0
        merged_steps = 0
        current = self.root_path
        worker_keys: list[Sequence[object]] = []
        worker_rss: list[tuple[int, int, float, float]] = []
        cancelled = finished = False
        helper: threading.Thread | None = None
        try:
            try:
                self.shared = mmap.mmap(-1, _SLOT.size * workers)  # shared with the workers
                for slot in range(workers):
                    parent_end, child_end = context.Pipe()
                    conns.append(parent_end)
                    in_flight[parent_end] = 0
                    process = context.Process(
                        target=_worker_main,
                        args=(child_end, slot, self.shared, units, self.root_dev, base_visited),
                        daemon=True,
                    )
                    try:
                        process.start()
                    finally:
                        child_end.close()
                    processes.append(process)
                    self.started_workers += 1
            except OSError as exc:  # out of processes, memory or descriptors
                raise _Fallback(f"cannot start the workers: {exc!r}") from exc
            last_stats["forked_s"] = time.monotonic() - self.started
            if self.background is not None:
                # Threads only now: every fork is done.
                helper = threading.Thread(target=self.background, name="scan-background")
                helper.start()
            for _ in range(IN_FLIGHT):
                for conn in conns:
                    if next_chunk < len(chunks):
                        chunk = chunks[next_chunk]
                        _send(conn, (next_chunk, chunk.start, chunk.stop))
                        in_flight[conn] += 1
                        current = units[chunk.start].path
                        next_chunk += 1
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
                        _, index, heads, names, parents, figures, incomplete, records, problems = (
                            message
                        )
                        chunk = chunks[index]
                        if isinstance(records, str):
                            raise _Fallback("directory loop")
                        chunk.nodes = _build(
                            [units[i].node for i in range(chunk.start, chunk.stop)],
                            heads,
                            names,
                            parents,
                            figures,
                            incomplete,
                        )
                        chunk.records = records
                        chunk.problems = problems
                        chunk.done = True
                        in_flight[conn] -= 1
                        if next_chunk < len(chunks):
                            chunk = chunks[next_chunk]
                            _send(conn, (next_chunk, chunk.start, chunk.stop))
                            in_flight[conn] += 1
                            current = units[chunk.start].path
                            next_chunk += 1
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
            for conn in conns:
                conn.close()
            if self.shared is not None:
                self.shared.close()
                self.shared = None
            if helper is not None:
                helper.join()
        if cancelled:
            # A partial tree: what the finished chunks found, and the problems and
            # multi-link inodes of every dir listed here.
            for step in steps[merged_steps:]:
                if isinstance(step, _Item):
                    self._merge_segment(step)
                elif step.done:
                    self._merge_chunk(step)
            return True
        assert merged_steps == len(steps)
        _check_disjoint(worker_keys)
        last_stats["worker_max_rss_kib"] = [usage[0] for usage in worker_rss]
        last_stats["worker_private_kib"] = [usage[1] for usage in worker_rss]
        last_stats["worker_cpu_s"] = [(usage[2], usage[3]) for usage in worker_rss]
        return False

    def _merge_steps(self, steps: list[_Item | _Chunk], merged: int) -> int:
        """Merge segments and finished chunks in walk order, as far as they are there."""
        while merged < len(steps):
            step = steps[merged]
            if isinstance(step, _Item):
                self._merge_segment(step)
            elif step.done:
                self._merge_chunk(step)
            else:
                break
            merged += 1
        return merged

    def _merge_chunk(self, chunk: _Chunk) -> None:
        assert chunk.problems is not None and chunk.nodes is not None
        _merge_problems(self.problems, chunk.problems)
        records = chunk.records
        nodes = chunk.nodes
        chunk.nodes = chunk.records = chunk.problems = None
        if records is None:
            return
        keys, nlinks, allocs, apparents, firsts, more = records
        self._merge_records(
            keys,
            nlinks,
            allocs,
            apparents,
            [nodes[code] for code in firsts],
            {index: [nodes[code] for code in codes] for index, codes in more.items()},
        )


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


def _walk_order(top: _Item) -> list[_Item]:
    """Listed dirs and units in the order the single-process walk meets them."""
    order: list[_Item] = []
    stack = [top]
    while stack:
        item = stack.pop()
        order.append(item)
        if item.children:
            stack.extend(reversed(item.children))
    return order


def _plan_chunks(sequence: list[_Item], workers: int) -> tuple[list[_Item | _Chunk], list[_Chunk]]:
    """Group consecutive units of one listed dir into chunks, large first, small last.

    Returns the merge steps (listed dirs and chunks, in walk order) and the chunks.
    """
    units_left = sum(1 for item in sequence if item.children is None)
    steps: list[_Item | _Chunk] = []
    chunks: list[_Chunk] = []
    index = 0
    position = 0
    while position < len(sequence):
        item = sequence[position]
        if item.children is not None:
            steps.append(item)
            position += 1
            continue
        run = 0
        while position + run < len(sequence) and sequence[position + run].children is None:
            run += 1
        while run:
            size = max(1, min(MAX_CHUNK, units_left // (workers * 8), run))
            chunk = _Chunk(index, index + size)
            steps.append(chunk)
            chunks.append(chunk)
            index += size
            position += size
            units_left -= size
            run -= size
    return steps, chunks


def _merge_problems(into: ProblemLog, part: ProblemLog) -> None:
    """Append one part's problems, as if they had been added one by one."""
    for kind, count in part.counts.items():
        into.counts[kind] = into.counts.get(kind, 0) + count
    room = into.limit - len(into.samples)
    if room > 0:
        into.samples.extend(part.samples[:room])


def _build(
    nodes: list[DirNode],
    heads: array[int],
    names: list[str],
    parents: array[int],
    figures: array[int],
    incomplete: list[int],
) -> list[DirNode]:
    """Rebuild one chunk's directories under its unit roots (see `_pack`)."""
    for index, node in enumerate(nodes):
        base = index * 5
        node.own_alloc = heads[base]
        node.own_apparent = heads[base + 1]
        node.own_files = heads[base + 2]
        node.sub_alloc = heads[base + 3]
        node.sub_apparent = heads[base + 4]
    append = nodes.append
    new_node = DirNode
    it = iter(figures)
    for name, parent_code, own_alloc, own_apparent, own_files, link_alloc, link_apparent in zip(
        names, parents, it, it, it, it, it, strict=True
    ):
        parent = nodes[parent_code]
        node = new_node(name, parent, own_alloc, own_apparent)
        if own_files:
            node.own_files = own_files
        if link_alloc or link_apparent:
            node.sub_alloc = link_alloc
            node.sub_apparent = link_apparent
        children = parent.children
        if children is None:
            children = parent.children = {}
        children[name] = node
        append(node)
    for code in incomplete:
        nodes[code].complete = False
    return nodes


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


# ---------------------------------------------------------------------- the workers' part

_LOOP = "loop"


def _worker_main(
    conn: Connection,
    slot: int,
    shared: mmap.mmap,
    units: list[_Item],
    root_dev: int,
    base_visited: set[object],
) -> None:
    """Walk the chunks the parent sends, answer each with its records; at None, finish."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it terminates us
    # No collections in here: the only cycles (parent <-> children) are broken by `_pack`,
    # and a collection would walk (and copy) every object inherited from the parent.
    gc.disable()
    try:
        visited = set(base_visited)
        state = WalkState()
        offset = slot * _SLOT.size

        def report(snapshot: ScanProgress) -> None:
            _SLOT.pack_into(
                shared, offset, snapshot.entries, snapshot.allocated, snapshot.dirs_done
            )

        while True:
            job = conn.recv()
            if job is None:
                break
            index, start, stop = job
            chunk = units[start:stop]
            problems = ProblemLog()
            records = LinkRecords()
            loops = state.loops
            todo = [(item.path, item.node) for item in reversed(chunk)]
            _walk_tree(todo, todo, root_dev, visited, {}, problems, state, report, records=records)
            _SLOT.pack_into(shared, offset, state.entries, state.total_alloc, state.dirs_done)
            if state.loops != loops:
                conn.send(("chunk", index, None, None, None, None, None, _LOOP, None))
                continue
            heads, names, parents, figures, incomplete = _pack([item.node for item in chunk])
            conn.send(
                (
                    "chunk",
                    index,
                    heads,
                    names,
                    parents,
                    figures,
                    incomplete,
                    _pack_records(records),
                    problems,
                )
            )
            del records, todo
            for item in chunk:
                item.node.children = None
        import resource  # POSIX only, as this whole function

        usage = resource.getrusage(resource.RUSAGE_SELF)
        own = (usage.ru_maxrss, _private_kib(), usage.ru_utime, usage.ru_stime)
        conn.send(("done", _key_array(list(visited - base_visited)), own))
    except BaseException:
        with contextlib.suppress(Exception):
            conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def _private_kib() -> int:
    """Memory only this process holds (written since the fork or new), from smaps_rollup;
    -1 where that is not available. Its peak RSS also counts pages shared with the parent."""
    try:
        with open("/proc/self/smaps_rollup", encoding="ascii") as handle:
            return sum(
                int(line.split()[1])
                for line in handle
                if line.startswith(("Private_Clean:", "Private_Dirty:"))
            )
    except (OSError, ValueError, IndexError):
        return -1


def _pack(
    unit_nodes: list[DirNode],
) -> tuple[array[int], list[str], array[int], array[int], list[int]]:
    """One chunk's directories as flat arrays, parents before children.

    Codes: the chunk's unit roots are 0..n-1, the directories below them n, n+1, ... in the
    order of `names`; `parents` holds each one's parent code, `figures` its own_alloc,
    own_apparent, own_files, sub_alloc and sub_apparent (the bytes of the multi-link files
    met once, see `LinkRecords`), `heads` the same for the unit roots. Each directory's code
    is left in its `sub_dirs` (unused until `_finish`) for `_pack_records`; its `parent` is
    cleared, so the subtree is freed by reference counting alone.
    """
    heads: array[int] = array("q")
    names: list[str] = []
    parents: array[int] = array("i")
    figures: array[int] = array("q")
    incomplete: list[int] = []
    code = len(unit_nodes)
    for index, unit in enumerate(unit_nodes):
        heads.extend(
            (unit.own_alloc, unit.own_apparent, unit.own_files, unit.sub_alloc, unit.sub_apparent)
        )
        if not unit.complete:
            incomplete.append(index)
        unit.sub_dirs = index
        stack = [unit] if unit.children else []
        while stack:
            node = stack.pop()
            parent_code = node.sub_dirs
            assert node.children is not None
            for name, child in node.children.items():
                child.sub_dirs = code
                child.parent = None
                names.append(name)
                parents.append(parent_code)
                figures.extend(
                    (
                        child.own_alloc,
                        child.own_apparent,
                        child.own_files,
                        child.sub_alloc,
                        child.sub_apparent,
                    )
                )
                if not child.complete:
                    incomplete.append(code)
                if child.children:
                    stack.append(child)
                code += 1
    return heads, names, parents, figures, incomplete


def _key_array(keys: list[object]) -> Any:
    """Inode numbers as an array; a list when some are (st_dev, st_ino) of another device."""
    try:
        return array("Q", keys)  # type: ignore[arg-type]
    except (TypeError, OverflowError):
        return keys


def _pack_records(records: LinkRecords) -> Any:
    """One chunk's multi-link inodes (`LinkRecords`) by directory code (see `_pack`):
    flat arrays when every key is an inode number on the root's device, else lists."""
    if not records.keys:
        return None
    firsts = array("i", [node.sub_dirs for node in records.nodes])
    more = {index: [node.sub_dirs for node in nodes] for index, nodes in records.more.items()}
    return (
        _key_array(records.keys),
        array("q", records.nlinks),
        array("q", records.allocs),
        array("q", records.apparents),
        firsts,
        more,
    )
