"""The model of one uv cache: a scan plus what uv's layout says each part is."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET, ArchiveLink, check_links, find_links
from uvcache_tui.core.buckets import (
    BucketStatus,
    BucketTable,
    bucket_family,
    bucket_version,
    classify_entry,
)
from uvcache_tui.core.cache_dir import CacheDirTag, read_cachedir_tag
from uvcache_tui.core.contents import Contents, Sources, read_contents
from uvcache_tui.core.contents.ahead import ReadAhead, ReadAheadChild, read_ahead
from uvcache_tui.core.contents.source_dirs import Listed
from uvcache_tui.core.lock import LockProbe, probe_lock
from uvcache_tui.core.model import Sizes
from uvcache_tui.core.mounts import mount_points_under
from uvcache_tui.core.packages import (
    ArchiveEntry,
    PackageEntry,
    archive_labels,
    collect_packages,
)
from uvcache_tui.core.scan import CancelCheck, DirNode, ProgressCallback, ScanResult, scan
from uvcache_tui.core.scan.parallel import fork_is_safe
from uvcache_tui.core.scan.tree import add_sizes, file_sizes


@dataclass(frozen=True)
class BucketEntry:
    """A top-level entry of the cache root, classified against one uv version."""

    name: str
    family: str | None
    version: int | None
    status: BucketStatus
    is_dir: bool
    sizes: Sizes


@dataclass
class CacheModel:
    """Everything the views and the CLI show about one cache; built once per scan."""

    path: str
    table: BucketTable
    scan: ScanResult
    buckets: list[BucketEntry]
    packages: list[PackageEntry]
    archives: list[ArchiveEntry]
    environments: list[str]
    """Relative paths of cached environments (`environments-v2/<digest>`)."""
    links: list[ArchiveLink]
    cachedir_tag: CacheDirTag
    lock: LockProbe
    active: bool = False
    """The cache the user's uv uses now: it is still that cache when empty."""
    host_paths: bool = True
    """The paths uv recorded inside are this machine's; False for a copy of a build's
    cache (a BuildKit mount, an image layer): whether an interpreter still exists is
    then unknown."""
    mount_points: list[str] | None = None
    """Mount points below the root (relative paths): other filesystems the scan walked into
    and uv's deletions would cross. None where the platform has no mount table."""
    contents: Contents | None = None
    """Interpreter queries, indexes, git checkouts, and each package's wheels and sdist
    revisions on demand (`core.contents`); set up by `load_cache` after the package sizes,
    else by `compute_contents`."""
    _package_sizes: dict[str, Sizes] = field(default_factory=dict, repr=False)
    _listings: dict[str, list[str]] = field(default_factory=dict, repr=False)
    """The wheels buckets' listings from `build_model`, until `compute_contents` used them."""
    _ahead: ReadAhead | ReadAheadChild = field(default_factory=ReadAhead, repr=False)
    """What the contents read during or after the scan (`load_cache(read_records=True)`),
    until `compute_contents` handed it over."""

    @property
    def uv_version(self) -> str:
        return self.table.uv_version

    @property
    def totals(self) -> Sizes:
        return self.scan.root.sizes

    def nodes_for(self, relpaths: Iterable[str]) -> list[DirNode]:
        nodes = (self.scan.node(path) for path in relpaths)
        return [node for node in nodes if node is not None]

    @staticmethod
    def package_paths(package: PackageEntry) -> list[str]:
        """A package is its dirs in every bucket plus the archives they link to."""
        return [*package.dirs, *(f"{ARCHIVE_BUCKET}/{aid}" for aid in package.archive_ids)]

    def package_sizes(self, package: PackageEntry) -> Sizes:
        """One package's sizes: its dirs and archives, each inode once, plus its index
        pages (files, sized as a prediction sizes them); `load_cache` computes them all, so
        this is a lookup."""
        cached = self._package_sizes.get(package.name)
        if cached is None:
            cached = self.selection_sizes(self.package_paths(package))
            for page in package.index_pages:
                cached = add_sizes(cached, file_sizes(os.path.join(self.path, page)))
            self._package_sizes[package.name] = cached
        return cached

    def compute_package_sizes(self, cancelled: CancelCheck | None = None) -> None:
        """Every package's sizes, computed once with the model (off any UI thread)."""
        for package in self.packages:
            if cancelled is not None and cancelled():
                return
            self.package_sizes(package)

    def compute_contents(self) -> Contents:
        """Decode the cache's records into `contents` (off any UI thread: it reads files);
        packages' wheels are read when asked for (`Contents.of`, `Contents.read_all`)."""
        if self.contents is None:
            sources = Sources(
                root=self.path,
                tree=self.scan.root,
                current={b.name for b in self.buckets if b.status is BucketStatus.CURRENT},
                packages=[(p.name, p.dirs) for p in self.packages],
                links={link.referrer: link.archive_id for link in self.links},
                archives=[(a.archive_id, a.label, a.is_environment) for a in self.archives],
                sizes=self.selection_sizes,
                listings=self._listings,
                ahead=self._ahead,
                host_paths=self.host_paths,
            )
            self.contents = read_contents(sources)
            self._listings = {}  # the reader keeps them while it needs them
            self._ahead = ReadAhead()
        return self.contents

    def selection_sizes(self, relpaths: Iterable[str]) -> Sizes:
        """Sizes of any set of directories, given relative to the cache root."""
        return self.scan.selection_sizes(self.nodes_for(relpaths))

    def shrink_bytes(self, relpaths: Iterable[str]) -> int:
        """How much the cache's allocated total drops when these dirs go.

        Less than their allocated bytes when some of their inodes are also linked from the
        rest of the cache (a uvx environment hardlinked from a wheel archive that stays).
        """
        nodes = self.nodes_for(relpaths)
        chosen = {id(node) for node in nodes}
        held = 0
        for inode in self.scan.shared_inodes:
            inside = outside = False
            for link_node in inode.nodes:
                if _has_ancestor_in(link_node, chosen):
                    inside = True
                else:
                    outside = True
            if inside and outside:
                held += inode.allocated
        return self.scan.selection_sizes(nodes).allocated - held

    @property
    def dangling_archives(self) -> list[ArchiveEntry]:
        return [a for a in self.archives if not a.referrers]


