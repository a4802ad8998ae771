"""The scan after a prune/clean, from the scan before and what uv removed: equal to a full walk.

uv's archive entries are immutable once written, and `uv cache prune`/`clean` only delete
(and create the root's marker files). So the tree after an action is the tree before minus
the removed paths, except in the directories that lost or gained an entry: those (and the
root, whose marker files uv may rewrite) are listed again, with one lstat per entry (a dir
that holds no file and lost none, like archive-v0, only by name). Every other directory
keeps its figures, and nothing below them is read.

What makes it exact: a directory's figures are its own contribution (its entry, its
single-link files, its multi-link files whose other links lie in no other scanned
directory) plus its children's, plus the multi-link inodes with links in several
directories (`ScanResult.shared_inodes`), placed along their link paths. Removing links
never changes whether every link of an inode was seen (both counts drop by the same
number), so a shared inode that loses links is placed again on the links that remain, or
becomes its one remaining directory's own, or goes.

When that reasoning does not hold, `rescan_after` raises `FullWalkNeeded` with the reason,
and the caller walks the whole tree (`reload.reload_cache`):
- the scan before was stopped, or met problems (unreadable or vanishing entries);
- uv replaced the root directory, or a directory cannot be listed after it ran;
- a directory appeared (its multi-link files would need the whole link table);
- a directory that was listed again holds links of an inode shared with another directory,
  or gained a multi-link file (the scan keeps no inode numbers to match them);
- a listing disagrees with the change it was given (something else wrote meanwhile).

The tree is taken over, not copied: `rescan_after` turns `before`'s directories into the
tree after, in place (copying a large tree and re-pointing its shared inodes costs more than
the rescan itself), so the scan before is not to be read once it returned. Every check and
every read comes first: when it raises, nothing was changed.

Not noticed: a file rewritten in place under its name outside the root (uv does not do that
during prune/clean; the next full scan, `r`, would correct it).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from uvcache_tui.core.model import ProblemLog
from uvcache_tui.core.pathset import outermost
from uvcache_tui.core.scan.node import DirNode
from uvcache_tui.core.scan.tree import ScanResult, SharedInode


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
    unlisted_after: bool = False
    """Some directory could not be listed after uv ran (what it holds now is unknown)."""


@dataclass
class _Relisted:
    """A directory to list again, and what the change did in it."""

    node: DirNode
    lost_files: bool = False
    added: set[str] = field(default_factory=set)


@dataclass
class _Listing:
    """A directory listed again: its entry and single-link files, its multi-link files
    (none of them shared with another directory), and its subdirectories' names."""

    single_alloc: int
    single_apparent: int
    files: int
    subdirs: set[str]
    multi_alloc: int = 0
    multi_apparent: int = 0
    multi_reclaim: int = 0


@dataclass
class _Figures:
    alloc: int = 0
    apparent: int = 0
    reclaim: int = 0


