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
_SEPARATORS_RE = re.compile(r"[-_.]+")
PYPI_LABEL = "PyPI"


def wheel_parts(filename: str) -> tuple[str, str, str] | None:
    """`numpy-2.1.0-cp312-cp312-manylinux_2_17_x86_64.whl` -> (name, version, tags): a split
    where the name has the usual five or six parts, the pattern only for what a split
    cannot settle."""
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        count = len(parts)
        if count == 5 and all(parts):
            return parts[0], parts[1], f"{parts[2]}-{parts[3]}-{parts[4]}"
        if count == 6 and all(parts) and parts[2][0].isdecimal():
            return parts[0], parts[1], f"{parts[3]}-{parts[4]}-{parts[5]}"
        if count < 5:
            return None  # the pattern needs five non-empty parts between dashes
    match = _WHEEL_RE.match(filename)
    if not match:
        return None
    return match["name"], match["version"], f"{match['python']}-{match['abi']}-{match['platform']}"


def key_parts(key: str, package: str) -> tuple[str, str | None, bool]:
    """A wheels-bucket entry name: `<version>-<tags>` (from 0.6), `<version>-<16 hex>` for
    long tags (None), or the whole file name stem (0.5 and older, `idna-3.10-py3-none-any`):
    (version, tags, named by a whole file name's stem)."""
    stem = _key_stem(key, package)
    if stem is not None:
        return stem[1], stem[2], True
    version, tags = _version_tags(key)
    return version, tags, False


def _key_stem(key: str, package: str) -> tuple[str, str, str] | None:
    """The key as a whole file name's stem of this package's wheel, if it is one."""
    if key.count("-") < 4:  # `wheel_parts` needs four dashes: the usual key has two or one
        return None
    stem = wheel_parts(key + ".whl")
    return stem if stem is not None and normalize(stem[0]) == package else None


def _version_tags(key: str) -> tuple[str, str | None]:
    version, _, rest = key.partition("-")
    if not rest or _HASHED_TAGS_RE.match(rest):
        return version, None
    return version, rest


def normalize(name: str) -> str:
    """A package name as PEP 503 compares them: lower case, `-_.` runs as one `-`."""
    if "_" not in name and "." not in name and "--" not in name:
        return name.lower()  # nothing to collapse (the usual name)
    return _SEPARATORS_RE.sub("-", name).lower()


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
