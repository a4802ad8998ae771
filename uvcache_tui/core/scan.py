"""The walker: one pass over a tree, aggregated per directory, hardlink-aware.

Per directory we keep one `DirNode`; per file nothing, except inodes with more than one
link, which are remembered until the end so their bytes are counted once and attributed
to the lowest directory that contains all of their links (see docs/design.md).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from uvcache_tui.core.model import Problem, ProblemKind, ProblemLog, ScanProgress, Sizes

ProgressCallback = Callable[[ScanProgress], None]
CancelCheck = Callable[[], bool]

_S_ISDIR = stat.S_ISDIR


class DirNode:
    """One directory: its own figures and, after `finish`, its subtree's."""

    __slots__ = (
        "name",
        "parent",
        "children",
        "own_alloc",
        "own_apparent",
        "own_files",
        "sub_alloc",
        "sub_apparent",
        "sub_reclaim",
        "sub_files",
        "sub_dirs",
        "complete",
    )

    def __init__(self, name: str, parent: DirNode | None) -> None:
        self.name = name
        self.parent = parent
        self.children: dict[str, DirNode] | None = None
        self.own_alloc = 0
        self.own_apparent = 0
        self.own_files = 0
        self.sub_alloc = 0
        self.sub_apparent = 0
        self.sub_reclaim = 0
        self.sub_files = 0
        self.sub_dirs = 0
        self.complete = True
        """False if this directory could not be listed completely."""

    def __repr__(self) -> str:
        return f"DirNode({self.relpath()!r}, alloc={self.sub_alloc})"

    def child(self, name: str) -> DirNode | None:
        return self.children.get(name) if self.children else None

    def iter_children(self) -> Iterator[DirNode]:
        return iter(self.children.values()) if self.children else iter(())

    def parts(self) -> list[str]:
        """Names from the scan root (excluded) down to this node."""
        names: list[str] = []
        node: DirNode | None = self
        while node is not None and node.parent is not None:
            names.append(node.name)
            node = node.parent
        names.reverse()
        return names

    def relpath(self) -> str:
        return "/".join(self.parts()) or "."

    @property
    def sizes(self) -> Sizes:
        return Sizes(
            allocated=self.sub_alloc,
            apparent=self.sub_apparent,
            reclaimable=self.sub_reclaim,
            files=self.sub_files,
            dirs=self.sub_dirs,
        )


@dataclass(frozen=True)
class SharedInode:
    """An inode with links in more than one scanned directory (kept for selection maths)."""

    allocated: int
    apparent: int
    all_links_seen: bool
    nodes: tuple[DirNode, ...]


@dataclass
class ScanResult:
    root_path: str
    root: DirNode
    problems: ProblemLog
    cancelled: bool = False
    shared_inodes: list[SharedInode] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def partial(self) -> bool:
        return self.cancelled

    def node(self, relpath: str) -> DirNode | None:
        """The node for a path relative to the root (`wheels-v8/pypi/idna`), or None."""
        node: DirNode | None = self.root
        for part in relpath.strip("/").split("/"):
            if part in ("", "."):
                continue
            node = node.child(part) if node else None
        return node

    def selection_sizes(self, nodes: Iterable[DirNode]) -> Sizes:
        """Sizes of a union of subtrees, each inode counted once.

        Reclaimable counts inodes whose every link lies somewhere in the union, including
        inodes shared between two selected subtrees (a wheel archive and a uvx env archive).
        """
        chosen = _outermost(nodes)
        if not chosen:
            return Sizes()
        alloc = sum(n.sub_alloc for n in chosen)
        apparent = sum(n.sub_apparent for n in chosen)
        reclaim = sum(n.sub_reclaim for n in chosen)
        files = sum(n.sub_files for n in chosen)
        dirs = sum(n.sub_dirs for n in chosen)
        if len(chosen) > 1:
            chosen_ids = {id(n) for n in chosen}
            for inode in self.shared_inodes:
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


class _LinkedInode:
    """Bookkeeping for an inode with st_nlink > 1 while the walk is running."""

    __slots__ = ("nlink", "alloc", "apparent", "nodes")

    def __init__(self, nlink: int, alloc: int, apparent: int, node: DirNode) -> None:
        self.nlink = nlink
        self.alloc = alloc
        self.apparent = apparent
        self.nodes: DirNode | list[DirNode] = node