def rescan_after(before: ScanResult, change: TreeChange) -> ScanResult:
    """The scan of `before.root_path` now, from `before` (taken over) and `change`; or
    `FullWalkNeeded` (see above), raised before anything changed."""
    started = time.monotonic()
    if before.cancelled:
        raise FullWalkNeeded("the scan before was stopped: its figures are partial")
    if before.problems.total:
        raise FullWalkNeeded("the scan before met unreadable or vanishing entries")
    if change.root_replaced:
        raise FullWalkNeeded("uv replaced the cache's root directory")
    if change.unlisted_after:
        raise FullWalkNeeded("a directory could not be listed after uv ran")
    root_path = before.root_path
    gone, relisted = _what_changed(before, change)
    gone_ids = _subtree_ids(gone)
    touched, kept = _split_shared(before.shared_inodes, gone_ids, relisted)
    try:
        root_dev = os.lstat(root_path).st_dev
    except OSError as exc:
        raise FullWalkNeeded(f"the cache root cannot be read: {exc.strerror}") from exc
    listings: dict[int, _Listing] = {}
    for key, entry in relisted.items():
        path = os.path.join(root_path, *entry.node.parts())
        listing = _list_again(path, root_dev, entry)
        expected = {c.name for c in entry.node.iter_children() if id(c) not in gone_ids}
        if listing.subdirs != expected:
            raise FullWalkNeeded(f"{path}: its subdirectories are not what the change says")
        listings[key] = listing
    # From here on the tree changes, and nothing raises.
    for inode in touched:
        _unplace(inode)
    old_own = {
        key: _own_contribution(entry.node, kept)
        for key, entry in relisted.items()
        if entry.lost_files
    }
    for node in gone:
        _detach(node)
    for key, entry in relisted.items():
        _apply_listing(entry.node, listings[key], old_own.get(key))
    shared = kept
    for inode in touched:
        remaining = [node for node in inode.nodes if id(node) not in gone_ids]
        replaced = _place_again(inode, remaining)
        if replaced is not None:
            shared.append(replaced)
    result = ScanResult(root_path, before.root, ProblemLog(), shared_inodes=shared)
    result.elapsed = time.monotonic() - started
    return result


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rpartition("/")
    return parent, name


def _what_changed(
    before: ScanResult, change: TreeChange
) -> tuple[list[DirNode], dict[int, _Relisted]]:
    """The removed directories and the directories to list again (the root first)."""
    gone: list[DirNode] = []
    relisted: dict[int, _Relisted] = {id(before.root): _Relisted(before.root)}

    def parent_of(path: str, what: str) -> _Relisted:
        parent = before.node(_split(path)[0])
        if parent is None:
            raise FullWalkNeeded(f"{path}: {what} a directory the scan before did not list")
        return relisted.setdefault(id(parent), _Relisted(parent))

    for path in outermost(change.removed):
        entry = parent_of(path, "removed from")
        node = before.node(path)
        if node is None or node is before.root:
            entry.lost_files = True
        else:
            gone.append(node)
    for path in outermost(change.added):
        parent_of(path, "appeared in").added.add(_split(path)[1])
    return gone, relisted


def _subtree_ids(nodes: list[DirNode]) -> set[int]:
    ids: set[int] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        ids.add(id(node))
        stack.extend(node.iter_children())
    return ids


def _split_shared(
    shared: list[SharedInode], gone_ids: set[int], relisted: dict[int, _Relisted]
) -> tuple[list[SharedInode], list[SharedInode]]:
    """The shared inodes with a link in a removed directory, and the others."""
    touched: list[SharedInode] = []
    kept: list[SharedInode] = []
    for inode in shared:
        hit = False
        for node in inode.nodes:
            key = id(node)
            if key in relisted:
                raise FullWalkNeeded(
                    f"{node.relpath()}: changed, and holds links of a file linked elsewhere too"
                )
            if key in gone_ids:
                hit = True
        (touched if hit else kept).append(inode)
    return touched, kept


