"""A one-line bar split in proportion to each bucket's allocated bytes, with a legend
(left out when compact: the Buckets tab's squares carry the same colours)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from uvcache_tui.core.buckets import BucketStatus
from uvcache_tui.core.cache import BucketEntry
from uvcache_tui.tui.format import format_size

FAMILY_COLOURS = {
    "archive": "#5f87d7",
    "wheels": "#5faf5f",
    "sdists": "#d7af5f",
    "simple": "#af87d7",
    "environments": "#d75f87",
    "builds": "#5fafaf",
    "interpreter": "#87afd7",
    "git": "#d7875f",
    "flat-index": "#afaf5f",
    "python": "#5fd7af",
    "binaries": "#d7d787",
    "osv": "#87d7d7",
}
STALE_COLOUR = "#875f5f"
OTHER_COLOUR = "#6c6c6c"
SMALL_SHARE = 0.01
"""Segments under 1% of the total are folded into one "other" entry in the legend."""


@dataclass(frozen=True)
class Segment:
    label: str
    size: int
    colour: str


def bucket_colour(entry: BucketEntry) -> str:
    """Same colour for a bucket family in every cache; stale and foreign entries stand out."""
    if entry.status is BucketStatus.CURRENT and entry.family in FAMILY_COLOURS:
        return FAMILY_COLOURS[entry.family]
    if entry.status is BucketStatus.STALE:
        return STALE_COLOUR
    return OTHER_COLOUR


def bucket_segments(entries: Sequence[BucketEntry]) -> list[Segment]:
    """Largest first; tiny ones folded into "other" so the legend stays short."""
    ordered = sorted(
        (e for e in entries if e.sizes.allocated > 0),
        key=lambda e: (-e.sizes.allocated, e.name),
    )
    total = sum(e.sizes.allocated for e in ordered)
    big = [e for e in ordered if e.sizes.allocated >= total * SMALL_SHARE]
    small = [e for e in ordered if e.sizes.allocated < total * SMALL_SHARE]
    if len(small) == 1:
        big, small = ordered, []
    segments = [Segment(e.name, e.sizes.allocated, bucket_colour(e)) for e in big]
    if small:
        size = sum(e.sizes.allocated for e in small)
        segments.append(Segment(f"{len(small)} others", size, OTHER_COLOUR))
    return segments


def allocate_cells(sizes: Sequence[int], width: int) -> list[int]:
    """Split `width` cells in proportion to `sizes` (largest remainder, sums to `width`)."""
    total = sum(sizes)
    if total <= 0 or width <= 0:
        return [0] * len(sizes)
    exact = [size * width / total for size in sizes]
    cells = [int(value) for value in exact]
    order = sorted(range(len(sizes)), key=lambda i: (cells[i] - exact[i], i))
    for index in order[: width - sum(cells)]:
        cells[index] += 1
    return cells


class BucketBar(Widget):
    """Where a cache's bytes are, at a glance: one coloured run of cells per bucket."""

    DEFAULT_CSS = """
    BucketBar {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    BucketBar.-compact {
        margin-bottom: 0;
    }
    """

    compact = reactive(False, layout=True, toggle_class="-compact")
    """The bar alone, on one line."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._segments: list[Segment] = []

    @property
    def segments(self) -> list[Segment]:
        return list(self._segments)

    def set_segments(self, segments: Sequence[Segment]) -> None:
        self._segments = list(segments)
        self.refresh(layout=True)

    def set_buckets(self, entries: Sequence[BucketEntry]) -> None:
        self.set_segments(bucket_segments(entries))

    def render(self) -> Text:
        return self._text_for(self.content_size.width)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Lines at the width being laid out, not the current one (which may be stale
        when the data arrives before the first layout)."""
        return len(self._text_for(width).split())

    def _text_for(self, width: int) -> Text:
        if not self._segments:
            return Text("(empty cache)", style="dim")
        width = max(width, 1)
        total = sum(s.size for s in self._segments)
        cells = allocate_cells([s.size for s in self._segments], width)
        text = Text()
        for segment, count in zip(self._segments, cells, strict=True):
            text.append("█" * count, style=segment.colour)
        if self.compact:
            return text
        line_width = width
        for segment in self._segments:
            entry = Text.assemble(
                ("■ ", segment.colour),
                (segment.label, "bold"),
                (f" {format_size(segment.size)} {100 * segment.size / total:.0f}%", "dim"),
            )
            if line_width + 2 + entry.cell_len > width:
                text.append("\n")
                line_width = 0
            elif line_width:
                text.append("  ")
                line_width += 2
            text.append_text(entry)
            line_width += entry.cell_len
        return text
