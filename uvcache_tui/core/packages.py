"""Packages, archives and cached environments, derived from the cache's own layout.

Names and versions come from paths (`wheels-vN/<kind>/…/<name>/<key>`, sdist dirs, built
wheel file names), never from `.http`/`.rkyv` payloads, whose format changes between uv
releases. Archive referrers are the links uv itself counts when pruning (uv-cache.md §3.4).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from uvcache_tui.core.buckets import bucket_family

ARCHIVE_BUCKET = "archive-v0"
_LINK_FILE_MAX = 512
_WHEEL_FILE_RE = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-[^-]+)?-[^-]+-[^-]+-[^-]+$")
_ENTRY_SUFFIXES = (".http", ".rev", ".msgpack", ".lock", ".whl")
_SKIP_DIRS = frozenset({"src"})


@dataclass(frozen=True)
class ArchiveLink:
    """A link in `wheels-vN`/`sdists-vN` that points at `archive-v0/<id>`."""

    referrer: str
    """Path of the link, relative to the cache root."""
    archive_id: str


@dataclass
class PackageEntry:
    """One package as the cache holds it: its dirs in every bucket and the archives they use."""

    name: str
    versions: set[str] = field(default_factory=set)
    dirs: list[str] = field(default_factory=list)
    """Relative paths of the package's own dirs (`wheels-v8/pypi/idna`, `sdists-v11/url/<d>`)."""
    archive_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class ArchiveEntry:
    archive_id: str
    label: str
    """`idna-3.20` from the dist-info inside, `environment` for a cached venv, else the id."""
    is_environment: bool
    referrers: tuple[str, ...]


