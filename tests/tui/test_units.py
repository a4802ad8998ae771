"""The TUI's plain helpers: no app needed (scans run on real trees)."""

from __future__ import annotations

import os

from uvcache_tui.core.buckets import BucketStatus
from uvcache_tui.core.cache import BucketEntry
from uvcache_tui.core.model import ScanProgress, Sizes
from uvcache_tui.tui.format import format_size, short_path, size_bar
from uvcache_tui.tui.messages import ScanProgressed
from uvcache_tui.tui.widgets.bucket_bar import OTHER_COLOUR, allocate_cells, bucket_segments
from uvcache_tui.tui.widgets.package_figures import versions_text


def test_format_size_uses_binary_units() -> None:
    assert format_size(None) == "-"
    assert format_size(0) == "0 Bytes"
    assert format_size(8 * 1024 * 1024 + 200 * 1024) == "8.2 MiB"


def test_size_bar_width_and_resolution() -> None:
    assert size_bar(0, 8) == " " * 8
    assert size_bar(1, 8) == "█" * 8
    assert size_bar(0.5, 8) == "████    "
    assert size_bar(1 / 16, 8) == "▌       "
    assert all(len(size_bar(i / 37, 12)) == 12 for i in range(38))


def test_short_path_keeps_the_tail() -> None:
    assert short_path("/a/b", 10) == "/a/b"
    shortened = short_path("/very/long/path/to/the/cache", 12)
    assert len(shortened) == 12 and shortened.startswith("…") and shortened.endswith("/the/cache")
    assert short_path(os.path.expanduser("~/x"), 30) == "~/x"


def test_allocate_cells_is_proportional_and_exact() -> None:
    assert allocate_cells([], 10) == []
    assert allocate_cells([1, 1], 0) == [0, 0]
    assert allocate_cells([0, 0], 10) == [0, 0]
    assert allocate_cells([3, 1], 8) == [6, 2]
    for sizes in ([5, 3, 2, 1, 1], [1000, 1, 1], [7, 7, 7]):
        for width in (1, 7, 80):
            cells = allocate_cells(sizes, width)
            assert sum(cells) == width
            assert cells[0] == max(cells)


def _entry(name: str, allocated: int, status: BucketStatus = BucketStatus.CURRENT) -> BucketEntry:
    family = name.rsplit("-v", 1)[0] if "-v" in name else None
    return BucketEntry(name, family, 0, status, True, Sizes(allocated=allocated))


def test_bucket_segments_largest_first_and_small_ones_folded() -> None:
    entries = [
        _entry("wheels-v8", 300),
        _entry("archive-v0", 10_000),
        _entry("CACHEDIR.TAG", 4, BucketStatus.SCAFFOLD),
        _entry(".gitignore", 4, BucketStatus.SCAFFOLD),
        _entry("builds-v0", 0),
    ]
    segments = bucket_segments(entries)
    assert [s.label for s in segments] == ["archive-v0", "wheels-v8", "2 others"]
    assert segments[-1].size == 8 and segments[-1].colour == OTHER_COLOUR
    # A single small entry keeps its own name.
    assert [s.label for s in bucket_segments(entries[:3])] == [
        "archive-v0",
        "wheels-v8",
        "CACHEDIR.TAG",
    ]


def test_versions_are_newest_first_and_capped() -> None:
    assert versions_text({"1.9", "1.10", "1.2"}) == "1.10, 1.9, 1.2"
    assert versions_text({"1.10"}) == "1.10"
    assert versions_text({"1", "2", "3", "4", "5"}) == "5, 4, 3 +2"


def test_progress_messages_coalesce_per_scan() -> None:
    first = ScanProgressed("/c", 1, ScanProgress(1, 1, "/c"))
    assert first.can_replace(ScanProgressed("/c", 1, ScanProgress(2, 2, "/c/x")))
    assert not first.can_replace(ScanProgressed("/d", 1, ScanProgress(2, 2, "/d")))
    assert not first.can_replace(ScanProgressed("/c", 2, ScanProgress(2, 2, "/c")))
