"""What the Files view lists for one directory, with figures that stay honest about hardlinks.

A directory's rows are its subdirectories plus one row for its own files. A hardlinked
inode is counted once in each row that holds one of its links, so 25 hardlinked copies
of one archive are 25 rows of the archive's full size. Each row therefore also says:

- `linked_elsewhere`: its bytes whose inode has a link outside the row (another place in
  the cache, or a venv outside it): allocated minus reclaimable; rows with any get a mark;
- `unique`: its bytes that no other row of this listing also counts. Shares of the parent
  (the % column and its bar) are computed on these, so they never add up to more than 100 %;
  the bytes several rows share are the listing's `shared_between_rows`.

The figures of the own-files row come from the scanner's subtree figures and its shared
inodes (`scan/tree.py`, `scan/links.py`): the scanner keeps nothing per file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET
from uvcache_tui.core.model import Sizes
from uvcache_tui.core.packages import ArchiveEntry, PackageEntry
from uvcache_tui.core.scan import DirNode, ScanResult, SharedInode
from uvcache_tui.core.sorting import SortOrder, sort_rows
from uvcache_tui.core.words import counted

FILES_KEY = ":files"
"""Row key of a directory's own files (a subdirectory's key is `d:<name>`)."""
OWN = 0
"""Holder id of the own-files row (a subdirectory's is `id()` of its node, never 0)."""


@dataclass(frozen=True)
class DirRow:
    """One row of a listing: a subdirectory, or the directory's own files (`node` None)."""

    key: str
    name: str
    allocated: int
    reclaimable: int
    files: int
    unique: int
    """Bytes no other row of the listing counts (what the row's share is computed on)."""
    node: DirNode | None
    label: str | None = None
    """What the directory holds, when the cache knows (an archive's package and version)."""

    @property
    def linked_elsewhere(self) -> int:
        """Bytes whose inode also has a link outside this row: deleting it keeps them."""
        return self.allocated - self.reclaimable

    @property
    def sort_name(self) -> str:
        """What a folder is sorted by: what it holds first, then its own name."""
        return f"{self.label}  {self.name}" if self.label else self.name

    @property
    def sizes(self) -> Sizes:
        return Sizes(allocated=self.allocated, reclaimable=self.reclaimable, files=self.files)


@dataclass(frozen=True)
class Listing:
    """A directory's rows, in order, and the figures they are shares of."""

    rows: list[DirRow]
    total: int
    """The directory's allocated bytes (each inode once)."""
    shared_between_rows: int
    """Bytes counted in more than one row (in none of the rows' `unique`)."""

    def share(self, row: DirRow) -> float:
        return row.unique / self.total if self.total else 0.0


@dataclass
class _Holders:
    """What the shared inodes below one directory mean for its rows."""

    between: dict[int, int]
    """Per holder (OWN or a child's id): bytes shared with another row."""
    shared_between_rows: int = 0
    own_linked: int = 0
    """Shared inodes with a link among the directory's own files."""
    placed_difference: int = 0
    """What placing shared inodes added to the directory beyond its children's sums."""
    reclaimable_here: int = 0
    """Inodes whose every link is below the directory, in more than one row."""


def _row_of(link_node: DirNode, directory: DirNode) -> int | None:
    """The holder of a link in `link_node`: OWN, the child of `directory` it lies in, or None
    when it lies outside `directory`."""
    if link_node is directory:
        return OWN
    current = link_node
    while current.parent is not None and current.parent is not directory:
        current = current.parent
    return id(current) if current.parent is directory else None


def _holders(inodes: Iterable[SharedInode], directory: DirNode) -> _Holders:
    found = _Holders(between={})
    for inode in inodes:
        holders: set[int] = set()
        inside = inode.all_links_seen
        for link_node in inode.nodes:
            holder = _row_of(link_node, directory)
            if holder is None:
                inside = False
            else:
                holders.add(holder)
        if not holders:
            continue
        children = len(holders) - (OWN in holders)
        found.placed_difference += inode.allocated * (1 - children)
        if OWN in holders:
            found.own_linked += inode.allocated
        if len(holders) > 1:
            found.shared_between_rows += inode.allocated
            for holder in holders:
                found.between[holder] = found.between.get(holder, 0) + inode.allocated
            if inside:
                found.reclaimable_here += inode.allocated
    return found


def _own_files_row(directory: DirNode, children: list[DirNode], holders: _Holders) -> DirRow:
    """The directory's own files (and its own entry's blocks), from subtree figures.

    `sub_alloc` = `own_alloc` + own multi-link files met only here + the children's sums +
    what placing shared inodes added beyond them; `sub_reclaim` = the children's + the own
    files whose links are all here + inodes shared by several rows, all below.
    """
    children_alloc = sum(child.sub_alloc for child in children)
    children_reclaim = sum(child.sub_reclaim for child in children)
    own_multi = directory.sub_alloc - directory.own_alloc - children_alloc
    own_multi -= holders.placed_difference
    allocated = directory.own_alloc + max(0, own_multi) + holders.own_linked
    reclaimable = directory.sub_reclaim - children_reclaim - holders.reclaimable_here
    reclaimable = min(max(0, reclaimable), allocated)
    count = directory.own_files
    return DirRow(
        FILES_KEY,
        f"({counted(count, 'file')})",
        allocated,
        reclaimable,
        count,
        allocated - holders.between.get(OWN, 0),
        None,
    )


def directory_listing(
    result: ScanResult, directory: DirNode, labels: Mapping[str, str] | None = None
) -> Listing:
    """The rows of `directory`, unsorted; `labels` name folders by relative path.

    This goes through the shared inodes below the directory (all of them at the root): a
    view that re-sorts or redraws keeps the result and calls `sort_listing`.
    """
    children = list(directory.iter_children())
    holders = _holders(result.shared_below(directory), directory)
    base = directory.relpath()
    prefix = "" if base == "." else base + "/"
    rows = [
        DirRow(
            f"d:{child.name}",
            child.name,
            child.sub_alloc,
            child.sub_reclaim,
            child.sub_files,
            child.sub_alloc - holders.between.get(id(child), 0),
            child,
            labels.get(prefix + child.name) if labels else None,
        )
        for child in children
    ]
    if directory.own_files:
        rows.append(_own_files_row(directory, children, holders))
    return Listing(rows, directory.sub_alloc, holders.shared_between_rows)


def sort_listing(listing: Listing, order: SortOrder) -> Listing:
    """The same listing with its rows in `order`."""
    rows = sort_rows(listing.rows, order, name=_name_key, sizes=lambda row: row.sizes)
    return replace(listing, rows=rows)


def list_directory(
    result: ScanResult,
    directory: DirNode,
    order: SortOrder,
    labels: Mapping[str, str] | None = None,
) -> Listing:
    """The rows of `directory` in `order`."""
    return sort_listing(directory_listing(result, directory, labels), order)


def _name_key(row: DirRow) -> str:
    """Folders by what they are called or hold; the own-files row after them (`~` sorts
    after letters)."""
    return row.sort_name if row.node is not None else "~"


def archive_folder_labels(
    archives: Iterable[ArchiveEntry], packages: Iterable[PackageEntry]
) -> dict[str, str]:
    """`archive-v0/<id>` -> what it holds: `idna 3.20` from its dist-info, `environment`
    for a cached venv, else the package whose wheel links to it."""
    owners: dict[str, str] = {}
    for package in packages:
        for archive_id in package.archive_ids:
            owners.setdefault(archive_id, package.name)
    labels: dict[str, str] = {}
    for archive in archives:
        path = f"{ARCHIVE_BUCKET}/{archive.archive_id}"
        if archive.is_environment:
            labels[path] = "environment"
        elif archive.label != archive.archive_id:
            name, _, version = archive.label.rpartition("-")
            labels[path] = f"{name} {version}" if name else archive.label
        elif archive.archive_id in owners:
            labels[path] = owners[archive.archive_id]
    return labels


class ArchiveFolderLabels(Mapping[str, str]):
    """`archive_folder_labels`, made at the first look-up of a folder under `archive-v0`:
    a model's arrival does not pay for them (~20 ms at 13k archives, on the TUI's UI
    thread), the first listing of `archive-v0` does (itself the larger cost). A key outside
    `archive-v0` is absent without making them. Always true: whether any label exists is
    known only once they are made, and an absent label reads as none either way."""

    def __init__(self, archives: Iterable[ArchiveEntry], packages: Iterable[PackageEntry]) -> None:
        self._sources = (archives, packages)
        self._labels: dict[str, str] | None = None

    def _made(self) -> dict[str, str]:
        if self._labels is None:
            self._labels = archive_folder_labels(*self._sources)
        return self._labels

    def __getitem__(self, key: str) -> str:
        if not key.startswith(ARCHIVE_BUCKET + "/"):
            raise KeyError(key)
        return self._made()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._made())

    def __len__(self) -> int:
        return len(self._made())

    def __bool__(self) -> bool:
        return True