def _has_ancestor_in(node: DirNode, chosen: set[int]) -> bool:
    current: DirNode | None = node
    while current is not None:
        if id(current) in chosen:
            return True
        current = current.parent
    return False


def _root_entries(root: str) -> list[tuple[os.DirEntry[str], os.stat_result]]:
    """The root's entries by name, each with its lstat; those that vanish are left out."""
    try:
        listing = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return []
    found: list[tuple[os.DirEntry[str], os.stat_result]] = []
    for entry in listing:
        try:
            found.append((entry, entry.stat(follow_symlinks=False)))
        except OSError:
            continue
    return found


def _top_level_entries(result: ScanResult, table: BucketTable) -> list[BucketEntry]:
    entries: list[BucketEntry] = []
    for entry, st in _root_entries(result.root_path):
        is_dir = stat.S_ISDIR(st.st_mode)
        node = result.root.child(entry.name) if is_dir else None
        if node is not None:
            sizes = node.sizes
        else:
            alloc = st.st_blocks * 512
            shared = st.st_nlink > 1 and not stat.S_ISDIR(st.st_mode)
            sizes = Sizes(alloc, st.st_size, 0 if shared else alloc, 1, 0)
        entries.append(
            BucketEntry(
                name=entry.name,
                family=bucket_family(entry.name),
                version=bucket_version(entry.name),
                status=classify_entry(entry.name, is_dir, table),
                is_dir=is_dir,
                sizes=sizes,
            )
        )
    return entries


def _environments(result: ScanResult, buckets: list[BucketEntry]) -> list[str]:
    found: list[str] = []
    for bucket in buckets:
        if bucket.family != "environments" or not bucket.is_dir:
            continue
        try:
            with os.scandir(os.path.join(result.root_path, bucket.name)) as entries:
                found.extend(f"{bucket.name}/{e.name}" for e in entries)
        except OSError:
            continue
    return sorted(found)


def _link_buckets(root: str) -> list[str]:
    """Names of the wheels/sdists dirs at the root, sorted: `build_model`'s `all_links`."""
    return [
        entry.name
        for entry, st in _root_entries(root)
        if stat.S_ISDIR(st.st_mode) and bucket_family(entry.name) in ("wheels", "sdists")
    ]


class _LinkPrefetch:
    """The part of `build_model` that reads the filesystem without needing the scan (the
    archive links and the listings of the wheels/sdists buckets), run in a thread of the
    parent while the scan's worker processes walk; `build_model` checks it still fits.
    `read_records`: the records too (`contents.ahead`): in a child forked once the walk is
    over where this process can fork (`start_later`; the walk keeps every core busy, building
    the model only one), else in that thread."""

    def __init__(self, root: str, read_records: bool = False) -> None:
        self.root = root
        self.read_records = read_records
        self.later = read_records and fork_is_safe()
        self.ahead: ReadAhead | ReadAheadChild = ReadAhead()
        self.done = False
        self.buckets: list[str] = []
        self.links: list[ArchiveLink] = []
        self.unchecked: list[int] = []
        self.listings: dict[str, list[str]] = {}
        self.sdist_dirs: Listed | None = {} if read_records else None  # for the records

    def run(self) -> None:
        sdist_dirs = self.sdist_dirs
        try:
            self.buckets = _link_buckets(self.root)
            self.links = find_links(
                self.root, self.buckets, None, self.listings, self.unchecked, sdist_dirs
            )
        except Exception:  # build_model then does it all itself
            return
        self.done = True
        if self.read_records and not self.later:
            try:
                self.ahead = read_ahead(self.root, self.listings, self._sdists(), sdist_dirs)
            except Exception:  # the contents then read them themselves
                self.ahead = ReadAhead()

    def _sdists(self) -> list[str]:
        return [b for b in self.buckets if bucket_family(b) == "sdists"]

    def start_later(self, result: ScanResult) -> None:
        """The records' child, once the scan (and its thread) is over, where it can fork."""
        if self.later and self.done and fork_is_safe():
            archives, sdists = result.root.child(ARCHIVE_BUCKET), self._sdists()
            self.ahead = ReadAheadChild(self.root, self.listings, sdists, self.sdist_dirs, archives)


