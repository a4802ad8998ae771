"""Packages, archives and cached environments, derived from the cache's own layout.

Names and versions come from paths (`wheels-vN/<kind>/…/<name>/<key>`, sdist dirs, built
wheel file names), never from `.http`/`.rkyv` payloads, whose format changes between uv
releases. Archive referrers are the links uv itself counts when pruning (uv-cache.md §3.4).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from uvcache_tui.core.archive_links import ENTRY_SUFFIXES, SKIP_DIRS, ArchiveLink
from uvcache_tui.core.buckets import bucket_family

if TYPE_CHECKING:
    from uvcache_tui.core.scan import DirNode

INDEX_PAGE_SUFFIX = ".rkyv"
"""A package's index page in `simple-vN/{pypi,index/<digest>}/<name>.rkyv`."""
_WHEEL_FILE_RE = re.compile(r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-[^-]+)?-[^-]+-[^-]+-[^-]+$")
_NAME_SEPARATORS_RE = re.compile(r"[-_.]+")


@dataclass
class PackageEntry:
    """One package as the cache holds it: its dirs in every bucket and the archives they use."""

    name: str
    versions: set[str] = field(default_factory=set)
    dirs: list[str] = field(default_factory=list)
    """Relative paths of the package's own dirs (`wheels-v8/pypi/idna`, `sdists-v11/url/<d>`)."""
    archive_ids: set[str] = field(default_factory=set)
    index_pages: list[str] = field(default_factory=list)
    """Relative paths of its index pages (`simple-v28/pypi/idna.rkyv`): files, which
    `uv cache clean NAME` removes with the rest."""


@dataclass(frozen=True)
class ArchiveEntry:
    archive_id: str
    label: str
    """`idna-3.20` from the dist-info inside, `environment` for a cached venv, else the id."""
    is_environment: bool
    referrers: tuple[str, ...]


def normalize_name(name: str) -> str:
    """PEP 503 name normalisation, as uv names its package dirs."""
    return _NAME_SEPARATORS_RE.sub("-", name).lower()


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


def _listdir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return list(entries)
    except OSError:
        return []


def _subdirs(path: str, node: DirNode | None) -> list[tuple[str, DirNode | None]]:
    """(path, scan node) of a directory's subdirectories, in listing order.

    From the scan when it listed the directory completely (`node`), else listed now.
    """
    if node is not None and node.complete:
        children = node.children
        if not children:
            return []
        prefix = path + os.sep
        return [(prefix + name, child) for name, child in children.items()]
    return [(e.path, None) for e in _listdir(path) if e.is_dir(follow_symlinks=False)]


def _wheel_packages(
    cache_root: str,
    bucket: str,
    packages: dict[str, PackageEntry],
    tree: DirNode | None = None,
    listings: dict[str, list[str]] | None = None,
) -> None:
    """`wheels-vN/pypi/<name>`, `wheels-vN/index|url/<digest>/<name>`.

    `tree`: the bucket's scan node, for the directory structure; `listings`: entry names
    of directories already listed (see `archive_links.find_links`).
    """
    base = os.path.join(cache_root, bucket)
    cut = len(cache_root) if cache_root.endswith(os.sep) else len(cache_root) + 1
    name_dirs: list[str] = []
    for kind_path, kind in _subdirs(base, tree):
        if os.path.basename(kind_path) == "pypi":
            name_dirs.extend(path for path, _ in _subdirs(kind_path, kind))
        else:
            for digest_path, digest in _subdirs(kind_path, kind):
                name_dirs.extend(path for path, _ in _subdirs(digest_path, digest))
    for name_dir in name_dirs:
        name = normalize_name(os.path.basename(name_dir))
        package = packages.get(name)
        if package is None:
            package = packages[name] = PackageEntry(name)
        package.dirs.append(
            name_dir[cut:] if os.name != "nt" else os.path.relpath(name_dir, cache_root)
        )
        listed = listings.get(name_dir) if listings is not None else None
        if listed is None:
            listed = [entry.name for entry in _listdir(name_dir)]
        for key in listed:
            for suffix in ENTRY_SUFFIXES:
                if key.endswith(suffix):
                    key = key[: -len(suffix)]
                    break
            if key and not key.startswith("."):
                package.versions.add(parse_wheel_key(key))


def _sdist_packages(
    cache_root: str,
    bucket: str,
    packages: dict[str, PackageEntry],
    tree: DirNode | None = None,
) -> None:
    """`sdists-vN/pypi/<name>/<version>`, `index/<d>/<name>/<version>`; url/path/editable/git
    dirs are named by digest, so their name comes from the built wheel inside.

    `tree`: the bucket's scan node, for the directory structure."""
    base = os.path.join(cache_root, bucket)
    cut = len(cache_root) if cache_root.endswith(os.sep) else len(cache_root) + 1

    def relative(path: str) -> str:
        return path[cut:] if os.name != "nt" else os.path.relpath(path, cache_root)

    for kind_path, kind in _subdirs(base, tree):
        kind_name = os.path.basename(kind_path)
        if kind_name in ("pypi", "index"):
            parents = [(kind_path, kind)] if kind_name == "pypi" else _subdirs(kind_path, kind)
            for parent_path, parent in parents:
                for name_path, name_node in _subdirs(parent_path, parent):
                    name = normalize_name(os.path.basename(name_path))
                    package = packages.setdefault(name, PackageEntry(name))
                    package.dirs.append(relative(name_path))
                    package.versions.update(
                        os.path.basename(path) for path, _ in _subdirs(name_path, name_node)
                    )
            continue
        for digest_path, _ in _subdirs(kind_path, kind):
            found = built_distribution(digest_path)
            if found is None:
                continue
            name, version = found
            package = packages.setdefault(name, PackageEntry(name))
            package.dirs.append(relative(digest_path))
            package.versions.add(version)


