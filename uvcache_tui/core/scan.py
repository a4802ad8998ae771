"""The walker: one pass over a tree, aggregated per directory, hardlink-aware.

Per directory we keep one `DirNode`; per file nothing, except inodes with more than one
link, which are remembered until the end so their bytes are counted once and attributed
to the lowest directory that contains all of their links (see docs/design.md).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from uvcache_tui.core.model import Problem, ProblemKind, ProblemLog, ScanProgress, Sizes

ProgressCallback = Callable[[ScanProgress], None]
CancelCheck = Callable[[], bool]


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

    def __init__(
        self, name: str, parent: DirNode | None, own_alloc: int = 0, own_apparent: int = 0
    ) -> None:
        self.name = name
        self.parent = parent
        self.children: dict[str, DirNode] | None = None
        self.own_alloc = own_alloc
        self.own_apparent = own_apparent
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
            children = node.children
            if not children:
                return None
            found = children.get(part)
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
            if node.children:
                stack.extend(node.children.values())
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


class _LinkedInode:
    """An inode with st_nlink > 1 whose links were met in more than one place (or twice).

    An inode met once is only remembered as `key -> DirNode` and its bytes are folded into
    that directory right away (see `Scanner._walk`); it becomes one of these at its second
    link, when its bytes move out of the first directory and are placed by `_finish`.
    """

    __slots__ = ("nlink", "alloc", "apparent", "nodes")

    def __init__(self, nlink: int, alloc: int, apparent: int, nodes: list[DirNode]) -> None:
        self.nlink = nlink
        self.alloc = alloc
        self.apparent = apparent
        self.nodes = nodes


_S_IFMT = stat.S_IFMT(0o177777)
_S_IFDIR = stat.S_IFDIR
# Listing a directory through an fd makes each entry's lstat an fstatat() of one name
# instead of a lookup of the whole path: about 10% faster on a warm ext4 tree.
_SCANDIR_FD = os.scandir in os.supports_fd
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)

# While the walk runs, `sub_alloc` and `sub_apparent` of a DirNode hold the bytes of the
# multi-link inodes met once so far, only in that directory (`_finish` replaces them with
# subtree figures). `Linked` maps an inode key (st_ino on the root's device, else
# (st_dev, st_ino)) to the DirNode of its only link so far, or to a _LinkedInode.
Linked = dict[object, "DirNode | _LinkedInode | int"]


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
        linked: Linked = {}
        cancelled = self._walk(root, linked, problems)
        result = ScanResult(self.root_path, root, problems, cancelled=cancelled)
        result.shared_inodes = _finish(root, linked)
        result.elapsed = time.monotonic() - started
        return result

    def _walk(self, root: DirNode, linked: Linked, problems: ProblemLog) -> bool:
        """Walk the whole tree from the root (see `_walk_tree`); True if cancelled."""
        try:
            root_stat = os.lstat(self.root_path)
        except OSError as exc:
            problems.add(_problem_for(exc, self.root_path))
            root.complete = False
            return False
        root.own_alloc = root_stat.st_blocks * 512
        root.own_apparent = root_stat.st_size
        state = WalkState(total_alloc=root.own_alloc)
        stack: list[tuple[str, DirNode]] = [(self.root_path, root)]
        # Directory identities, for loop detection (bind mounts): st_ino on the root's device.
        visited_dirs: set[object] = {root_stat.st_ino}
        if _walk_tree(
            stack,
            stack,
            root_stat.st_dev,
            visited_dirs,
            linked,
            problems,
            state,
            self._progress,
            self._cancelled,
            self._interval,
        ):
            return True
        if self._progress is not None:
            self._progress(
                ScanProgress(state.entries, state.total_alloc, self.root_path, state.dirs_done)
            )
        return False


class LinkRecords:
    """The multi-link inodes one part of a split walk met, in the order met.

    Index `i` is one inode: its key, st_nlink, allocated and apparent bytes (from its first
    link) and the directory of its first link; `more[i]` the directories of its other
    links, if it had any in this part. Meanwhile `linked` maps the key to `i`.
    An inode met once in the part has its bytes in its directory's `sub_alloc`/
    `sub_apparent`, as the single-process walk has them; one met more than once has not.
    """

    __slots__ = ("keys", "nlinks", "allocs", "apparents", "nodes", "more")

    def __init__(self) -> None:
        self.keys: list[object] = []
        self.nlinks: list[int] = []
        self.allocs: list[int] = []
        self.apparents: list[int] = []
        self.nodes: list[DirNode] = []
        self.more: dict[int, list[DirNode]] = {}


class WalkState:
    """Counters of a walk, carried from one `_walk_tree` call to the next."""

    __slots__ = ("entries", "total_alloc", "dirs_done", "loops", "next_report")

    def __init__(self, total_alloc: int = 0) -> None:
        self.entries = 0
        self.total_alloc = total_alloc
        self.dirs_done = 0
        self.loops = 0
        """Directories skipped as loops (a directory identity met a second time)."""
        self.next_report = 0.0


def _walk_tree(
    todo: list[tuple[str, DirNode]],
    found: list[tuple[str, DirNode]],
    root_dev: int,
    visited_dirs: set[object],
    linked: Linked,
    problems: ProblemLog,
    state: WalkState,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    interval: float = 0.1,
    records: LinkRecords | None = None,
) -> bool:
    """List every directory of `todo` once; per entry one lstat (from the directory's fd).

    Subdirectories go to `found`: the walk goes down the whole tree when `found is todo`
    (depth first, the last listed first), and lists only the given directories otherwise.
    Returns True if cancelled.

    A multi-link inode met once is only `key -> DirNode` in `linked`, with its bytes folded
    into that directory's `sub_alloc`/`sub_apparent`; at its second link they move out and
    it becomes a `_LinkedInode`. With `records` (a part of a split walk, merged later) the
    same happens, but `linked` maps the key to its index in `records`, which keeps each
    inode's figures for the merge.

    The loop is the hot path of the whole tool (one iteration per file), so it keeps
    to local variables, sums st_blocks rather than bytes, and does the rare work
    (directories, multi-link inodes, errors) off the common path.
    """
    entries = state.entries
    total_alloc = state.total_alloc
    dirs_done = state.dirs_done
    loops = state.loops
    next_report = state.next_report
    stack = todo
    push = found.append
    monotonic = time.monotonic
    scandir = os.scandir
    ifmt = _S_IFMT
    ifdir = _S_IFDIR
    linked_get = linked.get
    new_node = DirNode
    by_fd = _SCANDIR_FD
    open_dir = os.open
    close = os.close
    dir_flags = _DIR_FLAGS
    if records is not None:
        add_key = records.keys.append
        add_nlink = records.nlinks.append
        add_alloc = records.allocs.append
        add_apparent = records.apparents.append
        add_node = records.nodes.append
        record_nodes = records.nodes
        record_more = records.more
        record_count = len(record_nodes)
    was_cancelled = False
    while stack:
        path, node = stack.pop()
        if cancelled is not None and cancelled():
            was_cancelled = True
            break
        if progress is not None:
            now = monotonic()
            if now >= next_report:
                next_report = now + interval
                progress(ScanProgress(entries, total_alloc, path, dirs_done))
        fd = -1
        try:
            if by_fd:
                fd = open_dir(path, dir_flags)
                iterator = scandir(fd)
            else:
                iterator = scandir(path)
        except OSError as exc:
            if fd >= 0:
                close(fd)
            problems.add(_problem_for(exc, path))
            node.complete = False
            continue
        prefix = path if path.endswith("/") else path + "/"
        own_blocks = own_apparent = own_files = 0
        dir_blocks = link_blocks = link_apparent = seen = 0
        children = node.children
        try:
            with iterator:
                try:
                    for entry in iterator:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except OSError as exc:
                            seen += 1
                            problems.add(_problem_for(exc, prefix + entry.name))
                            continue
                        if st.st_mode & ifmt == ifdir:
                            seen += 1
                            name = entry.name
                            dev = st.st_dev
                            key: object = st.st_ino if dev == root_dev else (dev, st.st_ino)
                            if key in visited_dirs:
                                loops += 1
                                problems.add(
                                    Problem(ProblemKind.ERROR, prefix + name, "directory loop")
                                )
                                continue
                            visited_dirs.add(key)
                            blocks = st.st_blocks
                            dir_blocks += blocks
                            child = new_node(name, node, blocks * 512, st.st_size)
                            if children is None:
                                children = node.children = {}
                            children[name] = child
                            child_path = prefix + name
                            push((child_path, child))
                            if not name.isascii():
                                _check_name(name, child_path, problems)
                            continue
                        own_files += 1
                        if st.st_nlink > 1:
                            dev = st.st_dev
                            key = st.st_ino if dev == root_dev else (dev, st.st_ino)
                            record = linked_get(key)
                            blocks = st.st_blocks
                            size = st.st_size
                            if record is None:
                                # First link: counted here until a second link turns up.
                                if records is None:
                                    linked[key] = node
                                else:
                                    linked[key] = record_count
                                    record_count += 1
                                    add_key(key)
                                    add_nlink(st.st_nlink)
                                    add_alloc(blocks * 512)
                                    add_apparent(size)
                                    add_node(node)
                                link_blocks += blocks
                                link_apparent += size
                                continue
                            if isinstance(record, int):
                                more = record_more.get(record)
                                if more is not None:
                                    more.append(node)
                                    continue
                                record_more[record] = [node]
                                first = record_nodes[record]
                            elif isinstance(record, DirNode):
                                first = record
                                linked[key] = _LinkedInode(
                                    st.st_nlink, blocks * 512, size, [record, node]
                                )
                            else:
                                record.nodes.append(node)
                                continue
                            # Second link: take the bytes back from the first directory;
                            # `_finish` places them once for all the links.
                            if first is node:
                                link_blocks -= blocks
                                link_apparent -= size
                                total_alloc += blocks * 512
                            else:
                                first.sub_alloc -= blocks * 512
                                first.sub_apparent -= size
                            continue
                        own_blocks += st.st_blocks
                        own_apparent += st.st_size
                except OSError as exc:
                    problems.add(_problem_for(exc, path))
                    node.complete = False
        finally:
            if fd >= 0:
                close(fd)
        node.own_alloc += own_blocks * 512
        node.own_apparent += own_apparent
        node.own_files += own_files
        node.sub_alloc += link_blocks * 512
        node.sub_apparent += link_apparent
        entries += own_files + seen
        total_alloc += (own_blocks + link_blocks + dir_blocks) * 512
        dirs_done += 1
    state.entries = entries
    state.total_alloc = total_alloc
    state.dirs_done = dirs_done
    state.loops = loops
    state.next_report = next_report
    return was_cancelled


def _check_name(name: str, path: str, problems: ProblemLog) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        problems.add(Problem(ProblemKind.NOT_UTF8, path))


def _problem_for(exc: OSError, path: str) -> Problem:
    """The path is kept as the OS gave it (undecodable bytes as surrogates): lossless in
    JSON, made printable only where it is shown."""
    safe_path = path
    if isinstance(exc, FileNotFoundError):
        return Problem(ProblemKind.VANISHED, safe_path, "vanished during the scan")
    if isinstance(exc, PermissionError):
        return Problem(ProblemKind.PERMISSION, safe_path, exc.strerror or "permission denied")
    return Problem(ProblemKind.ERROR, safe_path, exc.strerror or str(exc))


def _finish(root: DirNode, linked: Linked) -> list[SharedInode]:
    """Turn per-directory figures into subtree figures, then place multi-link inodes.

    On entry `sub_alloc`/`sub_apparent` hold each directory's once-met multi-link bytes;
    those count towards `sub_alloc` but never towards `sub_reclaim` (a link lies outside).
    """
    order: list[DirNode] = []
    append = order.append
    stack = [root]
    pop = stack.pop
    extend = stack.extend
    while stack:
        node = pop()
        append(node)
        if node.children:
            extend(node.children.values())
    for node in reversed(order):
        # Equal figures share one int object (most directories are leaves without
        # multi-link files): 32 bytes saved per figure on a tree of 100k+ directories.
        reclaim = alloc = node.own_alloc
        apparent = node.own_apparent
        files = node.own_files
        dirs = 0
        children = node.children
        if children:
            for child in children.values():
                alloc += child.sub_alloc
                reclaim += child.sub_reclaim
                apparent += child.sub_apparent
                files += child.sub_files
                dirs += child.sub_dirs + 1
        if node.sub_alloc:
            alloc += node.sub_alloc
        if node.sub_apparent:
            apparent += node.sub_apparent
        node.sub_alloc = alloc
        node.sub_reclaim = reclaim if reclaim != alloc else alloc
        node.sub_apparent = apparent
        node.sub_files = files
        node.sub_dirs = dirs
    # Inodes with the same link directories (a venv's files hardlinked from one archive dir)
    # are placed together: one walk up the tree per group instead of one per inode.
    shared: list[SharedInode] = []
    groups: dict[tuple[DirNode, ...], list[int]] = {}
    for record in linked.values():
        if not isinstance(record, _LinkedInode):
            continue  # met once: already counted in its directory
        nodes = record.nodes
        all_seen = len(nodes) >= record.nlink
        distinct = tuple({id(n): n for n in nodes}.values())
        sums = groups.get(distinct)
        if sums is None:
            sums = groups[distinct] = [0, 0, 0]
        sums[0] += record.alloc
        sums[1] += record.apparent
        if all_seen:
            sums[2] += record.alloc
        if len(distinct) > 1:
            shared.append(SharedInode(record.alloc, record.apparent, all_seen, distinct))
    for distinct, (alloc, apparent, reclaim) in groups.items():
        _add_along_paths(distinct, alloc, apparent)
        if reclaim:
            current: DirNode | None = _lowest_common_ancestor(distinct)
            while current is not None:
                current.sub_reclaim += reclaim
                current = current.parent
    return shared


def _add_along_paths(nodes: Sequence[DirNode], alloc: int, apparent: int) -> None:
    """Count an inode once in every directory that contains at least one of its links."""
    visited: set[int] = set()
    for start in nodes:
        current: DirNode | None = start
        while current is not None and id(current) not in visited:
            visited.add(id(current))
            current.sub_alloc += alloc
            current.sub_apparent += apparent
            current = current.parent


def _lowest_common_ancestor(nodes: Sequence[DirNode]) -> DirNode:
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
