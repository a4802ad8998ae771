"""A package's cached wheels (downloaded into `wheels-vN`, or built here from an sdist in
`sdists-vN`, `sdists`) from the paths and the records beside them (`pointers`), joined with
the model: archive sizes, links outside the cache, origins."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET
from uvcache_tui.core.contents.ahead import MetadataStat, ReadAhead, ReadAheadChild
from uvcache_tui.core.contents.git import GitCheckout
from uvcache_tui.core.contents.layout import Origin, index_label
from uvcache_tui.core.contents.pointers import DirPointers, WheelPointer, decode_dir
from uvcache_tui.core.contents.records import Undecoded, display_path
from uvcache_tui.core.model import Sizes

if TYPE_CHECKING:
    from uvcache_tui.core.contents.source_dirs import SourceDirReading
    from uvcache_tui.core.scan import DirNode


class CachedWheel(NamedTuple):
    """One cached wheel (a named tuple: `show` makes one per wheel of the cache, and a
    frozen dataclass's `__init__` costs four times as much)."""

    package: str
    filename: str | None
    """The wheel's file name, where the record (or a 0.5-style entry name) gives it."""
    version: str
    tags: str | None
    built: bool
    """Built here from an sdist (in `sdists-vN`), else downloaded or a local file."""
    origin: Origin
    entry: str
    """The link's path (`wheels-v8/pypi/idna/3.10-py3-none-any`), relative to the root."""
    bucket: str
    current: bool
    """In a bucket the running uv uses (else a stale generation's)."""
    archive_id: str | None
    linked: bool
    """The entry links to its archive (what uv counts when pruning)."""
    allocated: int | None
    reclaimable: int | None
    links_outside: int | None
    """Hard links to the wheel's files outside the cache (venvs installed by hardlink), from
    its `METADATA`; copies and symlinks cannot be seen from here. None: no archive."""
    cached_at: float | None
    """When uv wrote it (seconds since the epoch): the mtime of its record (`.http`/`.rev`),
    or of the built `.whl`."""


@dataclass(frozen=True)
class SdistRevision:
    package: str
    version: str | None
    revision: str
    path: str
    origin: Origin
    current: bool | None
    """The revision the pointer names (older ones are rebuilt sources); None: no pointer."""
    wheels: tuple[str, ...]
    allocated: int
    reclaimable: int


@dataclass
class PackageContents:
    wheels: list[CachedWheel] = field(default_factory=list)
    sdists: list[SdistRevision] = field(default_factory=list)
    undecoded: list[Undecoded] = field(default_factory=list)


@dataclass
class Context:
    """What reading a package needs from the model (built once per cache)."""

    root: str
    links: dict[str, str]
    """Link path -> archive id (the model's archive links)."""
    current: dict[str, bool]
    """Bucket name -> used by the running uv."""
    index_urls: dict[str, str]
    checkouts: list[GitCheckout]
    sizes: Callable[[list[str]], Sizes]
    archives: dict[str, DirNode]
    """`archive-v0`'s scanned subdirectories by id: a wheel's sizes are its archive's."""
    listings: dict[str, list[str]]
    """Absolute dir path -> entry names, for the dirs the model already listed."""
    labels: dict[str, str]
    """Archive id -> `name-version` of its dist-info."""
    in_cache: dict[tuple[int, int], int]
    """(st_dev, st_ino) of a `METADATA` -> its links inside cached environments."""
    records: dict[str, DirPointers] = field(default_factory=dict)
    """Dir relative to the root -> its wheel pointers decoded ahead (`prefetch_wheel_records`),
    used once."""
    sources: dict[str, SourceDirReading] = field(default_factory=dict)
    """Relative path -> an sdist source dir read ahead (`sdists.prefetch_source_dirs`)."""
    versions: dict[str, list[str]] = field(default_factory=dict)
    """Relative index package dir of an sdists bucket -> its version dirs, read ahead."""
    wheel_dirs: dict[str, WheelDirFacts] = field(default_factory=dict)
    """Parent of wheels-bucket dirs (`wheels-v8/pypi`) -> what its dirs share."""
    metadata: dict[str, tuple[str, MetadataStat | None]] = field(default_factory=dict)
    """Archive id -> its `METADATA`'s stat by dist-info name, read ahead (`ReadAhead`)."""

    def take_ahead(self, ahead: ReadAhead | ReadAheadChild) -> None:
        """Use what was read ahead (waiting for the child that reads it, if it still does)."""
        if isinstance(ahead, ReadAheadChild):
            ahead = ahead.result()
        self.records = ahead.wheel_pointers
        self.sources = ahead.source_dirs
        self.versions = ahead.version_dirs
        self.metadata = ahead.metadata

    def path(self, *relative: str) -> str:
        """An absolute path from parts relative to the root (no `os.path.join`: it is the
        cost of reading a large cache's records)."""
        return os.sep.join((self.root, *relative))


def _dir_pointers(ctx: Context, package: str, directory: str) -> list[WheelPointer]:
    """A wheels-bucket dir's pointers decoded ahead (for the package it is named after),
    else decoded now."""
    ahead = ctx.records.pop(directory, None)
    if ahead is not None and ahead[0] == package:
        return ahead[1]
    absolute = ctx.path(directory)
    listed = ctx.listings.get(absolute)
    names = listed if listed is not None else _listing(absolute)
    return decode_dir(ctx.root, directory, names, package)[1]


def _listing(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _metadata_links(ctx: Context, archive_id: str, label: str) -> int | None:
    """Links to the archive's `METADATA` outside the cache (and outside cached environments)."""
    ahead = ctx.metadata.get(archive_id)
    if ahead is not None and ahead[0] == label:
        stat = ahead[1]
    else:
        metadata = ctx.path(ARCHIVE_BUCKET, archive_id, f"{label}.dist-info", "METADATA")
        try:
            st = os.lstat(metadata)
        except OSError:
            return None
        stat = st.st_dev, st.st_ino, st.st_nlink
    if stat is None:
        return None
    inside = ctx.in_cache.get(stat[:2], 0) if ctx.in_cache else 0
    return max(0, stat[2] - 1 - inside)


def wheel_of(
    ctx: Context,
    package: str,
    entry: str,
    version: str,
    tags: str | None,
    filename: str | None,
    built: bool,
    origin: Origin,
    archive_id: str | None,
    cached_at: float | None,
    bucket: str,
    current: bool,
) -> CachedWheel:
    """A cached wheel: what its entry says (`entry` relative to the root, in `bucket`, in
    use by the running uv or not) joined with its link and its archive's sizes."""
    linked_id = ctx.links.get(entry)
    archive = linked_id or archive_id
    node = ctx.archives.get(archive) if archive else None
    allocated = reclaimable = links_outside = None
    if node is not None and archive:
        allocated, reclaimable = node.sub_alloc, node.sub_reclaim
        label = ctx.labels.get(archive)
        if label is None:
            links_outside = None
        elif reclaimable == allocated:
            links_outside = 0  # every link of every file lies inside the archive
        else:
            links_outside = _metadata_links(ctx, archive, label)
    return CachedWheel(
        package,
        filename,
        version,
        tags,
        built,
        origin,
        entry if entry.isascii() else display_path(entry),
        bucket,
        current,
        archive,
        linked_id is not None,
        allocated,
        reclaimable,
        links_outside,
        cached_at,
    )


WheelDirFacts = tuple[str, bool, str, str | None, Origin, Origin]
"""What the wheels-bucket dirs of one parent (`wheels-v8/pypi`, `…/index/<digest>`) share:
(bucket, used by the running uv, kind dir, index label, the origin of a `.rev` wheel, of an
`.http` wheel without a URL): one `Origin` for all such wheels (immutable)."""


def _wheel_dir_facts(ctx: Context, directory: str) -> WheelDirFacts:
    parent = directory.rpartition("/")[0]
    facts = ctx.wheel_dirs.get(parent)
    if facts is None:
        parts = directory.split("/")
        kind_dir, digest = parts[1], (parts[2] if len(parts) > 3 else None)
        index = index_label(kind_dir, digest, ctx.index_urls) if kind_dir != "url" else None
        if kind_dir == "url":
            local = no_url = Origin("path")
        else:
            local, no_url = Origin("find-links", index=index), Origin("index", index=index)
        bucket = parts[0]
        facts = (bucket, ctx.current.get(bucket, False), kind_dir, index, local, no_url)
        ctx.wheel_dirs[parent] = facts
    return facts


def read_wheel_dir(ctx: Context, package: str, directory: str, out: PackageContents) -> None:
    """`wheels-vN/pypi/<name>`, `…/index/<digest>/<name>`, `…/url/<digest>/<name>`."""
    bucket, current, kind_dir, index, local, no_url = _wheel_dir_facts(ctx, directory)
    by_url = kind_dir == "url"
    add_undecoded, add_wheel = out.undecoded.append, out.wheels.append
    for (
        entry,
        suffix,
        failure,
        filename,
        version,
        tags,
        url,
        archive_id,
        cached_at,
    ) in _dir_pointers(ctx, package, directory):
        if failure is not None:
            add_undecoded(failure)
        if suffix == ".rev":
            origin = local
        elif by_url:
            origin = Origin("url", url=url)
        elif url is None:
            origin = no_url
        else:
            origin = Origin("index", index=index, url=url)
        wheel = wheel_of(
            ctx, package, entry, version, tags, filename, False, origin, archive_id, cached_at,
            bucket, current,
        )  # fmt: skip
        add_wheel(wheel)
