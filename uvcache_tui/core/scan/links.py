"""The link table: inodes with more than one link, counted once, placed after the walk.

Both walks keep them here. An inode met once so far is only `key -> DirNode`, its bytes
folded into that directory's `sub_alloc`/`sub_apparent` (most multi-link inodes of a
cache have their other links outside it, in a venv). At its second link its bytes move
out of that directory and it becomes a `LinkedInode`; `place` counts it once along the
paths of all its links, after `tree.sum_subtrees`.

A key is st_ino on the root's device, else (st_dev, st_ino).
"""

from __future__ import annotations

from array import array
from collections.abc import MutableSequence, Sequence
from itertools import islice
from typing import Any

from uvcache_tui.core.scan.node import DirNode, IntPool
from uvcache_tui.core.scan.tree import (
    SharedInode,
    add_along_paths,
    lowest_common_ancestor,
    sum_subtrees,
)


class LinkedInode:
    """An inode whose links were met in more than one place (or twice in one)."""

    __slots__ = ("nlink", "alloc", "apparent", "nodes")

    def __init__(self, nlink: int, alloc: int, apparent: int, nodes: list[DirNode]) -> None:
        self.nlink = nlink
        self.alloc = alloc
        self.apparent = apparent
        self.nodes = nodes


class LinkTable:
    """The multi-link inodes of one walk (see the module's docstring)."""

    __slots__ = ("entries",)

    def __init__(self) -> None:
        self.entries: dict[object, DirNode | LinkedInode] = {}

    def add(self, key: object, nlink: int, alloc: int, apparent: int, node: DirNode) -> bool:
        """One link of an inode, met in `node`, in walk order; True if it is the first.

        The walk calls this once per multi-link file: it stays small.
        """
        entries = self.entries
        record = entries.get(key)
        if record is None:
            entries[key] = node
            node.sub_alloc += alloc
            node.sub_apparent += apparent
            return True
        if type(record) is DirNode:
            # Second link: take the bytes back from the first directory; `place` puts
            # them once for all the links.
            record.sub_alloc -= alloc
            record.sub_apparent -= apparent
            entries[key] = LinkedInode(nlink, alloc, apparent, [record, node])
        else:
            record.nodes.append(node)  # type: ignore[union-attr]
        return False

    def merge(
        self,
        keys: Sequence[object],
        nlinks: Sequence[int],
        allocs: Sequence[int],
        apparents: Sequence[int],
        firsts: Sequence[DirNode],
        more: dict[int, list[DirNode]],
    ) -> None:
        """Add one part of a walk, as if walked here: per inode in the order met, its
        st_nlink and bytes, the directory of its first link and (by index) those of the
        others in the part, whose bytes are in `firsts` directories already.

        Parts come in walk order. Usually none of the part's inodes was met before and
        none twice in the part: they go in at once.
        """
        entries = self.entries
        if not more and entries.keys().isdisjoint(keys):
            entries.update(zip(keys, firsts, strict=True))  # bytes: in their dirs already
            return
        add = self.add
        for index, key in enumerate(keys):
            first = firsts[index]
            nlink, alloc, apparent = nlinks[index], allocs[index], apparents[index]
            others = more.get(index)
            if others is None:
                if key not in entries:
                    entries[key] = first  # bytes: in `first` already
                    continue
                # Met in an earlier part too: its bytes leave this directory as well.
                first.sub_alloc -= alloc
                first.sub_apparent -= apparent
            add(key, nlink, alloc, apparent, first)
            if others is not None:
                for node in others:
                    add(key, nlink, alloc, apparent, node)

    def place(self) -> list[SharedInode]:
        """Count each inode met more than once, on subtree figures (`tree.sum_subtrees`).

        Returns the inodes with links in more than one directory, for selection maths.
        """
        # Inodes with the same link directories (a venv's files hardlinked from one archive
        # dir) are placed together: one walk up the tree per group instead of one per inode.
        shared: list[SharedInode] = []
        groups: dict[tuple[DirNode, ...], list[int]] = {}
        for record in self.entries.values():
            if not isinstance(record, LinkedInode):
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
            add_along_paths(distinct, alloc, apparent)
            if reclaim:
                current: DirNode | None = lowest_common_ancestor(distinct)
                while current is not None:
                    current.sub_reclaim += reclaim
                    current = current.parent
        return shared