def index_page_name(name: str) -> str:
    """The file name of a package's index page (`idna.rkyv`)."""
    return name + INDEX_PAGE_SUFFIX


def _index_pages(
    cache_root: str, bucket: str, packages: dict[str, PackageEntry], tree: DirNode | None
) -> None:
    """`simple-vN/pypi/<name>.rkyv`, `simple-vN/index/<digest>/<name>.rkyv`, for the
    packages already found (a page alone is not a package: uv also caches pages of
    packages it only resolved)."""
    base = os.path.join(cache_root, bucket)
    places = [f"{bucket}/pypi"]
    for kind_path, kind in _subdirs(base, tree):
        if os.path.basename(kind_path) == "index":
            places += [
                f"{bucket}/index/{os.path.basename(p)}" for p, _ in _subdirs(kind_path, kind)
            ]
    for place in places:
        for entry in _listdir(os.path.join(cache_root, place)):
            name = entry.name
            if not name.endswith(INDEX_PAGE_SUFFIX):
                continue
            package = packages.get(name[: -len(INDEX_PAGE_SUFFIX)])
            if package is not None:
                package.index_pages.append(f"{place}/{name}")


def built_distribution(path: str, depth: int = 3) -> tuple[str, str] | None:
    """Name and version of the first built wheel (or its unzipped link) below `path`."""
    stack = [(path, 0)]
    while stack:
        directory, level = stack.pop()
        for entry in _listdir(directory):
            if entry.is_dir(follow_symlinks=False):
                if level < depth and entry.name not in SKIP_DIRS:
                    stack.append((entry.path, level + 1))
                continue
            if entry.name.endswith(".whl") or entry.is_symlink():
                parsed = parse_dist_filename(entry.name)
                if parsed:
                    return parsed
    return None


def collect_packages(
    cache_root: str,
    bucket_names: list[str],
    links: list[ArchiveLink],
    trees: dict[str, DirNode] | None = None,
    listings: dict[str, list[str]] | None = None,
) -> list[PackageEntry]:
    """Packages found in every wheels/sdists bucket given (current and stale generations),
    with their index pages in the simple buckets given.

    The directory structure comes from the scan where it can (`trees`: bucket name -> scan
    node), entry names from `listings` (filled by `archive_links.find_links`)."""
    packages: dict[str, PackageEntry] = {}
    for bucket in bucket_names:
        family = bucket_family(bucket)
        tree = trees.get(bucket) if trees is not None else None
        if family == "wheels":
            _wheel_packages(cache_root, bucket, packages, tree, listings)
        elif family == "sdists":
            _sdist_packages(cache_root, bucket, packages, tree)
    for bucket in bucket_names:
        if bucket_family(bucket) == "simple":
            tree = trees.get(bucket) if trees is not None else None
            _index_pages(cache_root, bucket, packages, tree)
    owners = {directory: package for package in packages.values() for directory in package.dirs}
    for link in links:
        owner = _owner_of(link.referrer, owners)
        if owner is not None:
            owner.archive_ids.add(link.archive_id)
    return sorted(packages.values(), key=lambda p: p.name)


def _parent_dir(path: str) -> str:
    """`os.path.dirname` of a relative path with single separators, by slicing."""
    return path.rpartition("/")[0]


_dirname = os.path.dirname if os.name == "nt" else _parent_dir


def _owner_of(referrer: str, owners: dict[str, PackageEntry]) -> PackageEntry | None:
    """The package whose dir contains `referrer` (checks each parent dir, innermost first)."""
    directory = _dirname(referrer)
    while directory:
        owner = owners.get(directory)
        if owner is not None:
            return owner
        directory = _dirname(directory)
    return None


def dist_info_label(child_names: Iterable[str]) -> str | None:
    """`name-version` of an archive's first `.dist-info` dir; None without one."""
    for name in child_names:
        if name.endswith(".dist-info"):
            return name[: -len(".dist-info")]
    return None


def archive_label(archive_path: str, child_names: list[str]) -> tuple[str, bool]:
    """What an archive holds: `name-version` from its dist-info, or a cached environment."""
    if os.path.exists(os.path.join(archive_path, "pyvenv.cfg")):
        return "environment", True
    label = dist_info_label(child_names)
    return (os.path.basename(archive_path) if label is None else label), False


def archive_labels(
    archive_root: str, archives: list[tuple[str, list[str]]]
) -> list[tuple[str, bool]]:
    """`archive_label` of many `(archive id, child dir names)`: one `faccessat` each, from an
    fd on `archive_root` (`os.path.exists` is a `stat` of the whole path and an exception
    per archive without `pyvenv.cfg`, i.e. nearly all)."""
    access = os.access
    if access not in os.supports_dir_fd:
        return [archive_label(os.path.join(archive_root, aid), names) for aid, names in archives]
    try:
        fd = os.open(archive_root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return [archive_label(os.path.join(archive_root, aid), names) for aid, names in archives]
    labels: list[tuple[str, bool]] = []
    suffix = os.sep + "pyvenv.cfg"
    exists = os.F_OK
    try:
        for archive_id, child_names in archives:
            if access(archive_id + suffix, exists, dir_fd=fd):
                labels.append(("environment", True))
                continue
            label = dist_info_label(child_names)
            labels.append((archive_id if label is None else label, False))
    finally:
        os.close(fd)
    return labels
