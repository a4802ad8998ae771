"""The scanned tree and its maths: directories, their subtree figures, and selections.

Per directory one `DirNode` (`node`); per file nothing. A walk (`serial`, `parallel`) fills each
node's own figures and the link table (`links`) the multi-link inodes; `sum_subtrees` and
`LinkTable.place` then give every node its subtree figures, and `ScanResult.selection_sizes`
the figures of any union of subtrees (see docs/design.md).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from uvcache_tui.core.model import ProblemLog, Sizes
from uvcache_tui.core.scan.node import DirNode, IntPool


@dataclass(frozen=True)
class SharedInode:
    """An inode with links in more than one scanned directory (kept for selection maths)."""

    allocated: int
    apparent: int
    all_links_seen: bool
    nodes: tuple[DirNode, ...]


@dataclass
class ScanStats:
    """How one scan ran, for tests and benchmarks (never shown, never in the JSON).

    Times are seconds from the start of the walk that built the tree (after a fallback,
    the serial one), None where that phase did not happen.
    """

    walk: Literal["serial", "parallel"] = "serial"
    """The walk `scan()` chose (a parallel walk that fell back says so in `fallback`)."""
    start_method: str | None = None
    """How a parallel walk started its workers: "fork" or "forkserver"."""
    workers: int = 0
    """Worker processes that walked; 0 when the whole tree was walked in this process."""
    units: int = 0
    chunks: int = 0
    fallback: str | None = None
    """Why a parallel walk was redone in one process (a directory loop, a lost worker)."""
    expanded_s: float | None = None
    """The parent had listed the top levels."""
    forked_s: float | None = None
    walked_s: float | None = None
    """Every directory was listed (before subtree sums and multi-link inodes)."""
    worker_max_rss_kib: list[int] = field(default_factory=list)
    worker_private_kib: list[int] = field(default_factory=list)
    worker_cpu_s: list[tuple[float, float]] = field(default_factory=list)
    """Per worker: (user, system) CPU seconds."""


@dataclass
class ScanResult:
    """One scan: the tree with its figures, what went wrong, and how it ran (`stats`)."""

    root_path: str
    root: DirNode
    problems: ProblemLog
    cancelled: bool = False
    shared_inodes: list[SharedInode] = field(default_factory=list)
    elapsed: float = 0.0
    stats: ScanStats = field(default_factory=ScanStats, compare=False)
    _shared_index: tuple[list[SharedInode], int, dict[int, list[SharedInode]]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def partial(self) -> bool:
        return self.cancelled

    def node(self, relpath: str) -> DirNode | None:
        """The node for a path relative to the root (`wheels-v8/pypi/idna`), or None."""
        node = self.root
        for part in relpath.strip("/").split("/"):
            if part == "" or part == ".":
                continue
            found = node.child(part)
            if found is None:
                return None
            node = found
        return node

    def selection_sizes(self, nodes: Iterable[DirNode]) -> Sizes:
        """Sizes of a union of subtrees, each inode counted once.

        Reclaimable counts inodes whose every link lies somewhere in the union, including
        inodes shared between two selected subtrees (a wheel archive and a uvx env archive).
        """
        chosen = _outermost(nodes)
        if not chosen:
            return Sizes()
        alloc = apparent = reclaim = files = dirs = 0
        for n in chosen:
            alloc += n.sub_alloc
            apparent += n.sub_apparent
            reclaim += n.sub_reclaim
            files += n.sub_files
            dirs += n.sub_dirs
        if len(chosen) > 1 and self.shared_inodes:
            chosen_ids = {id(n) for n in chosen}
            for inode in self._shared_within(chosen):
                holders: set[int] = set()
                all_inside = True
                for link_node in inode.nodes:
                    top = _selected_ancestor(link_node, chosen_ids)
                    if top is None:
                        all_inside = False
                    else:
                        holders.add(top)
                extra = len(holders) - 1
                if extra > 0:
                    alloc -= inode.allocated * extra
                    apparent -= inode.apparent * extra
                    if all_inside and inode.all_links_seen:
                        reclaim += inode.allocated
        return Sizes(alloc, apparent, reclaim, files, dirs)

    def shared_below(self, node: DirNode) -> Iterable[SharedInode]:
        """Shared inodes with a link in `node`'s subtree (and possibly some without: callers
        check each inode's `nodes`)."""
        return self._shared_within([node])

    def _shared_within(self, chosen: list[DirNode]) -> Iterable[SharedInode]:
        """Shared inodes with a link somewhere below `chosen` (the others change nothing).

        Small selections (a package: a few dirs) look their subtrees up in an index built
        once; large ones just go through the whole list. Either way the result is the same.
        """
        shared = self.shared_inodes
        if sum(node.sub_dirs + 1 for node in chosen) >= len(shared):
            return shared
        index = self._shared_index
        if index is None or index[0] is not shared or index[1] != len(shared):
            by_node: dict[int, list[SharedInode]] = {}
            for inode in shared:
                for node in inode.nodes:
                    by_node.setdefault(id(node), []).append(inode)
            index = self._shared_index = (shared, len(shared), by_node)
        by_node = index[2]
        found: dict[int, SharedInode] = {}
        stack = list(chosen)
        while stack:
            node = stack.pop()
            inodes = by_node.get(id(node))
            if inodes:
                for inode in inodes:
                    found[id(inode)] = inode
            stack.extend(node.iter_children())
        return found.values()