def _list_again(path: str, root_dev: int, entry: _Relisted) -> _Listing:
    """One directory's own contribution, as the full walk would count it (one lstat each;
    by name only for a directory that held no file and lost or gained none)."""
    try:
        own = os.lstat(path)
        entries = list(os.scandir(path))
    except OSError as exc:
        raise FullWalkNeeded(f"{path}: cannot be listed again ({exc.strerror})") from exc
    if not entry.lost_files and not entry.added and entry.node.own_files == 0:
        subdirs = {e.name for e in entries if e.is_dir(follow_symlinks=False)}
        if len(subdirs) != len(entries):
            raise FullWalkNeeded(f"{path}: holds files the scan before did not see")
        return _Listing(own.st_blocks * 512, own.st_size, 0, subdirs)
    blocks, apparent, files = own.st_blocks, own.st_size, 0
    subdirs = set()
    links: dict[object, list[int]] = {}
    for item in entries:
        try:
            st = item.stat(follow_symlinks=False)
        except OSError as exc:
            raise FullWalkNeeded(f"{item.path}: cannot be read ({exc.strerror})") from exc
        if stat.S_ISDIR(st.st_mode):
            subdirs.add(item.name)
            continue
        files += 1
        if st.st_nlink > 1:
            if item.name in entry.added:
                raise FullWalkNeeded(f"{item.path}: a new file with several links")
            key: object = st.st_ino if st.st_dev == root_dev else (st.st_dev, st.st_ino)
            record = links.setdefault(key, [st.st_nlink, st.st_blocks * 512, st.st_size, 0])
            record[3] += 1
            continue
        blocks += st.st_blocks
        apparent += st.st_size
    listing = _Listing(blocks * 512, apparent, files, subdirs)
    for nlink, link_alloc, link_apparent, seen in links.values():
        listing.multi_alloc += link_alloc
        listing.multi_apparent += link_apparent
        if seen >= nlink:
            listing.multi_reclaim += link_alloc
    return listing


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
    inodes placed through it (none has a link in it: `_split_shared`)."""
    own = _Figures(node.sub_alloc, node.sub_apparent, node.sub_reclaim)
    for child in node.iter_children():
        own.alloc -= child.sub_alloc
        own.apparent -= child.sub_apparent
        own.reclaim -= child.sub_reclaim
    branch_of: dict[int, int] = {}
    for inode in shared:
        branches: set[int] = set()
        below = 0
        for link_node in inode.nodes:
            branch = _branch(node, link_node, branch_of)
            if branch:
                branches.add(branch)
                below += 1
        if not branches:
            continue
        # `place` counted it once here and once in each child on its paths.
        own.alloc -= inode.allocated * (1 - len(branches))
        own.apparent -= inode.apparent * (1 - len(branches))
        if inode.all_links_seen and len(branches) > 1 and below == len(inode.nodes):
            own.reclaim -= inode.allocated  # this is their lowest common ancestor
    return own


def _branch(ancestor: DirNode, node: DirNode, known: dict[int, int]) -> int:
    """The id of the child of `ancestor` on the way up from `node`, 0 if `node` is not
    below it; `known` remembers the answer for every directory passed on the way."""
    trail: list[int] = []
    found = 0
    current: DirNode | None = node
    while current is not None:
        key = id(current)
        if key in known:
            found = known[key]
            break
        trail.append(key)
        if current.parent is ancestor:
            found = key
            break
        current = current.parent
    for key in trail:
        known[key] = found
    return found


def _detach(node: DirNode) -> None:
    """Remove a directory's subtree from its parent and every ancestor's figures."""
    parent = node.parent
    assert parent is not None
    _add_up(parent, -node.sub_alloc, -node.sub_apparent, -node.sub_reclaim)
    current: DirNode | None = parent
    while current is not None:
        current.sub_files -= node.sub_files
        current.sub_dirs -= node.sub_dirs + 1
        current = current.parent
    parent.remove_child(node)


def _apply_listing(node: DirNode, listing: _Listing, old: _Figures | None) -> None:
    """Put what listing a directory again found in place of its own contribution: all of
    it when it lost files (`old`), else its entry and single-link files (its multi-link
    files are those it had: a new one makes the rescan give up, in `_list_again`)."""
    if old is not None:
        alloc = listing.single_alloc + listing.multi_alloc - old.alloc
        apparent = listing.single_apparent + listing.multi_apparent - old.apparent
        reclaim = listing.single_alloc + listing.multi_reclaim - old.reclaim
    else:
        alloc = reclaim = listing.single_alloc - node.own_alloc
        apparent = listing.single_apparent - node.own_apparent
    _add_up(node, alloc, apparent, reclaim)
    files = listing.files - node.own_files
    current: DirNode | None = node
    while current is not None:
        current.sub_files += files
        current = current.parent
    node.own_files = listing.files
    node.own_alloc = listing.single_alloc
    node.own_apparent = listing.single_apparent
