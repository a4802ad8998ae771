"""The one sort rule of every list: buckets, packages, a directory's rows, locations.

The TUI's tables and the CLI's `--sort`/`--reverse` both call `sort_rows`, so a list reads
in the same order everywhere. Sizes and counts sort largest first, names A to Z; `reverse`
flips that. Ties go by name, then by the rows' own order, so the result never depends on
how the rows came in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from enum import Enum
from typing import TypeVar

from uvcache_tui.core.model import Sizes

T = TypeVar("T")


class SortKey(str, Enum):
    """What a list can be sorted by (the CLI's `--sort` values)."""

    NAME = "name"
    ALLOCATED = "allocated"
    RECLAIMABLE = "reclaimable"
    FILES = "files"

    @property
    def largest_first(self) -> bool:
        """Figures read best from the largest; names from A."""
        return self is not SortKey.NAME


@dataclass(frozen=True)
class SortOrder:
    """A key and whether its natural direction is flipped."""

    key: SortKey = SortKey.ALLOCATED
    reverse: bool = False

    def pressed(self, key: SortKey) -> SortOrder:
        """The order after asking for `key`: the same key again flips the direction, another
        key starts in its natural direction."""
        if key is self.key:
            return replace(self, reverse=not self.reverse)
        return SortOrder(key)

    @property
    def descending(self) -> bool:
        """True when the list reads from the largest value (or from Z) down."""
        return self.key.largest_first != self.reverse

    @property
    def arrow(self) -> str:
        """The mark a column header shows for this order."""
        return "▼" if self.descending else "▲"

    def describe(self) -> str:
        """`allocated, largest first`: for status lines and help."""
        if self.key is SortKey.NAME:
            return "name, Z to A" if self.reverse else "name, A to Z"
        return f"{self.key.value}, {'smallest' if self.reverse else 'largest'} first"


DEFAULT_ORDER = SortOrder()
"""Every list's default: allocated bytes, largest first."""


def sort_figure(sizes: Sizes, key: SortKey) -> int:
    """The figure `key` sorts by (NAME has none)."""
    if key is SortKey.ALLOCATED:
        return sizes.allocated
    if key is SortKey.RECLAIMABLE:
        return sizes.reclaimable
    if key is SortKey.FILES:
        return sizes.files
    return 0


def sort_rows(
    rows: Iterable[T],
    order: SortOrder,
    *,
    name: Callable[[T], str],
    sizes: Callable[[T], Sizes | None],
) -> list[T]:
    """`rows` in `order`. A row whose sizes are unknown (None) goes last either way."""
    listed = list(rows)
    known = [row for row in listed if sizes(row) is not None]
    unknown = [row for row in listed if sizes(row) is None]
    unknown.sort(key=lambda row: name(row).lower(), reverse=order.reverse)
    if order.key is SortKey.NAME:
        known.sort(key=lambda row: (name(row).lower(), name(row)), reverse=order.reverse)
        return known + unknown
    known.sort(key=lambda row: (name(row).lower(), name(row)))
    key = order.key

    def figure(row: T) -> int:
        found = sizes(row)
        return sort_figure(found, key) if found is not None else 0

    # A stable sort on the figure alone keeps the name order among equal figures.
    known.sort(key=figure, reverse=order.descending)
    return known + unknown