def build_model(result: ScanResult, table: BucketTable) -> CacheModel:
    """Classify the scanned tree: buckets, packages, archives and their referrers."""
    return _build_model(result, table, None)


def _build_model(
    result: ScanResult, table: BucketTable, prefetch: _LinkPrefetch | None
) -> CacheModel:
    root = result.root_path
    buckets = _top_level_entries(result, table)
    current_links = [
        b.name
        for b in buckets
        if b.status is BucketStatus.CURRENT and b.family in ("wheels", "sdists")
    ]
    all_links = [b.name for b in buckets if b.is_dir and b.family in ("wheels", "sdists")]
    page_buckets = [b.name for b in buckets if b.is_dir and b.family == "simple"]
    archive_node = result.root.child(ARCHIVE_BUCKET)
    # The scan already listed every directory: its tree gives the buckets' structure and
    # archive-v0's subdirectories, when it is whole (not cancelled, nothing went wrong).
    clean = not result.cancelled and result.problems.total == 0
    trees: dict[str, DirNode] | None = None
    archive_ids: dict[str, DirNode] | None = None
    if clean:
        trees = {}
        for name in all_links + page_buckets:
            node = result.root.child(name)
            if node is not None:
                trees[name] = node
        if archive_node is not None and archive_node.complete:
            archive_ids = archive_node.children or {}
    ahead: ReadAhead | ReadAheadChild
    if (
        prefetch is not None
        and prefetch.done
        and prefetch.root == root
        and prefetch.buckets == all_links
    ):
        listings = prefetch.listings
        ahead = prefetch.ahead
        links = check_links(root, prefetch.links, prefetch.unchecked, archive_ids)
        prefetch.listings = {}
        prefetch.ahead = ReadAhead()
    else:
        listings = {}
        ahead = ReadAhead()
        links = find_links(root, all_links, archive_ids, listings)
    packages = collect_packages(root, all_links + page_buckets, links, trees, listings)
    referrers: dict[str, list[str]] = {}
    current_prefixes = tuple(name + os.sep for name in current_links)
    for link in links:
        if link.referrer.startswith(current_prefixes):
            referrers.setdefault(link.archive_id, []).append(link.referrer)
    archive_nodes = sorted(
        archive_node.iter_children() if archive_node else (), key=lambda n: n.name
    )
    labels = archive_labels(
        os.path.join(root, ARCHIVE_BUCKET),
        [(node.name, [c.name for c in node.iter_children()]) for node in archive_nodes],
    )
    archives = [
        ArchiveEntry(node.name, label, is_env, tuple(sorted(referrers.get(node.name, ()))))
        for node, (label, is_env) in zip(archive_nodes, labels, strict=True)
    ]
    return CacheModel(
        path=root,
        table=table,
        scan=result,
        buckets=buckets,
        packages=packages,
        archives=archives,
        environments=_environments(result, buckets),
        links=links,
        cachedir_tag=read_cachedir_tag(root),
        lock=probe_lock(root),
        mount_points=mount_points_under(root),
        _listings=listings,
        _ahead=ahead,
    )


def load_cache(
    path: str,
    table: BucketTable,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    active: bool = False,
    workers: int | None = None,
    read_records: bool = False,
    host_paths: bool = True,
) -> CacheModel:
    """Scan a cache dir and build its model (the one call the CLI and the TUI make);
    `active`: the cache the user's uv uses now, which may be empty (`check_cache_dir`).
    `read_records`: read every wheel's record (`_LinkPrefetch`), for a caller that lists
    every wheel next (`show`); the TUI reads one package's when it is opened.
    `host_paths`: False for a build's cache (a mount, an image layer; `CacheModel.host_paths`).

    The scan runs on several processes (`scan.scan`: forked from the single-threaded CLI,
    fresh interpreters from the TUI's threads; `workers` as there); the result is the same.
    """
    prefetch = _LinkPrefetch(os.path.abspath(path), read_records)
    result = scan(path, progress, cancelled, workers=workers, background=prefetch.run)
    prefetch.start_later(result)
    model = _build_model(result, table, prefetch)
    return complete_model(model, active, cancelled, host_paths)


def complete_model(
    model: CacheModel, active: bool, cancelled: CancelCheck | None, host_paths: bool = True
) -> CacheModel:
    """What `load_cache` adds to a built model: every package's sizes, the contents."""
    model.active = active
    model.host_paths = host_paths
    model.compute_package_sizes(cancelled)
    model.compute_contents()
    return model
