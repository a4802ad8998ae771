"""How the parallel walk splits a tree: directories the parent lists, units for the workers.

The parent lists the top of the tree itself (`Item`s with `children`); the directories
below are units (`Item`s without), handed to the workers in `Chunk`s. Everything is merged
back in `walk_order`, the order the serial walk meets it.
"""

from __future__ import annotations

from typing import Any

from uvcache_tui.core.model import ProblemLog
from uvcache_tui.core.scan.links import LinkRecords
from uvcache_tui.core.scan.node import DirNode

MAX_CHUNK = 256
"""Units per chunk at most (chunks shrink towards the end, so the workers finish together)."""


class Item:
    """A directory the parent listed (a segment of the walk) or left to a worker (a unit)."""

    __slots__ = ("path", "node", "children", "problems", "links")

    def __init__(self, path: str, node: DirNode) -> None:
        self.path = path
        self.node = node
        self.children: list[Item] | None = None
        """Subdirectories in walk order, once listed by the parent; None for a unit."""
        self.problems: ProblemLog | None = None
        self.links: LinkRecords | None = None


class Chunk:
    """Consecutive units (indices into the unit list) of one parent directory."""

    __slots__ = ("start", "stop", "nodes", "links", "problems", "done")

    def __init__(self, start: int, stop: int) -> None:
        self.start = start
        self.stop = stop
        self.nodes: list[DirNode] | None = None
        """The chunk's unit roots, then every directory below them, as the worker sent them."""
        self.links: Any = None
        """Its multi-link files' links, as `worker.pack_tree` sent them."""
        self.problems: ProblemLog | None = None
        self.done = False


def walk_order(top: Item) -> list[Item]:
    """Listed dirs and units in the order the serial walk meets them."""
    order: list[Item] = []
    stack = [top]
    while stack:
        item = stack.pop()
        order.append(item)
        if item.children:
            stack.extend(reversed(item.children))
    return order


def plan_chunks(sequence: list[Item], workers: int) -> tuple[list[Item | Chunk], list[Chunk]]:
    """Group consecutive units of one listed dir into chunks, large first, small last.

    Returns the merge steps (listed dirs and chunks, in walk order) and the chunks.
    """
    units_left = sum(1 for item in sequence if item.children is None)
    steps: list[Item | Chunk] = []
    chunks: list[Chunk] = []
    index = 0
    position = 0
    while position < len(sequence):
        item = sequence[position]
        if item.children is not None:
            steps.append(item)
            position += 1
            continue
        run = 0
        while position + run < len(sequence) and sequence[position + run].children is None:
            run += 1
        while run:
            size = max(1, min(MAX_CHUNK, units_left // (workers * 8), run))
            chunk = Chunk(index, index + size)
            steps.append(chunk)
            chunks.append(chunk)
            index += size
            position += size
            units_left -= size
            run -= size
    return steps, chunks