def _outermost(nodes: Iterable[DirNode]) -> list[DirNode]:
    """Drop nodes that lie inside another chosen node, and duplicates."""
    unique = {id(n): n for n in nodes}
    result = []
    for node in unique.values():
        parent = node.parent
        while parent is not None and id(parent) not in unique:
            parent = parent.parent
        if parent is None:
            result.append(node)
    return result


def _selected_ancestor(node: DirNode, chosen_ids: set[int]) -> int | None:
    current: DirNode | None = node
    while current is not None:
        if id(current) in chosen_ids:
            return id(current)
        current = current.parent
    return None


def add_along_paths(nodes: Sequence[DirNode], alloc: int, apparent: int) -> None:
    """Count an inode once in every directory that contains at least one of its links."""
    visited: set[int] = set()
    for start in nodes:
        current: DirNode | None = start
        while current is not None and id(current) not in visited:
            visited.add(id(current))
            current.sub_alloc += alloc
            current.sub_apparent += apparent
            current = current.parent


def lowest_common_ancestor(nodes: Sequence[DirNode]) -> DirNode:
    first = nodes[0]
    if len(nodes) == 1:
        return first
    chain: list[DirNode] = []
    current: DirNode | None = first
    while current is not None:
        chain.append(current)
        current = current.parent
    depth_of = {id(n): i for i, n in enumerate(chain)}
    best = 0
    for other in nodes[1:]:
        current = other
        while current is not None and id(current) not in depth_of:
            current = current.parent
        if current is not None:
            best = max(best, depth_of[id(current)])
    return chain[best]


def sum_subtrees(root: DirNode, pool: IntPool | None = None) -> None:
    """Turn per-directory figures into subtree figures (children before parents).

    On entry `sub_alloc`/`sub_apparent` hold each directory's once-met multi-link bytes
    (see `links.LinkTable`); those count towards `sub_alloc` but never towards
    `sub_reclaim` (a link lies outside). `pool`: the walk's, shared by the sums.
    """
    share = (pool or IntPool()).share
    order: list[DirNode] = []
    append = order.append
    stack = [root]
    pop = stack.pop
    extend = stack.extend
    while stack:
        node = pop()
        append(node)
        children = node._children
        if children is not None:
            extend(children.values() if isinstance(children, dict) else children)
    for node in reversed(order):
        # Equal figures share one int object (most directories are leaves without
        # multi-link files, whose subtree figures are their own): 32 bytes saved per
        # figure on a tree of 100k+ directories.
        reclaim = alloc = node.own_alloc
        apparent = node.own_apparent
        files = node.own_files
        dirs = 0
        children = node._children
        if children is not None:
            for child in children.values() if isinstance(children, dict) else children:
                alloc += child.sub_alloc
                reclaim += child.sub_reclaim
                apparent += child.sub_apparent
                files += child.sub_files
                dirs += child.sub_dirs + 1
            alloc = share(alloc)
            reclaim = share(reclaim)
        if node.sub_alloc:
            alloc = share(alloc + node.sub_alloc)
        if node.sub_apparent:
            apparent += node.sub_apparent
        node.sub_alloc = alloc
        node.sub_reclaim = reclaim if reclaim != alloc else alloc
        node.sub_apparent = apparent if apparent != alloc else alloc
        node.sub_files = files
        node.sub_dirs = dirs


def file_sizes(path: str) -> Sizes:
    """One file (or link, FIFO…) as a selection: reclaimable only when it has no other link."""
    try:
        st = os.lstat(path)
    except OSError:
        return Sizes()
    alloc = st.st_blocks * 512
    return Sizes(alloc, st.st_size, alloc if st.st_nlink <= 1 else 0, 1, 0)


def add_sizes(a: Sizes, b: Sizes) -> Sizes:
    """Two disjoint selections together (nothing in one is linked from the other)."""
    return Sizes(
        a.allocated + b.allocated,
        a.apparent + b.apparent,
        a.reclaimable + b.reclaimable,
        a.files + b.files,
        a.dirs + b.dirs,
    )
