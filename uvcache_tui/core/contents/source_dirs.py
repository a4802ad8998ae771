"""sdist source dirs (`sdists-vN/pypi/<name>/<version>`, `…/url/<digest>` …) as they are on
disk: the revision pointer, the revisions and the wheels built in them, read without the
model (so `show` reads them in the scan's background thread, `prefetch_source_dirs`)."""

from __future__ import annotations

import os
from collections.abc import Container
from dataclasses import dataclass

from uvcache_tui.core.contents.layout import normalize
from uvcache_tui.core.contents.records import (
    RecordError,
    Undecoded,
    policy_urls,
    read_record,
    undecoded,
    unpack_first,
    unpack_whole,
    url_path,
)

SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
REVISION_POINTERS = ("revision.http", "revision.rev")
"""A source dir's pointer to its current revision, in the order they are looked for."""
INDEX_KINDS = ("pypi", "index")
"""Source dirs one level down, per version (`pypi/<name>/<version>`); the other kinds
(`url`, `path`, `editable`, `git`) are the source dir itself (`url/<digest>`)."""


@dataclass(frozen=True, slots=True)
class BuiltWheel:
    filename: str
    built_at: float | None


@dataclass(frozen=True, slots=True)
class SourceDirReading:
    """One source dir as it is on disk, before the model is known."""

    current: str | None
    """The revision its pointer names; None: no pointer, or one that cannot be decoded."""
    urls: tuple[str, ...]
    """URL candidates in an `.http` pointer's policy (`sdist_url` picks the package's)."""
    failure: Undecoded | None
    has_rev_pointer: bool
    """A `revision.rev` is there: a local `--find-links` dir's source, not an index's."""
    revisions: tuple[tuple[str, tuple[BuiltWheel, ...]], ...]
    """Each revision dir (sorted, hidden ones left out) with the wheels built in it."""


Listed = dict[str, tuple[list[str], list[str]]]
"""Absolute dir path -> its entry names and its subdirectories' names, as listed already
(`archive_links.find_links` lists every dir of the sdists buckets): not listed again."""


def subdirs(path: str, listed: Listed | None = None) -> list[str]:
    """Names of a directory's subdirectories, sorted (from the listing's types: no stat)."""
    listing = _listing(path, listed)
    return listing[1] if listing is not None else []


def _built_wheels(path: str, listed: Listed | None) -> tuple[BuiltWheel, ...]:
    listed_here = listed.get(path) if listed else None
    try:
        listing = listed_here[0] if listed_here is not None else os.listdir(path)
    except OSError:
        return ()
    names = sorted(n for n in listing if n.endswith(".whl"))
    found = []
    for name in names:
        try:
            built_at: float | None = os.lstat(os.sep.join((path, name))).st_mtime
        except OSError:
            built_at = None
        found.append(BuiltWheel(name, built_at))
    return tuple(found)


def _revision_pointer(
    root: str, relative: str, names: Container[str] | None
) -> tuple[str | None, tuple[str, ...], Undecoded | None]:
    """(current revision id, the `.http` policy's URLs, a failure) from `revision.http` /
    `revision.rev`, if present (`names`: the dir's entries, if listed)."""
    for pointer in REVISION_POINTERS:
        path = os.sep.join((root, relative, pointer))
        if not (pointer in names if names is not None else os.path.lexists(path)):
            continue
        try:
            data = read_record(path)
            if pointer.endswith(".rev"):
                record = unpack_whole(data)
                if not (isinstance(record, list) and len(record) == 2):
                    raise RecordError("not a revision pointer")
                revision, end = record[1], len(data)
            else:
                revision, end = unpack_first(data)
            if not (isinstance(revision, list) and revision and isinstance(revision[0], str)):
                raise RecordError("not a revision record of a known shape")
        except RecordError as error:
            return None, (), undecoded(root, path, str(error))
        urls = tuple(policy_urls(data, end)) if pointer.endswith(".http") else ()
        return revision[0], urls, None
    return None, (), None


