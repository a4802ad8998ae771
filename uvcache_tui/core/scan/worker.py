"""The workers of the parallel walk, and what they send back to the parent.

A worker walks the chunks of units the parent sends (`worker_main`) and answers each with
its directories as flat arrays (`pack_tree`), its multi-link inodes by directory code
(`pack_links`) and its problems; the parent rebuilds the directories with `build_tree`.
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
from typing import TYPE_CHECKING, Any

from uvcache_tui.core.model import ProblemLog, ScanProgress
from uvcache_tui.core.scan.links import LinkPart
from uvcache_tui.core.scan.tree import DirNode
from uvcache_tui.core.scan.walk import WalkState, walk_dirs

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
    # No collections in here: the only cycles (parent <-> children) are broken by
    # `pack_tree`, and a collection would walk (and copy) every object inherited from
    # the parent.
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
            chunk = [
                (path, DirNode(os.path.basename(path), None, alloc, apparent))
                for path, alloc, apparent in units[start:stop]
            ]
            problems = ProblemLog()
            part = LinkPart()
            loops = state.loops
            todo = list(reversed(chunk))
            walk_dirs(todo, todo, root_dev, visited, part, problems, state, report)
            SLOT.pack_into(shared, offset, state.entries, state.total_alloc, state.dirs_done)
            if state.loops != loops:
                conn.send(("chunk", index, None, None, None, None, None, LOOP, None))
                continue
            heads, names, parents, figures, incomplete = pack_tree([node for _, node in chunk])
            conn.send(
                (
                    "chunk",
                    index,
                    heads,
                    names,
                    parents,
                    figures,
                    incomplete,
                    pack_links(part),
                    problems,
                )
            )
            del part, todo, chunk
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


def pack_tree(
    unit_nodes: list[DirNode],
) -> tuple[array[int], list[str], array[int], array[int], list[int]]:
    """One chunk's directories as flat arrays, parents before children.

    Codes: the chunk's unit roots are 0..n-1, the directories below them n, n+1, ... in the
    order of `names`; `parents` holds each one's parent code, `figures` its own_alloc,
    own_apparent, own_files, sub_alloc and sub_apparent (the bytes of the multi-link files
    met once, see `links.LinkTable`), `heads` the same for the unit roots. Each directory's
    code is left in its `sub_dirs` (unused until `sum_subtrees`) for `pack_links`; its `parent` is
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


def key_array(keys: list[object]) -> Any:
    """Inode numbers as an array; a list when some are (st_dev, st_ino) of another device."""
    try:
        return array("Q", keys)  # type: ignore[arg-type]
    except (TypeError, OverflowError):
        return keys


def pack_links(part: LinkPart) -> Any:
    """One chunk's multi-link inodes (`LinkPart.columns`) by directory code (see
    `pack_tree`): flat arrays when every key is an inode number on the root's device,
    else lists."""
    if not part.keys:
        return None
    keys, nlinks, allocs, apparents, firsts, more = part.columns()
    return (
        key_array(keys),
        array("q", nlinks),
        array("q", allocs),
        array("q", apparents),
        array("i", [node.sub_dirs for node in firsts]),
        {index: [node.sub_dirs for node in nodes] for index, nodes in more.items()},
    )


def build_tree(
    nodes: list[DirNode],
    heads: array[int],
    names: list[str],
    parents: array[int],
    figures: array[int],
    incomplete: list[int],
) -> list[DirNode]:
    """In the parent: one chunk's directories, rebuilt under its unit roots (see `pack_tree`)."""
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
