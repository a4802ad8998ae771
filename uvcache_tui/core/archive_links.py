"""Archive links: the entries of `wheels-vN`/`sdists-vN` that point at `archive-v0/<id>`.

They are what uv counts when it prunes (an archive no link names is dangling; uv-cache.md
§3.4), so they are read exactly as uv writes them: a symlink on Unix, a small text file on
Windows. `find_links` is the fast one-pass reader the model uses; `read_link` the plain rule.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from dataclasses import dataclass

from uvcache_tui.core.buckets import bucket_family

ARCHIVE_BUCKET = "archive-v0"
LINK_FILE_MAX = 512
ENTRY_SUFFIXES = (".http", ".rev", ".msgpack", ".lock", ".whl")
"""Files beside the links that are uv's records, never links."""
SKIP_DIRS = frozenset({"src"})
"""Unpacked sdist sources: user files, never uv's links."""


@dataclass(frozen=True)
class ArchiveLink:
    """A link in `wheels-vN`/`sdists-vN` that points at `archive-v0/<id>`."""

    referrer: str
    """Path of the link, relative to the cache root."""
    archive_id: str


def read_link(cache_root: str, path: str) -> str | None:
    """Archive id a link entry points at: a symlink on Unix, a small text file on Windows."""
    try:
        if os.path.islink(path):
            target = os.readlink(path)
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
        elif os.name == "nt" and os.path.getsize(path) <= LINK_FILE_MAX:
            with open(path, encoding="utf-8", errors="replace") as handle:
                resolved = os.path.normpath(os.path.join(cache_root, handle.read().strip()))
        else:
            return None
    except OSError:
        return None
    archive_root = os.path.join(cache_root, ARCHIVE_BUCKET)
    if os.path.dirname(resolved) != archive_root:
        real = os.path.realpath(resolved)
        if os.path.dirname(real) != os.path.realpath(archive_root):
            return None
        resolved = real
    return os.path.basename(resolved) if os.path.isdir(resolved) else None


def walk_links(cache_root: str, bucket: str) -> Iterator[tuple[str, str]]:
    """(relative path, archive id) for every link under one bucket, skipping sdist sources."""
    stack = [os.path.join(cache_root, bucket)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in SKIP_DIRS:
                            stack.append(entry.path)
                        continue
                    if entry.name.endswith(ENTRY_SUFFIXES) or entry.name.startswith("."):
                        continue
                    archive_id = read_link(cache_root, entry.path)
                    if archive_id:
                        yield os.path.relpath(entry.path, cache_root), archive_id
        except OSError:
            continue


def find_links(
    cache_root: str,
    buckets: list[str],
    archive_ids: Container[str] | None = None,
    listings: dict[str, list[str]] | None = None,
    unchecked: list[int] | None = None,
    sdist_dirs: dict[str, tuple[list[str], list[str]]] | None = None,
) -> list[ArchiveLink]:
    """Every archive link inside the given wheels/sdists buckets: `walk_links`'s answer, in
    one pass with no per-link path arithmetic beyond slicing.

    `archive_ids`: the names of `archive-v0`'s subdirectories, if known (from a scan):
    a link to one of them needs no `isdir`. `listings`: filled with the entry names of
    every directory listed in a wheels bucket (`_wheel_packages` needs the same listings).
    `unchecked`: when given, links straight into `archive-v0` are kept without checking
    that the archive is a directory, and their indices go here (see `check_links`).
    `sdist_dirs`: filled with the entry names and the subdirectories' names of every
    directory listed whole in an sdists bucket (`source_dirs` reads the same listings).
    """
    links: list[ArchiveLink] = []
    if os.name == "nt":  # links are small text files there: the plain, general way
        for bucket in buckets:
            links.extend(ArchiveLink(rel, aid) for rel, aid in walk_links(cache_root, bucket))
        return links
    sep = os.sep
    cut = len(cache_root) if cache_root.endswith(sep) else len(cache_root) + 1
    archive_root = os.path.join(cache_root, ARCHIVE_BUCKET)
    archive_prefix = archive_root + sep
    start = len(archive_prefix)
    real_archive_root: list[str] = []
    isdir = os.path.isdir
    readlink = os.readlink
    normpath = os.path.normpath
    for bucket in buckets:
        family = bucket_family(bucket)
        keep_names = listings is not None and family == "wheels"
        keep_dirs = sdist_dirs is not None and family == "sdists"
        stack = [os.path.join(cache_root, bucket)]
        while stack:
            directory = stack.pop()
            names: list[str] | None = [] if keep_names or keep_dirs else None
            dir_names: list[str] | None = [] if keep_dirs else None
            try:
                with os.scandir(directory) as entries:
                    for entry in entries:
                        name = entry.name
                        if names is not None:
                            names.append(name)
                        if entry.is_dir(follow_symlinks=False):
                            if dir_names is not None:
                                dir_names.append(name)
                            if name not in SKIP_DIRS:
                                stack.append(entry.path)
                            continue
                        if name.endswith(ENTRY_SUFFIXES) or name.startswith("."):
                            continue
                        # As `read_link`, for a symlink (anything else is no link here).
                        try:
                            if not entry.is_symlink():
                                continue
                            target = readlink(entry.path)
                        except OSError:
                            continue
                        resolved = normpath(
                            target if target.startswith(sep) else directory + sep + target
                        )
                        if resolved.startswith(archive_prefix) and sep not in resolved[start:]:
                            archive_id = resolved[start:]
                            if unchecked is not None:
                                unchecked.append(len(links))
                            elif not (
                                (archive_ids is not None and archive_id in archive_ids)
                                or isdir(resolved)
                            ):
                                continue
                        else:
                            if not real_archive_root:
                                real_archive_root.append(os.path.realpath(archive_root))
                            real = os.path.realpath(resolved)
                            if os.path.dirname(real) != real_archive_root[0] or not isdir(real):
                                continue
                            archive_id = os.path.basename(real)
                        if archive_id:
                            links.append(ArchiveLink(entry.path[cut:], archive_id))
            except OSError:
                continue
            if names is not None:
                if dir_names is not None and sdist_dirs is not None:
                    sdist_dirs[directory] = (names, dir_names)
                elif listings is not None:
                    listings[directory] = names
    return links


def check_links(
    cache_root: str,
    links: list[ArchiveLink],
    unchecked: list[int],
    archive_ids: Container[str] | None,
) -> list[ArchiveLink]:
    """Drop the links of `find_links(..., unchecked=...)` whose archive is no directory."""
    if not unchecked:
        return links
    archive_prefix = os.path.join(cache_root, ARCHIVE_BUCKET) + os.sep
    dropped = set()
    for index in unchecked:
        archive_id = links[index].archive_id
        if archive_ids is not None and archive_id in archive_ids:
            continue
        if not os.path.isdir(archive_prefix + archive_id):
            dropped.add(index)
    if not dropped:
        return links
    return [link for index, link in enumerate(links) if index not in dropped]