class LinkRecords:
    """Every link of the multi-link files of one part of a split walk, in walk order.

    Each link's bytes are already in its directory's `sub_alloc`/`sub_apparent`, as if
    its inode were met once: nearly always true (a cache's multi-link files have their
    other links outside it, in venvs), and then nothing else is ever needed. The few
    inodes met more than once are found when the walk is over (`resolve_links`).

    Columns: `keys` (a `LinkTable` key each), `nlinks`, `blocks` (st_blocks), `sizes`, and
    the directories they were met in as runs: `dirs[i]` holds the next `counts[i]` links.
    """

    __slots__ = ("keys", "nlinks", "blocks", "sizes", "dirs", "counts")

    def __init__(self) -> None:
        # Flat arrays (inode numbers in one `Q` array while every key is one, see
        # `extend`): one block each, given back whole when the walk is over; a parallel
        # walk gathers every part's here, in walk order.
        self.keys: MutableSequence[Any] = array("Q")
        self.nlinks: array[int] = array("q")
        self.blocks: array[int] = array("q")
        self.sizes: array[int] = array("q")
        self.dirs: list[DirNode] = []
        self.counts: array[int] = array("q")

    def __len__(self) -> int:
        return len(self.keys)

    def add(self, key: object, nlink: int, alloc: int, apparent: int, node: DirNode) -> bool:
        """One link, met in `node` (as `LinkTable.add`, for `walk.walk_dirs`): its bytes
        go into `node`; True (counted as if met once)."""
        self._add_keys([key])
        self.nlinks.append(nlink)
        self.blocks.append(alloc // 512)
        self.sizes.append(apparent)
        if self.dirs and self.dirs[-1] is node:
            self.counts[-1] += 1
        else:
            self.dirs.append(node)
            self.counts.append(1)
        node.sub_alloc += alloc
        node.sub_apparent += apparent
        return True

    def extend(
        self,
        keys: Sequence[object],
        nlinks: Sequence[int],
        blocks: Sequence[int],
        sizes: Sequence[int],
        dirs: Sequence[DirNode],
        counts: Sequence[int],
    ) -> None:
        """Append the next part (bytes in its directories already, as with `add`)."""
        self._add_keys(keys)
        self.nlinks.extend(nlinks)
        self.blocks.extend(blocks)
        self.sizes.extend(sizes)
        self.dirs.extend(dirs)
        self.counts.extend(counts)

    def extend_from(self, other: LinkRecords) -> None:
        self.extend(other.keys, other.nlinks, other.blocks, other.sizes, other.dirs, other.counts)

    def _add_keys(self, keys: Sequence[object]) -> None:
        current = self.keys
        if isinstance(current, array) and not (
            isinstance(keys, array) or all(type(key) is int and key >= 0 for key in keys)
        ):
            current = self.keys = list(current)  # (st_dev, st_ino) keys from now on
        current.extend(keys)


def resolve_links(records: LinkRecords) -> LinkTable:
    """The link table of a split walk, from all its parts' links in walk order.

    Finds the inodes with more than one link and replays only their links, in walk order,
    into a `LinkTable` (taking each one's bytes back out of its directory first): the
    table, the directories' figures and so `LinkTable.place` come out as if one walk had
    added every link. Inodes met once stay where they are, in their directory's figures,
    and cost nothing more.
    """
    repeated = _repeated_keys(records.keys)
    table = LinkTable()
    if not repeated:
        return table
    add = table.add
    keys = records.keys
    start = 0
    for node, count in zip(records.dirs, records.counts, strict=True):
        for index in range(start, start + count):
            key = keys[index]
            if key in repeated:
                alloc = records.blocks[index] * 512
                apparent = records.sizes[index]
                node.sub_alloc -= alloc
                node.sub_apparent -= apparent
                add(key, records.nlinks[index], alloc, apparent, node)
        start += count
    return table


def _repeated_keys(keys: Sequence[object]) -> set[object]:
    """The keys found more than once.

    By sorting them once (inode numbers come in long ascending runs, which the sort merges
    cheaply): a set of every key would hold about twice the memory at the walk's end, when
    the tree is complete and the model not yet built.
    """
    if len(keys) < 2:
        return set()
    every: list[Any] = list(keys)
    try:
        every.sort()
    except TypeError:  # a key of another device, (st_dev, st_ino), among inode numbers
        every.sort(key=lambda key: key if isinstance(key, tuple) else (-1, key))
    pairs = zip(islice(every, len(every) - 1), islice(every, 1, None), strict=True)
    return {key for key, after in pairs if key == after}


def finish(root: DirNode, links: LinkTable, pool: IntPool | None = None) -> list[SharedInode]:
    """After the walk: subtree figures (their ints shared through the walk's `pool`), then
    the multi-link inodes on them."""
    sum_subtrees(root, pool)
    return links.place()
