"""Which top-level cache entries a given uv version uses, kept as data (see uv-cache.md §3.5)."""

from __future__ import annotations

import re
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

# First uv release of each sampled row -> bucket dir names. Rows come from uv's
# `CacheBucket::to_str` at each tag (<= 0.12.5) and from bucket strings in later binaries.
# `sdists` was called `built-wheels` up to 0.4.12.
_ROWS: tuple[tuple[str, str], ...] = (
    ("0.1.0", "wheels-v0 built-wheels-v0 simple-v0 flat-index-v0 interpreter-v0 git-v0 archive-v0"),
    ("0.2.0", "wheels-v1 built-wheels-v3 simple-v7 flat-index-v0 interpreter-v1 git-v0 archive-v0"),
    (
        "0.2.37",
        "wheels-v1 built-wheels-v3 simple-v12 flat-index-v0 interpreter-v2 git-v0 archive-v0 "
        "builds-v0 environments-v1",
    ),
    (
        "0.4.13",
        "wheels-v2 sdists-v4 simple-v13 flat-index-v0 interpreter-v2 git-v0 archive-v0 builds-v0 "
        "environments-v1",
    ),
    (
        "0.4.30",
        "wheels-v2 sdists-v5 simple-v13 flat-index-v1 interpreter-v2 git-v0 archive-v0 builds-v0 "
        "environments-v1",
    ),
    (
        "0.5.0",
        "wheels-v3 sdists-v6 simple-v14 flat-index-v2 interpreter-v3 git-v0 archive-v0 builds-v0 "
        "environments-v1",
    ),
    (
        "0.5.31",
        "wheels-v3 sdists-v7 simple-v15 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v1",
    ),
    (
        "0.6.0",
        "wheels-v4 sdists-v8 simple-v15 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2",
    ),
    (
        "0.6.17",
        "wheels-v5 sdists-v9 simple-v15 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2",
    ),
    (
        "0.7.22",
        "wheels-v5 sdists-v9 simple-v16 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2",
    ),
    (
        "0.8.24",
        "wheels-v5 sdists-v9 simple-v18 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2 python-v0 binaries-v0",
    ),
    (
        "0.9.30",
        "wheels-v5 sdists-v9 simple-v19 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2 python-v0 binaries-v0",
    ),
    (
        "0.10.0",
        "wheels-v6 sdists-v9 simple-v20 flat-index-v2 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2 python-v0 binaries-v0",
    ),
    (
        "0.11.33",
        "wheels-v6 sdists-v9 simple-v24 flat-index-v4 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2 python-v0 binaries-v0 osv-v0",
    ),
    (
        "0.12.15",
        "wheels-v6 sdists-v9 simple-v25 flat-index-v5 interpreter-v4 git-v0 archive-v0 builds-v0 "
        "environments-v2 python-v0 binaries-v0 osv-v0",
    ),
    (
        "0.12.24",
        "wheels-v6 sdists-v9 simple-v25 flat-index-v5 interpreter-v4 git-v1 archive-v0 builds-v0 "
        "environments-v2 python-v0 binaries-v0 osv-v0",
    ),
    (
        "0.13.0",
        "wheels-v7 sdists-v10 simple-v26 flat-index-v6 interpreter-v4 git-v1 archive-v0 builds-v0 "
        "environments-v2 python-v1 binaries-v0 osv-v1",
    ),
    (
        "0.13.3",
        "wheels-v7 sdists-v10 simple-v27 flat-index-v7 interpreter-v4 git-v1 archive-v0 builds-v0 "
        "environments-v2 python-v1 binaries-v0 osv-v1",
    ),
    (
        "0.13.9",
        "wheels-v8 sdists-v11 simple-v28 flat-index-v7 interpreter-v5 git-v2 archive-v0 builds-v0 "
        "environments-v2 python-v1 binaries-v0 osv-v1",
    ),
)

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
    """False when the version falls between sampled rows, or is unknown (the newest row is used)."""

    def family_name(self, family: str) -> str | None:
        for name in self.names:
            if bucket_family(name) == family:
                return name
        return None


def table_for(uv_version: str | None) -> BucketTable:
    """The bucket table for a uv version string; unknown versions get the newest row."""
    wanted = parse_version(uv_version or "")
    rows = [(parse_version(first), names) for first, names in _ROWS]
    if not wanted:
        first, names = rows[-1]
        return BucketTable(uv_version or "unknown", frozenset(names.split()), exact=False)
    chosen = rows[0]
    for row in rows:
        if row[0] <= wanted:
            chosen = row
    exact = chosen[0] == wanted
    return BucketTable(uv_version or "unknown", frozenset(chosen[1].split()), exact=exact)


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
