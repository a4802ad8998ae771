"""The walk itself: list directories, one lstat per entry, into `DirNode`s and a link table.

`walk_dirs` is shared by both walks: the serial walk runs it from the root, the parallel
walk on the top levels in the parent. The parallel walk's workers run `walk_rows`, the
same walk (same order, same problems) written straight into flat per-directory rows
(`ChunkRows`) rather than `DirNode`s: what they send is built as they go.
"""

from __future__ import annotations

import os
import stat
import time
from array import array
from collections.abc import Callable

from uvcache_tui.core.model import Problem, ProblemKind, ProblemLog, ScanProgress
from uvcache_tui.core.scan.links import LinkRecords, LinkTable
from uvcache_tui.core.scan.node import DirNode, IntPool

ProgressCallback = Callable[[ScanProgress], None]
CancelCheck = Callable[[], bool]

_S_IFMT = stat.S_IFMT(0o177777)
_S_IFDIR = stat.S_IFDIR
# Listing a directory through an fd makes each entry's lstat an fstatat() of one name
# instead of a lookup of the whole path: about 10% faster on a warm ext4 tree.
_SCANDIR_FD = os.scandir in os.supports_fd
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)


class WalkState:
    """Counters of a walk, carried from one `walk_dirs` call to the next."""

    __slots__ = ("entries", "total_alloc", "dirs_done", "loops", "next_report", "names", "ints")

    def __init__(self, total_alloc: int = 0) -> None:
        self.entries = 0
        self.total_alloc = total_alloc
        self.dirs_done = 0
        self.loops = 0
        """Directories skipped as loops (a directory identity met a second time)."""
        self.next_report = 0.0
        self.names: dict[str, str] = {}
        """One str object per directory name met (`__pycache__`, `tests`, a package's
        name in each of its archive entries...): the tree holds each name once."""
        self.ints = IntPool()


