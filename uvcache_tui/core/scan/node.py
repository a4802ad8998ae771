"""A scanned directory (`DirNode`), kept small: a uv cache has one per ~6 files.

Per directory the node (12 slots, 128 bytes), its name (one str per distinct name, shared
by the walk), its subdirectories (a tuple up to `SMALL_FANOUT`, a dict above) and its int
figures (small byte values shared through an `IntPool`): ~230 bytes in all (see
benchmarks/README.md, "The tree's memory per directory").
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from uvcache_tui.core.model import Sizes

SMALL_FANOUT = 8
"""Up to this many subdirectories are kept as a tuple (48-104 bytes; a dict costs 184-272):
two directories in three of a uv cache have none, nearly all others a few. Larger ones
(the buckets, `archive-v0`) get a dict, for lookups by name."""
SHARED_BELOW = 1 << 20
"""Byte figures below this share one int object per value (`IntPool`)."""


class IntPool:
    """One int object per value for the byte figures of a tree's directories.

    Most directories hold a few small files: their allocated bytes repeat (multiples of
    4096), and each int object costs 32 bytes. The pool holds at most 2048 values: the
    multiples of 512 (st_blocks' unit) below `SHARED_BELOW`; other values pass through.
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[int, int] = {}

    def share(self, value: int) -> int:
        if 0 <= value < SHARED_BELOW and not value & 511:
            return self.values.setdefault(value, value)
        return value


class DirNode:
    """One directory: its own figures and, after `finish`, its subtree's.

    Subdirectories are set once, when the directory is listed (`set_children`), in listing
    order; `children` gives them by name.
    """

    __slots__ = (
        "name",
        "parent",
        "_children",
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
        self._children: tuple[DirNode, ...] | dict[str, DirNode] | None = None
        """None (no subdirectory), a tuple (up to SMALL_FANOUT) or a dict by name."""
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

    @property
    def children(self) -> dict[str, DirNode] | None:
        """Subdirectories by name, in listing order; None if there are none. Read only:
        a small directory's are a new dict each time (`set_children` and `remove_child`
        change them)."""
        children = self._children
        if children is None or isinstance(children, dict):
            return children
        return {child.name: child for child in children}

    def child(self, name: str) -> DirNode | None:
        children = self._children
        if children is None:
            return None
        if isinstance(children, dict):
            return children.get(name)
        for child in children:
            if child.name == name:
                return child
        return None

    def iter_children(self) -> Iterator[DirNode]:
        children = self._children
        if children is None:
            return iter(())
        if isinstance(children, dict):
            return iter(children.values())
        return iter(children)

    def set_children(self, nodes: Sequence[DirNode]) -> None:
        """This directory's subdirectories (distinct names), in listing order."""
        if not nodes:
            self._children = None
        elif len(nodes) <= SMALL_FANOUT:
            self._children = tuple(nodes)
        else:
            self._children = {node.name: node for node in nodes}

    def remove_child(self, node: DirNode) -> None:
        """Take a subdirectory out (the others keep their order)."""
        children = self._children
        if isinstance(children, dict):
            del children[node.name]  # one of thousands (a pruned archive entry): in place
            if not children:
                self._children = None
        else:
            self.set_children([child for child in self.iter_children() if child is not node])

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
