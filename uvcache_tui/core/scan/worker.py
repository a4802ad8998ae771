"""The workers of the parallel walk, and what they send back to the parent.

A worker walks the chunks of units the parent sends (`worker_main`, with `walk.walk_rows`)
and answers each with its directories as flat rows and the links of its multi-link files
as columns (`pack_tree`), and its problems; the parent rebuilds the directories with
`build_tree` and the link columns with `unpack_links`.
Progress goes through a shared memory slot per worker (`SLOT`). A worker gets only plain
values (`UnitSpec`s), so it may be forked or started by a fork server: this module imports
nothing but the core, which is what a fork server preloads.
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import struct
import traceback
from array import array
from itertools import islice
from typing import TYPE_CHECKING, Any

from uvcache_tui.core.model import ProblemLog, ScanProgress
from uvcache_tui.core.scan.links import LinkRecords
from uvcache_tui.core.scan.node import DirNode
from uvcache_tui.core.scan.walk import ChunkRows, WalkState, walk_rows

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

SLOT = struct.Struct("qqq")
"""One worker's progress in the shared memory: entries, allocated bytes, dirs listed."""
UnitSpec = tuple[str, int, int]
"""A unit as the worker needs it: its path and the figures the parent's listing gave its
directory entry (own_alloc, own_apparent)."""
LOOP = "loop"
"""Sent instead of a chunk's links when the worker met a directory loop."""


def worker_main(
    conn: Connection,
    slot: int,
    shared: Any,
    units: list[UnitSpec],
    root_dev: int,
    base_visited: set[object],
) -> None:
    """Walk the chunks the parent sends, answer each with its directories, links and
    problems; at None, send this worker's directory keys and resource usage, and exit."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides; it terminates us
    # No collections in here: a worker makes no cycles, and a collection would walk (and
    # copy) every object inherited from the parent.
    gc.disable()
    try:
        visited = set(base_visited)
        state = WalkState()
        offset = slot * SLOT.size

        def report(snapshot: ScanProgress) -> None:
            SLOT.pack_into(shared, offset, snapshot.entries, snapshot.allocated, snapshot.dirs_done)

        while True:
            job = conn.recv()
            if job is None:
                break
            index, start, stop = job
            problems = ProblemLog()
            loops = state.loops
            rows = walk_rows(units[start:stop], root_dev, visited, problems, state, report)
            SLOT.pack_into(shared, offset, state.entries, state.total_alloc, state.dirs_done)
            if state.loops != loops:
                conn.send(("chunk", index, None, None, None, None, LOOP, None))
                continue
            conn.send(("chunk", index, *pack_tree(rows), problems))
            del rows
        import resource  # POSIX only, as this whole function

        usage = resource.getrusage(resource.RUSAGE_SELF)
        own = (usage.ru_maxrss, private_kib(), usage.ru_utime, usage.ru_stime)
        conn.send(("done", key_array(list(visited - base_visited)), own))
    except BaseException:
        with contextlib.suppress(Exception):
            conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


def private_kib() -> int:
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


PackedLinks = tuple[Any, "array[int]", "array[int]", "array[int]", "array[int]", "array[int]"]
"""A chunk's `ChunkRows` link columns as sent: keys (see `key_array`), nlinks, blocks,
sizes, link_dirs, link_counts."""


def pack_tree(
    rows: ChunkRows,
) -> tuple[list[str], array[int], array[int], list[int], PackedLinks | None]:
    """One chunk's rows as sent to the parent: names, parents, figures, incomplete codes
    and the link columns (None without multi-link files); see `walk.ChunkRows`."""
    links: PackedLinks | None = None
    if rows.keys:
        links = (
            key_array(rows.keys),
            array("q", rows.nlinks),
            array("q", rows.blocks),
            array("q", rows.sizes),
            array("i", rows.link_dirs),
            array("q", rows.link_counts),
        )
    return rows.names, rows.parents, rows.figures, rows.incomplete, links


def key_array(keys: list[object]) -> Any:
    """Inode numbers as an array; a list when some are (st_dev, st_ino) of another device."""
    try:
        return array("Q", keys)  # type: ignore[arg-type]
    except (TypeError, OverflowError):
        return keys


def build_tree(
    nodes: list[DirNode],
    names: list[str],
    parents: array[int],
    figures: array[int],
    incomplete: list[int],
    state: WalkState,
) -> list[DirNode]:
    """In the parent: one chunk's directories, rebuilt under its unit roots (`nodes`, in
    the chunk's order; see `walk.ChunkRows`), their names and byte figures shared through
    the walk's `state` as the serial walk shares them. Returns every directory by code."""
    share = state.ints.share
    share_name = state.names.setdefault
    for index, node in enumerate(nodes):
        base = index * 5
        alloc = node.own_alloc = share(figures[base])
        apparent = figures[base + 1]
        node.own_apparent = alloc if apparent == alloc else apparent
        node.own_files = figures[base + 2]
        node.sub_alloc = figures[base + 3]
        node.sub_apparent = figures[base + 4]
    append = nodes.append
    new_node = DirNode
    it = islice(figures, len(nodes) * 5, None)
    # A directory's subdirectories are consecutive rows (it was listed at once).
    siblings: list[DirNode] = []
    siblings_parent = -1
    for name, parent_code, own_alloc, own_apparent, own_files, link_alloc, link_apparent in zip(
        names, parents, it, it, it, it, it, strict=True
    ):
        if parent_code != siblings_parent:
            if siblings:
                nodes[siblings_parent].set_children(siblings)
                siblings = []
            siblings_parent = parent_code
        own_alloc = share(own_alloc)
        if own_apparent == own_alloc:
            own_apparent = own_alloc
        node = new_node(share_name(name, name), nodes[parent_code], own_alloc, own_apparent)
        if own_files:
            node.own_files = own_files
        if link_alloc or link_apparent:
            node.sub_alloc = link_alloc
            node.sub_apparent = link_apparent
        siblings.append(node)
        append(node)
    if siblings:
        nodes[siblings_parent].set_children(siblings)
    for code in incomplete:
        nodes[code].complete = False
    return nodes


def unpack_links(nodes: list[DirNode], links: PackedLinks, into: LinkRecords) -> None:
    """In the parent: a chunk's link columns onto `into`, their directories as nodes
    (codes as in `build_tree`)."""
    keys, nlinks, blocks, sizes, link_dirs, link_counts = links
    into.extend(keys, nlinks, blocks, sizes, [nodes[code] for code in link_dirs], link_counts)


def exec_main(argv: list[str]) -> None:
    """A worker started as a fresh interpreter (`launch.EXEC`): the connection's and the
    progress memory's descriptors, its size and this worker's slot come as arguments; the
    units, the root's device and the parent's visited directories as the first message."""
    import mmap
    import pickle
    from multiprocessing.connection import Connection

    conn_fd, memfd, size, slot = (int(value) for value in argv)
    conn = Connection(conn_fd)
    shared = mmap.mmap(memfd, size)
    os.close(memfd)
    units, root_dev, base_visited = pickle.loads(conn.recv_bytes())
    worker_main(conn, slot, shared, units, root_dev, base_visited)
