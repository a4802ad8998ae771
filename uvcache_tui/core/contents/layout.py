"""What the paths themselves say: wheel file names and keys, sources, and the origin of a
cached wheel (uv-cache.md §3.2). Paths are facts; records only add to them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_HASHED_TAGS_RE = re.compile(r"^[0-9a-f]{16}$")
_WHEEL_RE = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(?:-(?P<build>\d[^-]*))?"
    r"-(?P<python>[^-]+)-(?P<abi>[^-]+)-(?P<platform>[^-]+)\.whl$"
)
PYPI_LABEL = "PyPI"


@dataclass(frozen=True)
class WheelName:
    name: str
    version: str
    tags: str | None
    """`py3-none-any`; None where the entry name holds a digest of long tags instead."""
    from_filename: bool = False
    """Parsed from a whole wheel file name (or a 0.5-style entry named by its stem)."""


def parse_wheel_filename(filename: str) -> WheelName | None:
    """`numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl` -> its name, version and tags."""
    match = _WHEEL_RE.match(filename)
    if not match:
        return None
    tags = f"{match['python']}-{match['abi']}-{match['platform']}"
    return WheelName(match["name"], match["version"], tags, from_filename=True)


def parse_key(key: str, package: str) -> WheelName:
    """A wheels-bucket entry name: `<version>-<tags>` (from 0.6), `<version>-<16 hex>` for
    long tags, or the whole file name stem (0.5 and older, `idna-3.10-py3-none-any`)."""
    stem = parse_wheel_filename(key + ".whl")
    if stem is not None and normalize(stem.name) == package:
        return stem
    version, _, rest = key.partition("-")
    if not rest or _HASHED_TAGS_RE.match(rest):
        return WheelName(package, version, None)
    return WheelName(package, version, rest)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Origin:
    """Where a cached wheel (or the sdist it was built from) came from."""

    kind: str
    """`index` (PyPI or another index), `find-links` (a local dir), `url`, `path`,
    `editable` or `git`."""
    index: str | None = None
    """`PyPI`, an index URL, or `index <digest>` when the URL is not recorded in the cache."""
    url: str | None = None
    """The download URL (wheel or sdist) or the git repository, when recorded."""
    commit: str | None = None
    """Git: the commit (its first 16 hex digits where that is all the path holds)."""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "index": self.index, "url": self.url, "commit": self.commit}

    @property
    def label(self) -> str:
        if self.kind == "git":
            where = self.url or "git"
            return f"{where}@{self.commit[:12]}" if self.commit else where
        if self.kind == "find-links":
            return f"find-links ({self.index})" if self.index else self.kind
        if self.kind == "index":
            return self.index or self.kind
        return self.url or self.kind


def index_label(kind_dir: str, digest: str | None, urls: dict[str, str]) -> str:
    """`PyPI` for `pypi/`, else the index URL recorded for that digest, else the digest."""
    if kind_dir == "pypi":
        return PYPI_LABEL
    if digest is not None and digest in urls:
        return urls[digest]
    return f"index {digest}"
