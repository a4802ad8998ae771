"""A directory's rows (the Files view): checked against a brute-force count of real files."""

from __future__ import annotations

import os
from pathlib import Path

from tests.core.scan_walks import Walk
from uvcache_tui.core.dir_listing import (
    FILES_KEY,
    ArchiveFolderLabels,
    archive_folder_labels,
    list_directory,
)
from uvcache_tui.core.packages import ArchiveEntry, PackageEntry
from uvcache_tui.core.sorting import SortKey, SortOrder

Inodes = dict[tuple[int, int], tuple[int, int, set[str]]]
"""(dev, ino) -> (nlink, allocated, the rows holding a link)."""


def _inodes(directory: Path) -> tuple[Inodes, dict[str, int]]:
    """Every file inode below `directory`, with the rows (`d:<child>` or FILES_KEY) holding
    its links; and each row's directory blocks (a child's whole subtree, the dir's own)."""
    inodes: Inodes = {}
    dir_blocks: dict[str, int] = {FILES_KEY: directory.lstat().st_blocks * 512}
    for top, dirnames, filenames in os.walk(directory):
        rel = os.path.relpath(top, directory)
        row = FILES_KEY if rel == "." else "d:" + rel.split(os.sep)[0]
        for name in dirnames:
            child_row = row if row != FILES_KEY else f"d:{name}"
            st = os.lstat(os.path.join(top, name))
            dir_blocks[child_row] = dir_blocks.get(child_row, 0) + st.st_blocks * 512
        for name in filenames:
            st = os.lstat(os.path.join(top, name))
            key = (st.st_dev, st.st_ino)
            record = inodes.setdefault(key, (st.st_nlink, st.st_blocks * 512, set()))
            record[2].add(row)
    return inodes, dir_blocks


def _expected(directory: Path) -> dict[str, tuple[int, int, int]]:
    """Per row: (allocated, reclaimable, unique), counted file by file."""
    inodes, dir_blocks = _inodes(directory)
    rows_links: dict[tuple[tuple[int, int], str], int] = {}
    for top, _dirs, filenames in os.walk(directory):
        rel = os.path.relpath(top, directory)
        row = FILES_KEY if rel == "." else "d:" + rel.split(os.sep)[0]
        for name in filenames:
            st = os.lstat(os.path.join(top, name))
            pair = ((st.st_dev, st.st_ino), row)
            rows_links[pair] = rows_links.get(pair, 0) + 1
    expected: dict[str, tuple[int, int, int]] = {}
    for row, blocks in dir_blocks.items():
        alloc = reclaim = unique = blocks
        for key, (nlink, size, rows) in inodes.items():
            if row not in rows:
                continue
            alloc += size
            if rows_links[(key, row)] == nlink:
                reclaim += size
            if rows == {row}:
                unique += size
        expected[row] = (alloc, reclaim, unique)
    return expected


def _tree(root: Path, outside: Path) -> Path:
    """Subdirectories sharing inodes with each other, with the directory's own files and with
    a place outside the scan, plus own files linked among themselves."""
    cache = root / "cache"
    (cache / "a" / "deep").mkdir(parents=True)
    (cache / "b").mkdir()
    (cache / "c" / "d").mkdir(parents=True)
    (cache / "e").mkdir()
    (cache / "a" / "deep" / "blob").write_bytes(b"x" * 200_000)
    (cache / "a" / "single").write_bytes(b"s" * 30_000)
    os.link(cache / "a" / "deep" / "blob", cache / "b" / "blob")  # shared by two rows
    (cache / "own").write_bytes(b"o" * 50_000)
    os.link(cache / "own", cache / "c" / "d" / "own")  # an own file shared with a row
    (cache / "pair").write_bytes(b"p" * 40_000)
    os.link(cache / "pair", cache / "pair2")  # two links, both own files
    (cache / "plain").write_bytes(b"q" * 9_000)
    (cache / "e" / "venv-linked").write_bytes(b"v" * 60_000)
    outside.mkdir()
    os.link(cache / "e" / "venv-linked", outside / "venv-linked")  # a link outside the scan
    (cache / "solo-linked").write_bytes(b"w" * 12_000)
    os.link(cache / "solo-linked", outside / "solo-linked")
    return cache


