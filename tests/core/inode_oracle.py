"""An independent, brute-force byte counter the scanner's figures are checked against."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path


def walk_inodes(roots: Iterable[Path]) -> dict[tuple[int, int], tuple[bool, int, int, int]]:
    """(dev, ino) -> (is_dir, nlink, links seen under roots, allocated), roots included."""
    seen: dict[tuple[int, int], tuple[bool, int, int, int]] = {}
    for root in roots:
        paths = [str(root)]
        for directory, dirnames, filenames in os.walk(root):
            paths.extend(os.path.join(directory, name) for name in dirnames + filenames)
        for path in paths:
            st = os.lstat(path)
            key = (st.st_dev, st.st_ino)
            if key in seen:
                is_dir, nlink, count, alloc = seen[key]
                seen[key] = (is_dir, nlink, count + 1, alloc)
            else:
                seen[key] = (stat.S_ISDIR(st.st_mode), st.st_nlink, 1, st.st_blocks * 512)
    return seen


def allocated(roots: Iterable[Path]) -> int:
    return sum(record[3] for record in walk_inodes(roots).values())


def reclaimable(roots: Iterable[Path]) -> int:
    """Bytes of inodes whose every link lies under the roots (a directory's nlink counts its
    subdirectories' `..`, so a directory inside the roots is always wholly inside)."""
    return sum(
        alloc
        for is_dir, nlink, count, alloc in walk_inodes(roots).values()
        if is_dir or count >= nlink
    )


def shared_with(cache: Path, others: Iterable[Path]) -> int:
    """Allocated bytes of cache inodes that also have a link under `others`."""
    inside = walk_inodes([cache])
    outside = walk_inodes(others)
    return sum(record[3] for key, record in inside.items() if key in outside)
