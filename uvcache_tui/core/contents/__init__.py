"""Deep contents of a uv cache: each cached wheel with its origin, sdist revisions, git
checkouts, index pages per index and the interpreter queries, decoded read-only.

Paths say what an entry is; uv's records (`records.py`) add what only they know (a wheel's
file name and URL, an sdist's current revision, an interpreter's markers). A record that
cannot be decoded stays in `Contents.undecoded` with the reason; nothing here raises on a
cache's contents, and nothing is guessed. `read_contents` is called by `cache.load_cache`
(in the worker that scans), after the package sizes.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET
from uvcache_tui.core.buckets import bucket_family, bucket_version
from uvcache_tui.core.contents.ahead import ReadAhead, ReadAheadChild
from uvcache_tui.core.contents.git import GitCheckout, read_checkouts
from uvcache_tui.core.contents.indexes import IndexPages, read_indexes
from uvcache_tui.core.contents.interpreters import InterpreterEntry, read_interpreters
from uvcache_tui.core.contents.layout import Origin
from uvcache_tui.core.contents.records import Undecoded
from uvcache_tui.core.contents.sdists import read_sdist_dir
from uvcache_tui.core.contents.wheels import (
    CachedWheel,
    Context,
    PackageContents,
    SdistRevision,
    read_wheel_dir,
)
from uvcache_tui.core.model import Sizes

if TYPE_CHECKING:
    from uvcache_tui.core.scan import CancelCheck, DirNode

__all__ = [
    "CachedWheel",
    "Contents",
    "GitCheckout",
    "IndexPages",
    "InterpreterEntry",
    "Origin",
    "PackageContents",
    "SdistRevision",
    "Sources",
    "Undecoded",
    "read_contents",
]


@dataclass
class Contents:
    """What the records say. Interpreters, indexes and git checkouts are read with the model;
    a package's wheels and sdist revisions when first asked for (`of`, `read_all`): reading
    them all costs about 30 µs a wheel, a tenth of a large cache's scan, which the TUI only
    pays for the package it opens (in a worker) and `show` when it lists them."""

    interpreters: list[InterpreterEntry] = field(default_factory=list)
    indexes: list[IndexPages] = field(default_factory=list)
    git_checkouts: list[GitCheckout] = field(default_factory=list)
    undecoded: list[Undecoded] = field(default_factory=list)
    """Every record that could not be decoded, of the packages read so far included."""
    packages: dict[str, PackageContents] = field(default_factory=dict)
    """Package name -> its wheels and sdist revisions, for the packages read so far."""
    _reader: _PackageReader | None = field(default=None, repr=False)

    def of(self, package: str) -> PackageContents:
        """A package's wheels and sdist revisions (read now if they were not: it reads files,
        so never on a UI thread)."""
        found = self.packages.get(package)
        if found is None:
            found = self._reader.read(package) if self._reader is not None else None
            found = found or PackageContents()
            self.packages[package] = found
            self.undecoded.extend(found.undecoded)
        return found

    def read_all(self, cancelled: CancelCheck | None = None) -> Contents:
        """Every package's (for `show`)."""
        if self._reader is not None:
            collecting = gc.isenabled()
            gc.disable()  # no cycles made; a collection would walk the whole scan tree
            try:
                for name in self._reader.names:
                    if cancelled is not None and cancelled():
                        break
                    self.of(name)
            finally:
                if collecting:
                    gc.enable()
        return self


class _PackageReader:
    def __init__(self, context: Context, packages: list[tuple[str, list[str]]]) -> None:
        self.context = context
        self.names = [name for name, _ in packages]
        self.dirs = dict(packages)
        self.families: dict[str, str | None] = {}
        """Bucket name -> its family."""

    def read(self, name: str) -> PackageContents | None:
        dirs = self.dirs.get(name)
        if dirs is None:
            return None
        found = PackageContents()
        for directory in sorted(dirs) if len(dirs) > 1 else dirs:
            bucket = directory.split("/", 1)[0]
            family = self.families.get(bucket)
            if family is None:
                family = self.families[bucket] = bucket_family(bucket)
            if family == "wheels":
                read_wheel_dir(self.context, name, directory, found)
            elif family == "sdists":
                read_sdist_dir(self.context, name, directory, found)
        if len(found.wheels) > 1:
            found.wheels.sort(key=lambda w: (not w.current, w.version, w.entry))
        return found