def walk_dirs(
    todo: list[tuple[str, DirNode]],
    found: list[tuple[str, DirNode]],
    root_dev: int,
    visited_dirs: set[object],
    links: LinkTable | LinkRecords,
    problems: ProblemLog,
    state: WalkState,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    interval: float = 0.1,
) -> bool:
    """List every directory of `todo` once; per entry one lstat (from the directory's fd).

    Subdirectories go to `found`: the walk goes down the whole tree when `found is todo`
    (depth first, the last listed first), and lists only the given directories otherwise.
    Returns True if cancelled.

    Every link of a multi-link inode goes to `links` (a `LinkTable`, or `LinkRecords` for
    a part of a split walk), which keeps its bytes in one directory while it is met once.

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
    add_link = links.add
    new_node = DirNode
    share_name = state.names.setdefault
    share_int = state.ints.share
    by_fd = _SCANDIR_FD
    open_dir = os.open
    close = os.close
    dir_flags = _DIR_FLAGS
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
            problems.add(problem_for(exc, path))
            node.complete = False
            continue
        prefix = path if path.endswith("/") else path + "/"
        own_blocks = own_apparent = own_files = 0
        dir_blocks = link_blocks = seen = 0
        subdirs: list[DirNode] = []
        try:
            with iterator:
                try:
                    for entry in iterator:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except OSError as exc:
                            seen += 1
                            problems.add(problem_for(exc, prefix + entry.name))
                            continue
                        if st.st_mode & ifmt == ifdir:
                            seen += 1
                            name = entry.name
                            name = share_name(name, name)
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
                            subdirs.append(child)
                            child_path = prefix + name
                            push((child_path, child))
                            if not name.isascii():
                                check_name(name, child_path, problems)
                            continue
                        own_files += 1
                        if st.st_nlink > 1:
                            dev = st.st_dev
                            key = st.st_ino if dev == root_dev else (dev, st.st_ino)
                            blocks = st.st_blocks
                            if add_link(key, st.st_nlink, blocks * 512, st.st_size, node):
                                link_blocks += blocks  # counted in the total once
                            continue
                        own_blocks += st.st_blocks
                        own_apparent += st.st_size
                except OSError as exc:
                    problems.add(problem_for(exc, path))
                    node.complete = False
        finally:
            if fd >= 0:
                close(fd)
        if subdirs:
            node.set_children(subdirs)
        alloc = node.own_alloc = share_int(node.own_alloc + own_blocks * 512)
        apparent = node.own_apparent + own_apparent
        node.own_apparent = alloc if apparent == alloc else apparent
        node.own_files += own_files
        entries += own_files + seen
        total_alloc += (own_blocks + link_blocks + dir_blocks) * 512
        dirs_done += 1
    state.entries = entries
    state.total_alloc = total_alloc
    state.dirs_done = dirs_done
    state.loops = loops
    state.next_report = next_report
    return was_cancelled


class ChunkRows:
    """One chunk's directories as rows, and every link of its multi-link files.

    Row `code` of `figures` (five per directory: own_alloc, own_apparent, own_files, and the
    bytes of its multi-link files, link_alloc and link_apparent): the chunk's units are
    0..n-1, the directories found below them n, n+1, ... in the order met, each after its
    parent; `names` and `parents` hold theirs from code n on. Multi-link files: one entry
    each in `keys`/`nlinks`/`blocks`/`sizes`, in walk order, grouped by directory
    (`link_dirs` codes, `link_counts` files each); every one's bytes are in its directory's
    link figures, as if met once (`links.resolve_links` finds the inodes met twice).
    """

    __slots__ = (
        "units",
        "names",
        "parents",
        "figures",
        "incomplete",
        "keys",
        "nlinks",
        "blocks",
        "sizes",
        "link_dirs",
        "link_counts",
    )

    def __init__(self, units: int) -> None:
        self.units = units
        self.names: list[str] = []
        self.parents: array[int] = array("i")
        self.figures: array[int] = array("q", bytes(8 * 5 * units))
        self.incomplete: list[int] = []
        self.keys: list[object] = []
        self.nlinks: list[int] = []
        self.blocks: list[int] = []
        self.sizes: list[int] = []
        self.link_dirs: list[int] = []
        self.link_counts: list[int] = []


def walk_rows(
    units: list[tuple[str, int, int]],
    root_dev: int,
    visited_dirs: set[object],
    problems: ProblemLog,
    state: WalkState,
    progress: ProgressCallback | None = None,
    interval: float = 0.1,
) -> ChunkRows:
    """Walk the subtrees of `units` (path, and the own_alloc and own_apparent of its
    directory entry) one after the other, as `walk_dirs` would (same order, same checks,
    same problems), into rows (`ChunkRows`).

    The hot loop does less than `walk_dirs`'s: no node per directory, and a multi-link
    file is only kept (its stat result) until its directory is listed, then all of the
    directory's go into the link columns at once.
    """
    rows = ChunkRows(len(units))
    figures = rows.figures
    for code, (_, alloc, apparent) in enumerate(units):
        figures[code * 5] = alloc
        figures[code * 5 + 1] = apparent
    stack = [(path, code) for code, (path, _, _) in enumerate(units)]
    stack.reverse()
    next_code = len(units)
    push = stack.append
    names_append = rows.names.append
    share_name = state.names.setdefault
    parents_append = rows.parents.append
    figures_extend = figures.extend
    incomplete = rows.incomplete
    entries = state.entries
    total_alloc = state.total_alloc
    dirs_done = state.dirs_done
    loops = state.loops
    next_report = state.next_report
    monotonic = time.monotonic
    scandir = os.scandir
    ifmt = _S_IFMT
    ifdir = _S_IFDIR
    by_fd = _SCANDIR_FD
    open_dir = os.open
    close = os.close
    dir_flags = _DIR_FLAGS
    while stack:
        path, code = stack.pop()
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
            problems.add(problem_for(exc, path))
            incomplete.append(code)
            continue
        prefix = path if path.endswith("/") else path + "/"
        own_blocks = own_apparent = own_files = 0
        dir_blocks = seen = 0
        multi: list[os.stat_result] = []
        try:
            with iterator:
                try:
                    for entry in iterator:
                        try:
                            st = entry.stat(follow_symlinks=False)
                        except OSError as exc:
                            seen += 1
                            problems.add(problem_for(exc, prefix + entry.name))
                            continue
                        if st.st_mode & ifmt == ifdir:
                            seen += 1
                            name = entry.name
                            name = share_name(name, name)
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
                            names_append(name)
                            parents_append(code)
                            figures_extend((blocks * 512, st.st_size, 0, 0, 0))
                            child_path = prefix + name
                            push((child_path, next_code))
                            next_code += 1
                            if not name.isascii():
                                check_name(name, child_path, problems)
                            continue
                        own_files += 1
                        if st.st_nlink > 1:
                            multi.append(st)
                            continue
                        own_blocks += st.st_blocks
                        own_apparent += st.st_size
                except OSError as exc:
                    problems.add(problem_for(exc, path))
                    incomplete.append(code)
        finally:
            if fd >= 0:
                close(fd)
        base = code * 5
        figures[base] += own_blocks * 512
        figures[base + 1] += own_apparent
        figures[base + 2] = own_files
        if multi:
            link_blocks, link_apparent = _add_links(rows, multi, code, root_dev)
            figures[base + 3] = link_blocks * 512
            figures[base + 4] = link_apparent
            own_blocks += link_blocks
        entries += own_files + seen
        total_alloc += (own_blocks + dir_blocks) * 512
        dirs_done += 1
    state.entries = entries
    state.total_alloc = total_alloc
    state.dirs_done = dirs_done
    state.loops = loops
    state.next_report = next_report
    return rows


def _add_links(
    rows: ChunkRows, multi: list[os.stat_result], code: int, root_dev: int
) -> tuple[int, int]:
    """One directory's multi-link files into the link columns; their blocks and bytes."""
    rows.keys.extend(
        [st.st_ino if st.st_dev == root_dev else (st.st_dev, st.st_ino) for st in multi]
    )
    rows.nlinks.extend([st.st_nlink for st in multi])
    blocks = [st.st_blocks for st in multi]
    sizes = [st.st_size for st in multi]
    rows.blocks.extend(blocks)
    rows.sizes.extend(sizes)
    rows.link_dirs.append(code)
    rows.link_counts.append(len(multi))
    return sum(blocks), sum(sizes)


def check_name(name: str, path: str, problems: ProblemLog) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        problems.add(Problem(ProblemKind.NOT_UTF8, path))


def problem_for(exc: OSError, path: str) -> Problem:
    """The path is kept as the OS gave it (undecodable bytes as surrogates): lossless in
    JSON, made printable only where it is shown."""
    safe_path = path
    if isinstance(exc, FileNotFoundError):
        return Problem(ProblemKind.VANISHED, safe_path, "vanished during the scan")
    if isinstance(exc, PermissionError):
        return Problem(ProblemKind.PERMISSION, safe_path, exc.strerror or "permission denied")
    return Problem(ProblemKind.ERROR, safe_path, exc.strerror or str(exc))