def _listing(path: str, listed: Listed | None) -> tuple[set[str], list[str]] | None:
    """A dir's entry names and its subdirectories' (sorted), from one listing; None if it
    cannot be listed."""
    found = listed.get(path) if listed else None
    if found is not None:
        return set(found[0]), sorted(found[1])
    try:
        with os.scandir(path) as entries:
            names: set[str] = set()
            dirs: list[str] = []
            for entry in entries:
                names.add(entry.name)
                if entry.is_dir(follow_symlinks=False):
                    dirs.append(entry.name)
    except OSError:
        return None
    dirs.sort()
    return names, dirs


def read_source_dir(
    root: str, relative: str, with_pointer: bool, listed: Listed | None = None
) -> SourceDirReading:
    """What one source dir holds; `with_pointer`: read its revision pointer (not for git,
    whose revisions are commits). One listing tells which pointer is there and the
    revisions; a dir that cannot be listed is asked about each pointer."""
    absolute = os.sep.join((root, relative))
    listing = _listing(absolute, listed)
    names, dirs = listing if listing is not None else (None, [])
    current, urls, failure = (
        _revision_pointer(root, relative, names) if with_pointer else (None, (), None)
    )
    rev = REVISION_POINTERS[1]
    has_rev = with_pointer and (
        rev in names if names is not None else os.path.lexists(os.sep.join((absolute, rev)))
    )
    revisions = tuple(
        (name, _built_wheels(os.sep.join((absolute, name)), listed))
        for name in dirs
        if not name.startswith(".")
    )
    return SourceDirReading(current, urls, failure, has_rev, revisions)


def source_dirs(
    root: str, bucket: str, versions: dict[str, list[str]], listed: Listed | None = None
) -> list[tuple[str, bool]]:
    """Every source dir of one sdists bucket (relative to the root), with whether it has a
    revision pointer to read, as `read_sdist_dir` will ask for them; `versions` gets each
    index package dir's version dirs."""
    found: list[tuple[str, bool]] = []
    base = os.sep.join((root, bucket))
    for kind in subdirs(base, listed):
        kind_rel = f"{bucket}/{kind}"
        if kind in INDEX_KINDS:
            parents = (
                [kind_rel]
                if kind == "pypi"
                else [f"{kind_rel}/{d}" for d in subdirs(os.sep.join((root, kind_rel)), listed)]
            )
            for parent in parents:
                for name in subdirs(os.sep.join((root, parent)), listed):
                    package = f"{parent}/{name}"
                    versions[package] = subdirs(os.sep.join((root, package)), listed)
                    found.extend((f"{package}/{version}", True) for version in versions[package])
        else:
            for digest in subdirs(os.sep.join((root, kind_rel)), listed):
                found.append((f"{kind_rel}/{digest}", kind != "git"))
    return found


def prefetch_source_dirs(
    root: str, buckets: list[str], listed: Listed | None = None
) -> tuple[dict[str, SourceDirReading], dict[str, list[str]]]:
    """`read_source_dir` of every source dir of these sdists buckets, ahead of the model,
    and the version dirs of each index package dir (`listed`: dirs listed already)."""
    versions: dict[str, list[str]] = {}
    found = [(r, p) for bucket in buckets for r, p in source_dirs(root, bucket, versions, listed)]
    return {
        relative: read_source_dir(root, relative, pointer, listed) for relative, pointer in found
    }, versions


def sdist_url(urls: tuple[str, ...], package: str) -> str | None:
    """The policy's URL of an sdist file of this package (`<name>-<version>.tar.gz`), if any."""
    for url in reversed(urls):
        filename = url_path(url).rsplit("/", 1)[-1]
        if filename.endswith(SDIST_SUFFIXES) and normalize(filename).startswith(package + "-"):
            return url
    return None
