"""The link table: inodes with more than one link, counted once, placed after the walk.

Both walks keep them here. An inode met once so far is only `key -> DirNode`, its bytes
folded into that directory's `sub_alloc`/`sub_apparent` (most multi-link inodes of a
cache have their other links outside it, in a venv). At its second link its bytes move
out of that directory and it becomes a `LinkedInode`; `place` counts it once along the
paths of all its links, after `tree.sum_subtrees`.

A key is st_ino on the root's device, else (st_dev, st_ino).
"""

from __future__ import annotations

from collections.abc import Sequence

from uvcache_tui.core.scan.tree import (
    DirNode,
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
        """Add one part of a split walk (see `LinkPart.columns`), as if walked here.

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


class LinkPart(LinkTable):
    """The link table of one part of a split walk, merged later with `LinkTable.merge`.

    Besides the table it keeps, per inode in the order met, its key, st_nlink and bytes
    from its first link in this part: a part's inode met once has no other record of them.
    """

    __slots__ = ("keys", "nlinks", "allocs", "apparents")

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[object] = []
        self.nlinks: list[int] = []
        self.allocs: list[int] = []
        self.apparents: list[int] = []

    def add(self, key: object, nlink: int, alloc: int, apparent: int, node: DirNode) -> bool:
        if not LinkTable.add(self, key, nlink, alloc, apparent, node):
            return False
        self.keys.append(key)
        self.nlinks.append(nlink)
        self.allocs.append(alloc)
        self.apparents.append(apparent)
        return True

    def columns(
        self,
    ) -> tuple[
        list[object], list[int], list[int], list[int], list[DirNode], dict[int, list[DirNode]]
    ]:
        """The arguments of `LinkTable.merge`: the first link's directory of each inode,
        and for those met more than once in this part, the directories of the others."""
        entries = self.entries
        firsts: list[DirNode] = []
        more: dict[int, list[DirNode]] = {}
        for index, key in enumerate(self.keys):
            record = entries[key]
            if isinstance(record, LinkedInode):
                firsts.append(record.nodes[0])
                more[index] = record.nodes[1:]
            else:
                firsts.append(record)
        return self.keys, self.nlinks, self.allocs, self.apparents, firsts, more


def finish(root: DirNode, links: LinkTable) -> list[SharedInode]:
    """After the walk: subtree figures, then the multi-link inodes on them."""
    sum_subtrees(root)
    return links.place()