class Scanner:
    """Walks one tree. Never follows symlinks; survives anything the filesystem throws at it."""

    def __init__(
        self,
        root: str,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck | None = None,
        progress_interval: float = 0.1,
    ) -> None:
        self.root_path = os.path.abspath(root)
        self._progress = progress
        self._cancelled = cancelled
        self._interval = progress_interval

    def run(self) -> ScanResult:
        started = time.monotonic()
        problems = ProblemLog()
        root = DirNode("", None)
        linked: dict[tuple[int, int], _LinkedInode] = {}
        cancelled = self._walk(root, linked, problems)
        result = ScanResult(self.root_path, root, problems, cancelled=cancelled)
        result.shared_inodes = _finish(root, linked)
        result.elapsed = time.monotonic() - started
        return result

    def _walk(
        self,
        root: DirNode,
        linked: dict[tuple[int, int], _LinkedInode],
        problems: ProblemLog,
    ) -> bool:
        try:
            root_stat = os.lstat(self.root_path)
        except OSError as exc:
            problems.add(_problem_for(exc, self.root_path))
            root.complete = False
            return False
        root.own_alloc = root_stat.st_blocks * 512
        root.own_apparent = root_stat.st_size
        visited_dirs = {(root_stat.st_dev, root_stat.st_ino)}
        stack: list[tuple[str, DirNode]] = [(self.root_path, root)]
        entries = 0
        total_alloc = root.own_alloc
        dirs_done = 0
        next_report = 0.0
        progress = self._progress
        cancelled = self._cancelled
        monotonic = time.monotonic
        while stack:
            path, node = stack.pop()
            if cancelled is not None and cancelled():
                return True
            if progress is not None:
                now = monotonic()
                if now >= next_report:
                    next_report = now + self._interval
                    progress(ScanProgress(entries, total_alloc, path, dirs_done))
            try:
                iterator = os.scandir(path)
            except OSError as exc:
                problems.add(_problem_for(exc, path))
                node.complete = False
                continue
            own_alloc = own_apparent = own_files = 0
            with iterator:
                while True:
                    try:
                        entry = next(iterator)
                    except StopIteration:
                        break
                    except OSError as exc:
                        problems.add(_problem_for(exc, path))
                        node.complete = False
                        break
                    entries += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError as exc:
                        problems.add(_problem_for(exc, entry.path))
                        continue
                    alloc = st.st_blocks * 512
                    total_alloc += alloc
                    if _S_ISDIR(st.st_mode):
                        key = (st.st_dev, st.st_ino)
                        if key in visited_dirs:
                            problems.add(Problem(ProblemKind.ERROR, entry.path, "directory loop"))
                            continue
                        visited_dirs.add(key)
                        name = entry.name
                        child = DirNode(name, node)
                        child.own_alloc = alloc
                        child.own_apparent = st.st_size
                        if node.children is None:
                            node.children = {}
                        node.children[name] = child
                        stack.append((entry.path, child))
                        _check_name(name, entry.path, problems)
                        continue
                    own_files += 1
                    if st.st_nlink > 1:
                        key = (st.st_dev, st.st_ino)
                        record = linked.get(key)
                        if record is None:
                            linked[key] = _LinkedInode(st.st_nlink, alloc, st.st_size, node)
                        else:
                            total_alloc -= alloc
                            nodes = record.nodes
                            if isinstance(nodes, list):
                                nodes.append(node)
                            else:
                                record.nodes = [nodes, node]
                        continue
                    own_alloc += alloc
                    own_apparent += st.st_size
            node.own_alloc += own_alloc
            node.own_apparent += own_apparent
            node.own_files += own_files
            dirs_done += 1
        if progress is not None:
            progress(ScanProgress(entries, total_alloc, self.root_path, dirs_done))
        return False


def _check_name(name: str, path: str, problems: ProblemLog) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        problems.add(Problem(ProblemKind.NOT_UTF8, path.encode("utf-8", "replace").decode()))


def _problem_for(exc: OSError, path: str) -> Problem:
    safe_path = path.encode("utf-8", "replace").decode("utf-8")
    if isinstance(exc, FileNotFoundError):
        return Problem(ProblemKind.VANISHED, safe_path, "vanished during the scan")
    if isinstance(exc, PermissionError):
        return Problem(ProblemKind.PERMISSION, safe_path, exc.strerror or "permission denied")
    return Problem(ProblemKind.ERROR, safe_path, exc.strerror or str(exc))


def _finish(root: DirNode, linked: dict[tuple[int, int], _LinkedInode]) -> list[SharedInode]:
    """Turn per-directory figures into subtree figures, then place multi-link inodes."""
    order: list[DirNode] = []
    stack = [root]
    while stack:
        node = stack.pop()
        order.append(node)
        if node.children:
            stack.extend(node.children.values())
    for node in reversed(order):
        alloc = node.own_alloc
        apparent = node.own_apparent
        files = node.own_files
        dirs = 0
        if node.children:
            for child in node.children.values():
                alloc += child.sub_alloc
                apparent += child.sub_apparent
                files += child.sub_files
                dirs += child.sub_dirs + 1
        node.sub_alloc = alloc
        node.sub_reclaim = alloc
        node.sub_apparent = apparent
        node.sub_files = files
        node.sub_dirs = dirs
    shared: list[SharedInode] = []
    for record in linked.values():
        nodes = record.nodes if isinstance(record.nodes, list) else [record.nodes]
        _add_along_paths(nodes, record.alloc, record.apparent)
        all_seen = len(nodes) >= record.nlink
        if all_seen:
            lca = _lowest_common_ancestor(nodes)
            current: DirNode | None = lca
            while current is not None:
                current.sub_reclaim += record.alloc
                current = current.parent
        distinct = tuple({id(n): n for n in nodes}.values())
        if len(distinct) > 1:
            shared.append(SharedInode(record.alloc, record.apparent, all_seen, distinct))
    return shared


def _add_along_paths(nodes: list[DirNode], alloc: int, apparent: int) -> None:
    """Count an inode once in every directory that contains at least one of its links."""
    visited: set[int] = set()
    for start in nodes:
        current: DirNode | None = start
        while current is not None and id(current) not in visited:
            visited.add(id(current))
            current.sub_alloc += alloc
            current.sub_apparent += apparent
            current = current.parent


def _lowest_common_ancestor(nodes: list[DirNode]) -> DirNode:
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


def scan(
    root: str,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> ScanResult:
    """Scan `root` once; see `Scanner`."""
    return Scanner(root, progress, cancelled).run()