@dataclass
class Sources:
    """What reading the contents needs of a scanned cache (`cache.CacheModel` has it all)."""

    root: str
    tree: DirNode
    """The scan's root node."""
    current: set[str]
    """Names of the buckets the running uv uses."""
    packages: list[tuple[str, list[str]]]
    """(name, its dirs relative to the root)."""
    links: dict[str, str]
    """Link path -> archive id."""
    archives: list[tuple[str, str, bool]]
    """(archive id, `name-version` label, is a cached environment)."""
    sizes: Callable[[list[str]], Sizes]
    """The model's `selection_sizes`."""
    listings: dict[str, list[str]]
    """Entry names of wheels-bucket dirs already listed (absolute path -> names)."""
    ahead: ReadAhead | ReadAheadChild = field(default_factory=ReadAhead)
    """What was read during the scan (`ahead.read_ahead`) or is read after it in a child
    (`ahead.ReadAheadChild`), used instead of reading again."""
    host_paths: bool = True
    """The paths inside the records are this machine's (not a build's: a mount, a layer)."""


def _in_cache_links(root: str, environment_archives: Iterable[str]) -> dict[tuple[int, int], int]:
    """(st_dev, st_ino) -> links to it from cached environments' dist-info `METADATA` files:
    those links are inside the cache, so not counted as a wheel's outside users."""
    counts: dict[tuple[int, int], int] = {}
    for archive_id in environment_archives:
        lib = os.path.join(root, ARCHIVE_BUCKET, archive_id, "lib")
        try:
            versions = os.listdir(lib)
        except OSError:
            continue
        for version in versions:
            site = os.path.join(lib, version, "site-packages")
            try:
                names = [n for n in os.listdir(site) if n.endswith(".dist-info")]
            except OSError:
                continue
            for name in names:
                try:
                    st = os.lstat(os.path.join(site, name, "METADATA"))
                except OSError:
                    continue
                key = (st.st_dev, st.st_ino)
                counts[key] = counts.get(key, 0) + 1
    return counts


def read_contents(sources: Sources) -> Contents:
    """The contents of one scanned cache: interpreters, indexes and git checkouts now, each
    package's wheels when asked for (`Contents.of`, `Contents.read_all`)."""
    root = sources.root
    buckets: dict[str, list[tuple[str, DirNode, bool]]] = {}
    for node in sorted(sources.tree.iter_children(), key=lambda n: n.name):
        family = bucket_family(node.name)
        if family is not None:
            buckets.setdefault(family, []).append((node.name, node, node.name in sources.current))
    contents = Contents()
    contents.indexes = read_indexes(root, buckets.get("simple", []))
    contents.git_checkouts = read_checkouts(root, buckets.get("git", []))
    contents.interpreters, failed = read_interpreters(
        root,
        [(name, bucket_version(name)) for name, _, _ in buckets.get("interpreter", [])],
        sources.host_paths,
    )
    contents.undecoded.extend(failed)
    archive_node = sources.tree.child(ARCHIVE_BUCKET)
    context = Context(
        root=root,
        links=sources.links,
        current={name: current for group in buckets.values() for name, _, current in group},
        index_urls={i.digest: i.url for i in contents.indexes if i.digest and i.url},
        checkouts=contents.git_checkouts,
        sizes=sources.sizes,
        labels={aid: label for aid, label, is_env in sources.archives if not is_env},
        in_cache=_in_cache_links(root, (aid for aid, _, is_env in sources.archives if is_env)),
        archives=dict(archive_node.children or {}) if archive_node is not None else {},
        listings=sources.listings,
    )
    context.take_ahead(sources.ahead)
    contents._reader = _PackageReader(context, sources.packages)
    return contents
