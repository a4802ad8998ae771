"""Text helpers shared by the views: sizes in binary units, counts, proportional bars, the
colour of each bucket status."""

from __future__ import annotations

import os

from uvcache_tui.core.buckets import BucketStatus
from uvcache_tui.core.units import format_size

__all__ = ["format_size", "format_count", "size_bar", "short_path", "STATUS_STYLES"]

BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
STATUS_STYLES = {
    BucketStatus.CURRENT: "green",
    BucketStatus.STALE: "yellow",
    BucketStatus.FOREIGN: "bold red",
    BucketStatus.SCAFFOLD: "dim",
}
"""Buckets table and the last figures alike."""


def format_count(value: int) -> str:
    """Thousands separators, so large file counts stay readable."""
    return f"{value:,}"


def size_bar(fraction: float, width: int) -> str:
    """A left-aligned bar `width` cells wide, with eighth-block resolution (ncdu style)."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * width * 8)
    full, rest = divmod(eighths, 8)
    bar = "█" * full + (BAR_EIGHTHS[rest] if rest and full < width else "")
    return bar.ljust(width)


def short_path(path: str, width: int = 28) -> str:
    """A path that fits `width` cells: `~` for the home dir, then `…` plus its tail."""
    home = os.path.expanduser("~")
    if home not in ("", "/") and (path == home or path.startswith(home + os.sep)):
        path = "~" + path[len(home) :]
    if len(path) <= width:
        return path
    return "…" + path[-(width - 1) :]