def test_rows_match_a_file_by_file_count(tmp_path: Path, walk: Walk) -> None:
    cache = _tree(tmp_path, tmp_path / "venv")
    result = walk.scan(cache)
    listing = list_directory(result, result.root, SortOrder())
    expected = _expected(cache)
    got = {row.key: (row.allocated, row.reclaimable, row.unique) for row in listing.rows}
    assert got == expected
    by_key = {row.key: row for row in listing.rows}
    blob = (cache / "b" / "blob").lstat().st_blocks * 512
    assert by_key["d:a"].linked_elsewhere == by_key["d:b"].linked_elsewhere == blob
    assert by_key["d:a"].unique == by_key["d:a"].allocated - blob
    assert by_key["d:e"].linked_elsewhere > 0 and by_key["d:e"].unique == by_key["d:e"].allocated
    assert by_key[FILES_KEY].linked_elsewhere > 0  # `own` and `solo-linked`
    assert sum(row.unique for row in listing.rows) + listing.shared_between_rows <= listing.total
    assert sum(listing.share(row) for row in listing.rows) <= 1.0


def test_hardlinked_copies_share_the_parent_once(tmp_path: Path, walk: Walk) -> None:
    """25 hardlinked copies of one archive: each the archive's size, none of the % of it."""
    cache = tmp_path / "cache"
    first = cache / "archive-v0" / "copy-00"
    first.mkdir(parents=True)
    for index in range(4):
        (first / f"module{index}.so").write_bytes(bytes([index]) * 64_000)
    for copy in range(1, 25):
        other = cache / "archive-v0" / f"copy-{copy:02d}"
        other.mkdir()
        for index in range(4):
            os.link(first / f"module{index}.so", other / f"module{index}.so")
    result = walk.scan(cache)
    archive = result.node("archive-v0")
    assert archive is not None
    listing = list_directory(result, archive, SortOrder())
    assert len(listing.rows) == 25
    files_bytes = sum((first / f"module{i}.so").lstat().st_blocks * 512 for i in range(4))
    for row in listing.rows:
        assert row.allocated > files_bytes
        assert row.linked_elsewhere == files_bytes
        assert row.unique == row.allocated - files_bytes  # only its own directory entry
    assert listing.shared_between_rows == files_bytes
    # Each copy's share is its directory entry; the archive is counted once, in no row.
    assert sum(row.unique for row in listing.rows) + files_bytes + archive.own_alloc == (
        listing.total
    )
    assert sum(listing.share(row) for row in listing.rows) < 0.5


def test_rows_sort_by_every_key(tmp_path: Path, walk: Walk) -> None:
    cache = _tree(tmp_path, tmp_path / "venv")
    result = walk.scan(cache)
    for key in SortKey:
        for reverse in (False, True):
            rows = list_directory(result, result.root, SortOrder(key, reverse)).rows
            dirs = [row for row in rows if row.node is not None]
            if key is SortKey.NAME:
                names = [row.name for row in dirs]
                assert names == sorted(names, reverse=reverse)
                assert rows[-1 if not reverse else 0].key == FILES_KEY
                continue
            figures = [getattr(row, key.value) for row in rows]
            assert figures == sorted(figures, reverse=not reverse), (key, reverse)


def test_archive_folders_are_labelled_with_what_they_hold() -> None:
    archives = [
        ArchiveEntry("aaa", "idna-3.20", False, ("wheels-v5/pypi/idna/x",)),
        ArchiveEntry("bbb", "environment", True, ()),
        ArchiveEntry("ccc", "ccc", False, ("wheels-v5/pypi/six/y",)),
        ArchiveEntry("ddd", "ddd", False, ()),
    ]
    packages = [PackageEntry("six", {"1.17.0"}, ["wheels-v5/pypi/six"], {"ccc"})]
    assert archive_folder_labels(archives, packages) == {
        "archive-v0/aaa": "idna 3.20",
        "archive-v0/bbb": "environment",
        "archive-v0/ccc": "six",
    }


class _Watched(list[PackageEntry]):
    """Packages that count how often they are gone through."""

    read = 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.read += 1
        return super().__iter__()


def test_archive_folder_labels_are_made_at_the_first_look_up_under_archive_v0() -> None:
    archives = [
        ArchiveEntry("aaa", "idna-3.20", False, ()),
        ArchiveEntry("ccc", "ccc", False, ()),
    ]
    packages = _Watched([PackageEntry("six", {"1.17.0"}, ["wheels-v5/pypi/six"], {"ccc"})])
    labels = ArchiveFolderLabels(archives, packages)
    assert labels
    assert labels.get("wheels-v5") is None and labels.get("archive-v0") is None
    assert packages.read == 0
    assert labels.get("archive-v0/ccc") == "six"
    assert labels.get("archive-v0/zzz") is None
    assert dict(labels) == archive_folder_labels(archives, packages)
    assert packages.read == 2  # once made, and once by the reference
