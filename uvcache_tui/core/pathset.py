"""Every path of a tree by name, to say exactly what an action removed.

A names-only walk (no stat: the directory entry's type is enough) taken right before uv
runs and again after it; the difference is every removed path, of every type. Names are
kept joined per directory, which holds a million-entry cache in tens of MiB.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

_SEP = "\0"
"""No file name can hold NUL, so it separates names safely."""


@dataclass(frozen=True)
class PathListing:
    root: str
    names: dict[str, str]
    """Directory (relative, `""` for the root) -> its entry names, sorted and NUL-joined."""
    unlisted: frozenset[str]
    """Directories that exist but could not be listed (their contents are unknown)."""

    def entries(self, directory: str) -> list[str]:
        joined = self.names.get(directory)
        return joined.split(_SEP) if joined else []


def list_paths(root: str) -> PathListing:
    """Walk `root` without following symlinks or stat-ing entries."""
    names: dict[str, str] = {}
    unlisted: set[str] = set()
    stack = [""]
    while stack:
        relative = stack.pop()
        directory = os.path.join(root, relative) if relative else root
        try:
            with os.scandir(directory) as iterator:
                found: list[str] = []
                for entry in iterator:
                    found.append(entry.name)
                    try:
                        is_dir = entry.is_dir(follow_symlinks=False)
                    except OSError:
                        is_dir = False
                    if is_dir:
                        stack.append(f"{relative}/{entry.name}" if relative else entry.name)
        except (FileNotFoundError, NotADirectoryError):
            continue  # gone (uv < 0.13.1 removes the cache root itself): nothing left in it
        except OSError:
            unlisted.add(relative)
            continue
        if found:
            found.sort()
            names[relative] = _SEP.join(found)
    return PathListing(root, names, frozenset(unlisted))


def removed_paths(before: PathListing, after: PathListing) -> list[str]:
    """Every path in `before` that `after` lacks, sorted (a removed dir and its contents)."""
    removed: list[str] = []
    for directory, joined in before.names.items():
        if directory in after.unlisted:
            continue
        if after.names.get(directory) == joined:
            continue
        kept = set(after.entries(directory))
        prefix = f"{directory}/" if directory else ""
        removed.extend(prefix + name for name in joined.split(_SEP) if name not in kept)
    removed.sort()
    return removed


def outside(paths: Iterable[str], entries: Iterable[str]) -> list[str]:
    """The paths that are neither one of `entries` nor inside one."""
    roots = sorted(set(entries))
    prefixes = tuple(entry + "/" for entry in roots)
    chosen = set(roots)
    return [p for p in paths if p not in chosen and not p.startswith(prefixes)]


def outermost(paths: Iterable[str]) -> list[str]:
    """The paths no other path of the list contains (a removed dir stands for its contents)."""
    result: list[str] = []
    for path in sorted(paths):
        if result and path.startswith(result[-1] + "/"):
            continue
        result.append(path)
    return result


def added_paths(before: PathListing, after: PathListing) -> list[str]:
    """Every path in `after` that `before` lacks, sorted (`removed_paths` the other way)."""
    return removed_paths(after, before)