def normalize_name(name: str) -> str:
    """PEP 503 name normalisation, as uv names its package dirs."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_wheel_key(key: str) -> str:
    """Version out of a wheels-bucket key (`3.20-py3-none-any` -> `3.20`)."""
    return key.split("-", 1)[0]


def parse_dist_filename(filename: str) -> tuple[str, str] | None:
    """(`name`, `version`) from `six-1.17.0-py2.py3-none-any(.whl)`."""
    stem = filename[:-4] if filename.endswith(".whl") else filename
    match = _WHEEL_FILE_RE.match(stem)
    if not match:
        return None
    return normalize_name(match.group("name")), match.group("version")


def read_link(cache_root: str, path: str) -> str | None:
    """Archive id a link entry points at: a symlink on Unix, a small text file on Windows."""
    try:
        if os.path.islink(path):
            target = os.readlink(path)
            resolved = os.path.normpath(os.path.join(os.path.dirname(path), target))
        elif os.name == "nt" and os.path.getsize(path) <= _LINK_FILE_MAX:
            with open(path, encoding="utf-8", errors="replace") as handle:
                resolved = os.path.normpath(os.path.join(cache_root, handle.read().strip()))
        else:
            return None
    except OSError:
        return None
    archive_root = os.path.join(cache_root, ARCHIVE_BUCKET)
    if os.path.dirname(resolved) != archive_root:
        real = os.path.realpath(resolved)
        if os.path.dirname(real) != os.path.realpath(archive_root):
            return None
        resolved = real
    return os.path.basename(resolved) if os.path.isdir(resolved) else None


def _walk_links(cache_root: str, bucket: str) -> Iterator[tuple[str, str]]:
    """(relative path, archive id) for every link under one bucket, skipping sdist sources."""
    stack = [os.path.join(cache_root, bucket)]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name not in _SKIP_DIRS:
                            stack.append(entry.path)
                        continue
                    if entry.name.endswith(_ENTRY_SUFFIXES) or entry.name.startswith("."):
                        continue
                    archive_id = read_link(cache_root, entry.path)
                    if archive_id:
                        yield os.path.relpath(entry.path, cache_root), archive_id
        except OSError:
            continue


def find_archive_links(cache_root: str, buckets: list[str]) -> list[ArchiveLink]:
    """Every archive link inside the given wheels/sdists buckets."""
    links: list[ArchiveLink] = []
    for bucket in buckets:
        links.extend(ArchiveLink(rel, aid) for rel, aid in _walk_links(cache_root, bucket))
    return links


def _listdir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except OSError:
        return []


def _wheel_packages(cache_root: str, bucket: str, packages: dict[str, PackageEntry]) -> None:
    """`wheels-vN/pypi/<name>`, `wheels-vN/index|url/<digest>/<name>`."""
    base = os.path.join(cache_root, bucket)
    name_dirs: list[str] = []
    for kind in _listdir(base):
        if not kind.is_dir(follow_symlinks=False):
            continue
        if kind.name == "pypi":
            name_dirs.extend(e.path for e in _listdir(kind.path) if e.is_dir(follow_symlinks=False))
        else:
            for digest in _listdir(kind.path):
                if digest.is_dir(follow_symlinks=False):
                    name_dirs.extend(
                        e.path for e in _listdir(digest.path) if e.is_dir(follow_symlinks=False)
                    )
    for name_dir in name_dirs:
        name = normalize_name(os.path.basename(name_dir))
        package = packages.setdefault(name, PackageEntry(name))
        package.dirs.append(os.path.relpath(name_dir, cache_root))
        for entry in _listdir(name_dir):
            key = entry.name
            for suffix in _ENTRY_SUFFIXES:
                if key.endswith(suffix):
                    key = key[: -len(suffix)]
                    break
            if key and not key.startswith("."):
                package.versions.add(parse_wheel_key(key))


def _sdist_packages(cache_root: str, bucket: str, packages: dict[str, PackageEntry]) -> None:
    """`sdists-vN/pypi/<name>/<version>`, `index/<d>/<name>/<version>`; url/path/editable/git
    dirs are named by digest, so their name comes from the built wheel inside."""
    base = os.path.join(cache_root, bucket)
    for kind in _listdir(base):
        if not kind.is_dir(follow_symlinks=False):
            continue
        if kind.name in ("pypi", "index"):
            parents = (
                [kind.path]
                if kind.name == "pypi"
                else [d.path for d in _listdir(kind.path) if d.is_dir(follow_symlinks=False)]
            )
            for parent in parents:
                for name_dir in _listdir(parent):
                    if not name_dir.is_dir(follow_symlinks=False):
                        continue
                    name = normalize_name(name_dir.name)
                    package = packages.setdefault(name, PackageEntry(name))
                    package.dirs.append(os.path.relpath(name_dir.path, cache_root))
                    package.versions.update(
                        v.name for v in _listdir(name_dir.path) if v.is_dir(follow_symlinks=False)
                    )
            continue
        for digest in _listdir(kind.path):
            if not digest.is_dir(follow_symlinks=False):
                continue
            found = built_distribution(digest.path)
            if found is None:
                continue
            name, version = found
            package = packages.setdefault(name, PackageEntry(name))
            package.dirs.append(os.path.relpath(digest.path, cache_root))
            package.versions.add(version)


def built_distribution(path: str, depth: int = 3) -> tuple[str, str] | None:
    """Name and version of the first built wheel (or its unzipped link) below `path`."""
    stack = [(path, 0)]
    while stack:
        directory, level = stack.pop()
        for entry in _listdir(directory):
            if entry.is_dir(follow_symlinks=False):
                if level < depth and entry.name not in _SKIP_DIRS:
                    stack.append((entry.path, level + 1))
                continue
            if entry.name.endswith(".whl") or entry.is_symlink():
                parsed = parse_dist_filename(entry.name)
                if parsed:
                    return parsed
    return None


def collect_packages(
    cache_root: str, bucket_names: list[str], links: list[ArchiveLink]
) -> list[PackageEntry]:
    """Packages found in every wheels/sdists bucket given (current and stale generations)."""
    packages: dict[str, PackageEntry] = {}
    for bucket in bucket_names:
        family = bucket_family(bucket)
        if family == "wheels":
            _wheel_packages(cache_root, bucket, packages)
        elif family == "sdists":
            _sdist_packages(cache_root, bucket, packages)
    owners = {directory: package for package in packages.values() for directory in package.dirs}
    for link in links:
        owner = _owner_of(link.referrer, owners)
        if owner is not None:
            owner.archive_ids.add(link.archive_id)
    return sorted(packages.values(), key=lambda p: p.name)


def _owner_of(referrer: str, owners: dict[str, PackageEntry]) -> PackageEntry | None:
    """The package whose dir contains `referrer` (checks each parent dir, innermost first)."""
    directory = os.path.dirname(referrer)
    while directory:
        owner = owners.get(directory)
        if owner is not None:
            return owner
        directory = os.path.dirname(directory)
    return None


def archive_label(archive_path: str, child_names: list[str]) -> tuple[str, bool]:
    """What an archive holds: `name-version` from its dist-info, or a cached environment."""
    if os.path.exists(os.path.join(archive_path, "pyvenv.cfg")):
        return "environment", True
    for name in child_names:
        if name.endswith(".dist-info"):
            return name[: -len(".dist-info")], False
    return os.path.basename(archive_path), False
