"""What `show` reads of the contents while the scan's workers walk, before the model exists."""

from __future__ import annotations

from dataclasses import dataclass, field

from uvcache_tui.core.contents.pointers import DirPointers, prefetch_wheel_records
from uvcache_tui.core.contents.source_dirs import Listed, SourceDirReading, prefetch_source_dirs


@dataclass
class ReadAhead:
    """Wheel pointers decoded and sdist source dirs read ahead, each used once by the
    contents (`wheels.read_wheel_dir`, `sdists.read_sdist_dir`); what is missing is read then."""

    wheel_pointers: dict[str, DirPointers] = field(default_factory=dict)
    """Wheels-bucket dir (relative) -> its pointers, decoded."""
    source_dirs: dict[str, SourceDirReading] = field(default_factory=dict)
    """sdist source dir (relative) -> what it holds."""
    version_dirs: dict[str, list[str]] = field(default_factory=dict)
    """Index package dir in an sdists bucket (relative) -> its version dirs, sorted."""


def read_ahead(
    root: str,
    listings: dict[str, list[str]],
    sdist_buckets: list[str],
    sdist_dirs: Listed | None = None,
) -> ReadAhead:
    """Everything a full listing of the contents reads that does not need the model:
    `listings` are the wheels buckets' dirs `archive_links.find_links` listed, `sdist_dirs`
    the sdists buckets' (with their subdirectories)."""
    sources, versions = prefetch_source_dirs(root, sdist_buckets, sdist_dirs)
    return ReadAhead(prefetch_wheel_records(root, listings), sources, versions)
