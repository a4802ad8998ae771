"""Archive links read the fast way (what the model uses) equal the plain rule's answer."""

from __future__ import annotations

import os
from typing import Any

from tests.conftest import RichCache
from uvcache_tui.core import archive_links, packages
from uvcache_tui.core.scan import scan


def test_model_fast_paths_match_the_plain_walks(rich_cache_template: RichCache) -> None:
    """`build_model` takes the bucket structure and archive ids from the scan: same model."""
    cache = str(rich_cache_template.cache)
    result = scan(cache)
    buckets = sorted(
        name
        for name in os.listdir(cache)
        if name.startswith(("wheels-", "sdists-")) and os.path.isdir(os.path.join(cache, name))
    )
    plain = [
        archive_links.ArchiveLink(rel, aid)
        for bucket in buckets
        for rel, aid in archive_links.walk_links(cache, bucket)
    ]
    archive = result.root.child(archive_links.ARCHIVE_BUCKET)
    assert archive is not None and archive.children
    listings: dict[str, list[str]] = {}
    fast = archive_links.find_links(cache, buckets, archive.children, listings)
    assert fast == plain and len(plain) > 3
    assert archive_links.find_links(cache, buckets) == plain
    unchecked: list[int] = []
    deferred = archive_links.find_links(cache, buckets, None, None, unchecked)
    assert archive_links.check_links(cache, deferred, unchecked, None) == plain
    trees = {name: node for name in buckets if (node := result.root.child(name)) is not None}

    def as_data(found: list[packages.PackageEntry]) -> list[tuple[Any, ...]]:
        return [(p.name, sorted(p.versions), p.dirs, sorted(p.archive_ids)) for p in found]

    reference = as_data(packages.collect_packages(cache, buckets, plain))
    assert as_data(packages.collect_packages(cache, buckets, fast, trees, listings)) == reference
    assert as_data(packages.collect_packages(cache, buckets, fast, None, None)) == reference


def test_sdists_listings_kept_while_walking_are_the_dirs_listings(
    rich_cache_template: RichCache,
) -> None:
    """`find_links(sdist_dirs=...)`: every sdists dir it listed, with the names and the
    subdirectories `os.scandir` gives (the read-ahead reads source dirs from them)."""
    cache = str(rich_cache_template.cache)
    buckets = sorted(n for n in os.listdir(cache) if n.startswith(("wheels-", "sdists-")))
    sdist_dirs: dict[str, tuple[list[str], list[str]]] = {}
    listings: dict[str, list[str]] = {}
    archive_links.find_links(cache, buckets, None, listings, None, sdist_dirs)
    sdist_root = os.path.join(cache, next(b for b in buckets if b.startswith("sdists-")))
    assert sdist_root in sdist_dirs and len(sdist_dirs) > 3
    assert not any(path.startswith(sdist_root) for path in listings)
    for path, (names, subdirs) in sdist_dirs.items():
        assert path.startswith(os.path.join(cache, "sdists-"))
        with os.scandir(path) as entries:
            found = {e.name: e.is_dir(follow_symlinks=False) for e in entries}
        assert sorted(names) == sorted(found)
        assert sorted(subdirs) == sorted(name for name, is_dir in found.items() if is_dir)
