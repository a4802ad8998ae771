"""The scan after a prune/clean, from the scan before and what uv removed: equal to a full walk.

uv's archive entries are immutable once written, and `uv cache prune`/`clean` only delete
(and create the root's marker files). So the tree after an action is the tree before minus
the removed paths, except in the directories that lost or gained an entry: those (and the
root, whose marker files uv may rewrite) are listed again, with one lstat per entry. Every
other directory keeps its figures, and nothing below them is read.

What makes it exact: a directory's figures are its own contribution (its entry, its
single-link files, its multi-link files whose other links lie in no other scanned
directory) plus its children's, plus the multi-link inodes with links in several
directories (`ScanResult.shared_inodes`), placed along their link paths. Removing links
never changes whether every link of an inode was seen (both counts drop by the same
number), so a shared inode that loses links is placed again on the links that remain, or
becomes its one remaining directory's own, or goes.

When that reasoning does not hold, `rescan_after` raises `FullWalkNeeded` with the reason,
and the caller walks the whole tree (`cache.reload_cache`):
- the scan before was stopped, or met problems (unreadable or vanishing entries);
- uv replaced the root directory;
- a directory appeared (its multi-link files would need the whole link table);
- a directory that was listed again holds links of an inode shared with another directory,
  or gained a multi-link file (the scan keeps no inode numbers to match them);
- a listing disagrees with the change it was given (something else wrote meanwhile).

Not noticed: a file rewritten in place under its name outside the root (uv does not do that
during prune/clean; the next full scan, `r`, would correct it).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass

from uvcache_tui.core.model import ProblemLog
from uvcache_tui.core.pathset import outermost
from uvcache_tui.core.scan.tree import DirNode, ScanResult, SharedInode


class FullWalkNeeded(Exception):
    """The change cannot be applied exactly to the scan before; the message says why."""


@dataclass(frozen=True)
class TreeChange:
    """What an action did to a cache, by relative path (from `pathset`'s listings)."""

    removed: tuple[str, ...]
    """Every path that disappeared (a removed directory may stand for its contents)."""
    added: tuple[str, ...] = ()
    """Every path that appeared."""
    root_replaced: bool = False
    """The root's device/inode changed while uv ran."""


@dataclass
class _Listing:
    """A directory listed again: its own contribution, and its subdirectories' names."""

    alloc: int
    apparent: int
    reclaim: int
    files: int
    single_alloc: int
    single_apparent: int
    subdirs: set[str]


@dataclass
class _Figures:
    alloc: int = 0
    apparent: int = 0
    reclaim: int = 0


def rescan_after(before: ScanResult, change: TreeChange) -> ScanResult:
    """The scan of `before.root_path` now, from `before` (left untouched) and `change`;
    or `FullWalkNeeded` (see above). Lists only the root and the dirs that lost or gained
    an entry, and all of them before changing anything."""
    started = time.monotonic()
    if before.cancelled:
        raise FullWalkNeeded("the scan before was stopped: its figures are partial")
    if before.problems.total:
        raise FullWalkNeeded("the scan before met unreadable or vanishing entries")
    if change.root_replaced:
        raise FullWalkNeeded("uv replaced the cache's root directory")
    root_path = before.root_path
    gone, relisted = _what_changed(before, change)
    _check_shared(before.shared_inodes, relisted)
    try:
        root_dev = os.lstat(root_path).st_dev
    except OSError as exc:
        raise FullWalkNeeded(f"the cache root cannot be read: {exc.strerror}") from exc
    added_names = {_split(path) for path in outermost(change.added)}
    listings: dict[int, _Listing] = {}
    for node in relisted:
        path = os.path.join(root_path, *node.parts())
        listing = _list_again(path, root_dev, node.parts(), added_names)
        expected = {child.name for child in node.iter_children() if child not in gone}
        if listing.subdirs != expected:
            raise FullWalkNeeded(f"{path}: its subdirectories are not what the change says")
        listings[id(node)] = listing
    # Nothing changes before this line: the tree is copied, the copy is changed.
    root, copies = _copy_tree(before.root)
    touched, kept = _split_shared(before.shared_inodes, gone)
    moved = [_remap(inode, copies) for inode in touched]
    kept_shared = [_remap(inode, copies) for inode in kept]
    for inode in moved:
        _unplace(inode)
    old_own = {key: _own_contribution(copies[key], kept_shared) for key in listings}
    for node in gone:
        _detach(copies[id(node)])
    for key, listing in listings.items():
        _apply_listing(copies[key], old_own[key], listing)
    gone_copies = {copies[id(node)] for node in gone}
    shared = kept_shared
    for inode in moved:
        remaining = [node for node in inode.nodes if not _inside(node, gone_copies)]
        replaced = _place_again(inode, remaining)
        if replaced is not None:
            shared.append(replaced)
    result = ScanResult(root_path, root, ProblemLog(), shared_inodes=shared)
    result.elapsed = time.monotonic() - started
    return result


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rpartition("/")
    return parent, name


def _what_changed(before: ScanResult, change: TreeChange) -> tuple[set[DirNode], list[DirNode]]:
    """The removed directories (by id) and the directories to list again (root first)."""
    gone: set[DirNode] = set()
    relisted: dict[int, DirNode] = {id(before.root): before.root}
    for path in outermost(change.removed):
        parent_path, _name = _split(path)
        parent = before.node(parent_path)
        if parent is None:
            raise FullWalkNeeded(f"{path}: removed from a directory the scan did not list")
        node = before.node(path)
        if node is not None and node is not before.root:
            gone.add(node)
        relisted[id(parent)] = parent
    for path in outermost(change.added):
        parent = before.node(_split(path)[0])
        if parent is None:
            raise FullWalkNeeded(f"{path}: appeared where the scan before had no directory")
        relisted[id(parent)] = parent
    return gone, list(relisted.values())


def _check_shared(shared: list[SharedInode], relisted: list[DirNode]) -> None:
    ids = {id(node) for node in relisted}
    for inode in shared:
        for node in inode.nodes:
            if id(node) in ids:
                raise FullWalkNeeded(
                    f"{node.relpath()}: changed, and holds links of a file linked elsewhere too"
                )


def _list_again(
    path: str, root_dev: int, parts: list[str], added: set[tuple[str, str]]
) -> _Listing:
    """One directory's own contribution, as the full walk would count it (one lstat each)."""
    here = "/".join(parts)
    try:
        own = os.lstat(path)
        entries = list(os.scandir(path))
    except OSError as exc:
        raise FullWalkNeeded(f"{path}: cannot be listed again ({exc.strerror})") from exc
    single_blocks = own.st_blocks
    single_apparent = own.st_size
    files = 0
    subdirs: set[str] = set()
    links: dict[object, list[int]] = {}
    for entry in entries:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError as exc:
            raise FullWalkNeeded(f"{entry.path}: cannot be read ({exc.strerror})") from exc
        if stat.S_ISDIR(st.st_mode):
            subdirs.add(entry.name)
            continue
        files += 1
        if st.st_nlink > 1:
            if (here, entry.name) in added:
                raise FullWalkNeeded(f"{entry.path}: a new file with several links")
            key: object = st.st_ino if st.st_dev == root_dev else (st.st_dev, st.st_ino)
            record = links.setdefault(key, [st.st_nlink, st.st_blocks * 512, st.st_size, 0])
            record[3] += 1
            continue
        single_blocks += st.st_blocks
        single_apparent += st.st_size
    single_alloc = single_blocks * 512
    alloc, apparent, reclaim = single_alloc, single_apparent, single_alloc
    for nlink, link_alloc, link_apparent, seen in links.values():
        alloc += link_alloc
        apparent += link_apparent
        if seen >= nlink:
            reclaim += link_alloc
    return _Listing(alloc, apparent, reclaim, files, single_alloc, single_apparent, subdirs)


def _copy_tree(root: DirNode) -> tuple[DirNode, dict[int, DirNode]]:
    """A copy of the tree and, by the id of each original node, its copy."""
    copies: dict[int, DirNode] = {}
    new_root = _copy_node(root, None)
    copies[id(root)] = new_root
    stack = [(root, new_root)]
    while stack:
        old, new = stack.pop()
        if not old.children:
            continue
        children = new.children = {}
        for name, child in old.children.items():
            copy = _copy_node(child, new)
            children[name] = copy
            copies[id(child)] = copy
            if child.children:
                stack.append((child, copy))
    return new_root, copies


def _copy_node(old: DirNode, parent: DirNode | None) -> DirNode:
    new = DirNode(old.name, parent, old.own_alloc, old.own_apparent)
    new.own_files = old.own_files
    new.sub_alloc = old.sub_alloc
    new.sub_apparent = old.sub_apparent
    new.sub_reclaim = old.sub_reclaim
    new.sub_files = old.sub_files
    new.sub_dirs = old.sub_dirs
    new.complete = old.complete
    return new


def _split_shared(
    shared: list[SharedInode], gone: set[DirNode]
) -> tuple[list[SharedInode], list[SharedInode]]:
    """The shared inodes with a link in a removed directory, and the others."""
    touched: list[SharedInode] = []
    kept: list[SharedInode] = []
    for inode in shared:
        if any(_inside(node, gone) for node in inode.nodes):
            touched.append(inode)
        else:
            kept.append(inode)
    return touched, kept


def _inside(node: DirNode, nodes: set[DirNode]) -> bool:
    current: DirNode | None = node
    while current is not None:
        if current in nodes:
            return True
        current = current.parent
    return False


def _remap(inode: SharedInode, copies: dict[int, DirNode]) -> SharedInode:
    nodes = tuple(copies[id(node)] for node in inode.nodes)
    return SharedInode(inode.allocated, inode.apparent, inode.all_links_seen, nodes)


def _union(nodes: Iterable[DirNode]) -> dict[int, DirNode]:
    """Every directory on the paths from these nodes to the root, once."""
    union: dict[int, DirNode] = {}
    for start in nodes:
        current: DirNode | None = start
        while current is not None and id(current) not in union:
            union[id(current)] = current
            current = current.parent
    return union


def _lowest_common_ancestor(nodes: list[DirNode]) -> DirNode:
    chain: list[DirNode] = []
    current: DirNode | None = nodes[0]
    while current is not None:
        chain.append(current)
        current = current.parent
    depth = {id(node): index for index, node in enumerate(chain)}
    best = 0
    for other in nodes[1:]:
        current = other
        while current is not None and id(current) not in depth:
            current = current.parent
        if current is not None:
            best = max(best, depth[id(current)])
    return chain[best]


def _add_up(node: DirNode, alloc: int, apparent: int, reclaim: int) -> None:
    """Add to a directory's figures and every ancestor's."""
    current: DirNode | None = node
    while current is not None:
        current.sub_alloc += alloc
        current.sub_apparent += apparent
        current.sub_reclaim += reclaim
        current = current.parent


def _unplace(inode: SharedInode) -> None:
    """Take a shared inode out of every figure it is counted in (as `LinkTable.place` put it)."""
    for node in _union(inode.nodes).values():
        node.sub_alloc -= inode.allocated
        node.sub_apparent -= inode.apparent
    if inode.all_links_seen:
        _add_up(_lowest_common_ancestor(list(inode.nodes)), 0, 0, -inode.allocated)


def _place_again(inode: SharedInode, remaining: list[DirNode]) -> SharedInode | None:
    """Count a shared inode on the links that remain; the shared inode it still is, if any."""
    if not remaining:
        return None
    if len(remaining) == 1:
        # Its one remaining directory's own now: a plain file there if every link was seen.
        reclaim = inode.allocated if inode.all_links_seen else 0
        _add_up(remaining[0], inode.allocated, inode.apparent, reclaim)
        return None
    for node in _union(remaining).values():
        node.sub_alloc += inode.allocated
        node.sub_apparent += inode.apparent
    if inode.all_links_seen:
        _add_up(_lowest_common_ancestor(remaining), 0, 0, inode.allocated)
    return SharedInode(inode.allocated, inode.apparent, inode.all_links_seen, tuple(remaining))


def _own_contribution(node: DirNode, shared: list[SharedInode]) -> _Figures:
    """What a directory adds by itself: its figures less its children's and the shared
    inodes placed through it (none has a link in it: `_check_shared`)."""
    own = _Figures(node.sub_alloc, node.sub_apparent, node.sub_reclaim)
    for child in node.iter_children():
        own.alloc -= child.sub_alloc
        own.apparent -= child.sub_apparent
        own.reclaim -= child.sub_reclaim
    for inode in shared:
        branches: set[int] = set()
        below = 0
        for link_node in inode.nodes:
            branch = _child_towards(node, link_node)
            if branch is not None:
                branches.add(id(branch))
                below += 1
        if not branches:
            continue
        # `place` counted it once here and once in each child on its paths.
        own.alloc -= inode.allocated * (1 - len(branches))
        own.apparent -= inode.apparent * (1 - len(branches))
        if inode.all_links_seen and len(branches) > 1 and below == len(inode.nodes):
            own.reclaim -= inode.allocated  # this is their lowest common ancestor
    return own


def _child_towards(ancestor: DirNode, node: DirNode) -> DirNode | None:
    """The child of `ancestor` on the way to `node`, or None if `node` is not below it."""
    current: DirNode | None = node
    while current is not None:
        if current.parent is ancestor:
            return current
        current = current.parent
    return None


def _detach(node: DirNode) -> None:
    """Remove a directory's subtree from its parent and every ancestor's figures."""
    parent = node.parent
    assert parent is not None and parent.children is not None
    _add_up(parent, -node.sub_alloc, -node.sub_apparent, -node.sub_reclaim)
    current: DirNode | None = parent
    while current is not None:
        current.sub_files -= node.sub_files
        current.sub_dirs -= node.sub_dirs + 1
        current = current.parent
    del parent.children[node.name]
    if not parent.children:
        parent.children = None


def _apply_listing(node: DirNode, old: _Figures, listing: _Listing) -> None:
    """Replace a directory's own contribution with what listing it again found."""
    _add_up(
        node,
        listing.alloc - old.alloc,
        listing.apparent - old.apparent,
        listing.reclaim - old.reclaim,
    )
    files = listing.files - node.own_files
    current: DirNode | None = node
    while current is not None:
        current.sub_files += files
        current = current.parent
    node.own_files = listing.files
    node.own_alloc = listing.single_alloc
    node.own_apparent = listing.single_apparent
