"""Which top-level cache entries a given uv version uses, kept as data (see uv-cache.md §3.5)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

FAMILIES = (
    "wheels",
    "sdists",
    "simple",
    "flat-index",
    "interpreter",
    "git",
    "archive",
    "builds",
    "environments",
    "python",
    "binaries",
    "osv",
)

# Every uv release that changed the bucket names -> the names it introduced; a name replaces
# the older name of its family (`built-wheels` became `sdists` in 0.4.13). Up to 0.12.5 from
# `CacheBucket::to_str` at each tag (uv-cache.md §3.5); from 0.12.5 to 0.13.9 from running each
# release's `uv cache prune` on a cache holding every candidate name (what survives is what
# that release knows), which also confirmed every bump from 0.4.13 on at both of its sides
# (except python-v0: releases before 0.11.21 prune their own).
_CHANGES: tuple[tuple[str, str], ...] = (
    ("0.1.0", "wheels-v0 built-wheels-v0 simple-v0 flat-index-v0 interpreter-v0 git-v0 archive-v0"),
    ("0.1.4", "simple-v1"),
    ("0.1.9", "simple-v2"),
    ("0.1.11", "simple-v3"),
    ("0.1.22", "simple-v4"),
    ("0.1.23", "simple-v5"),
    ("0.1.24", "built-wheels-v1"),
    ("0.1.26", "simple-v6 built-wheels-v2"),
    ("0.1.31", "simple-v7"),
    ("0.1.32", "wheels-v1 built-wheels-v3 interpreter-v1"),
    ("0.2.3", "simple-v8"),
    ("0.2.9", "interpreter-v2"),
    ("0.2.11", "simple-v9 environments-v0"),
    ("0.2.22", "environments-v1 builds-v0"),
    ("0.2.28", "simple-v10"),
    ("0.2.33", "simple-v11"),
    ("0.2.35", "simple-v12"),
    ("0.4.13", "wheels-v2 sdists-v4 simple-v13"),
    ("0.4.16", "flat-index-v1"),
    ("0.4.25", "sdists-v5"),
    ("0.5.0", "wheels-v3 sdists-v6 simple-v14 flat-index-v2 interpreter-v3"),
    ("0.5.9", "interpreter-v4"),
    ("0.5.19", "simple-v15"),
    ("0.5.26", "sdists-v7"),
    ("0.6.0", "wheels-v4 sdists-v8 environments-v2"),
    ("0.6.4", "wheels-v5"),
    ("0.6.8", "sdists-v9"),
    ("0.7.5", "simple-v16"),
    ("0.8.4", "python-v0"),
    ("0.8.13", "binaries-v0"),
    ("0.8.15", "simple-v17"),
    ("0.8.18", "simple-v18"),
    ("0.9.27", "simple-v19"),
    ("0.10.0", "wheels-v6 simple-v20"),
    ("0.11.3", "simple-v21"),
    ("0.11.16", "osv-v0"),
    ("0.11.27", "simple-v22 flat-index-v3"),
    ("0.11.30", "simple-v24 flat-index-v4"),
    ("0.12.13", "simple-v25 flat-index-v5"),
    ("0.12.19", "git-v1"),
    ("0.13.0", "wheels-v7 sdists-v10 simple-v26 flat-index-v6 python-v1 osv-v1"),
    ("0.13.2", "simple-v27 flat-index-v7"),
    ("0.13.8", "interpreter-v5"),
    ("0.13.9", "wheels-v8 sdists-v11 simple-v28 git-v2"),
)
NEWEST_KNOWN = "0.13.9"
"""The newest release checked: a newer uv may use names this table does not know yet."""

SCAFFOLD_FILES = frozenset({"CACHEDIR.TAG", ".gitignore", ".git", ".lock"})
"""Top-level files uv creates and `uv cache prune` keeps."""

_BUCKET_RE = re.compile(r"^(built-wheels|" + "|".join(map(re.escape, FAMILIES)) + r")-v(\d+)$")


def parse_version(text: str) -> tuple[int, ...]:
    """`uv 0.13.9 (abc 2026-01-01)` or `0.13.9` -> (0, 13, 9); unknown -> ()."""
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not match:
        return ()
    return tuple(int(part) for part in match.groups() if part is not None)


@dataclass(frozen=True)
class BucketTable:
    """The bucket names one uv version uses, and how sure we are of them."""

    uv_version: str
    names: frozenset[str]
    exact: bool
    """False for an unknown version, or one newer than NEWEST_KNOWN (the newest names are used)."""

    def family_name(self, family: str) -> str | None:
        for name in self.names:
            if bucket_family(name) == family:
                return name
        return None


def table_for(uv_version: str | None) -> BucketTable:
    """The bucket table for a uv version string; unknown versions get the newest names."""
    wanted = parse_version(uv_version or "")
    newest = parse_version(NEWEST_KNOWN)
    by_family: dict[str | None, str] = {}
    for first, names in _CHANGES:
        if wanted and parse_version(first) > wanted and by_family:
            break
        by_family.update((bucket_family(name), name) for name in names.split())
    exact = bool(wanted) and parse_version(_CHANGES[0][0]) <= wanted <= newest
    return BucketTable(uv_version or "unknown", frozenset(by_family.values()), exact=exact)


def bucket_family(name: str) -> str | None:
    """`wheels-v8` -> `wheels`; `built-wheels-v3` -> `sdists`; not a uv bucket name -> None."""
    match = _BUCKET_RE.match(name)
    if not match:
        return None
    family = match.group(1)
    return "sdists" if family == "built-wheels" else family


def bucket_version(name: str) -> int | None:
    match = _BUCKET_RE.match(name)
    return int(match.group(2)) if match else None


class BucketStatus(str, Enum):
    CURRENT = "current"
    STALE = "stale"
    FOREIGN = "foreign"
    SCAFFOLD = "scaffold"


def classify_entry(name: str, is_dir: bool, table: BucketTable) -> BucketStatus:
    """Classify a top-level cache entry the way `uv cache prune` of that version would see it."""
    if not is_dir:
        return BucketStatus.SCAFFOLD if name in SCAFFOLD_FILES else BucketStatus.FOREIGN
    if name in table.names:
        return BucketStatus.CURRENT
    if bucket_family(name) is not None:
        return BucketStatus.STALE
    return BucketStatus.FOREIGN


def newest_writer(names: Iterable[str]) -> str | None:
    """The release that introduced the newest bucket among `names`: the uv that last wrote
    the cache is at least that version (None when no known bucket is there)."""
    present = set(names)
    found = None
    for first, introduced in _CHANGES:
        if present & set(introduced.split()):
            found = first
    return found
