"""A package's cached wheels (downloaded into `wheels-vN`, or built here from an sdist in
`sdists-vN`) and its sdist revisions, from the paths and the records beside them."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET
from uvcache_tui.core.contents.git import GitCheckout, repository_of
from uvcache_tui.core.contents.layout import (
    Origin,
    WheelName,
    index_label,
    normalize,
    parse_key,
    parse_wheel_filename,
)
from uvcache_tui.core.contents.records import (
    ArchiveRecord,
    RecordError,
    Undecoded,
    archive_record,
    display_path,
    policy_url,
    policy_urls,
    read_record,
    read_timed_record,
    undecoded,
    undecoded_bytes,
    unpack_first,
    unpack_whole,
    url_path,
)
from uvcache_tui.core.model import Sizes

if TYPE_CHECKING:
    from uvcache_tui.core.scan import DirNode

POINTERS = (".http", ".rev")
SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tgz")
PREFETCH_BUDGET = 64 << 20
"""Bytes of wheel records `prefetch_wheel_records` keeps at most (a real cache's average
under 1 KiB a wheel: 64 MiB is beyond 60k wheels); past it, records are read when decoded."""

PrefetchedRecord = tuple[bytes, float] | str
"""A record's bytes and mtime as `read_timed_record` gives them, or why it could not be read."""


@dataclass(frozen=True)
class CachedWheel:
    package: str
    filename: str | None
    """The wheel's file name, where the record (or a 0.5-style entry name) gives it."""
    version: str
    tags: str | None
    built: bool
    """Built here from an sdist (in `sdists-vN`), else downloaded or a local file."""
    origin: Origin
    entry: str
    """The link's path (`wheels-v8/pypi/idna/3.10-py3-none-any`), relative to the root."""
    bucket: str
    current: bool
    """In a bucket the running uv uses (else a stale generation's)."""
    archive_id: str | None
    linked: bool
    """The entry links to its archive (what uv counts when pruning)."""
    allocated: int | None
    reclaimable: int | None
    links_outside: int | None
    """Hard links to the wheel's files outside the cache (venvs installed by hardlink), from
    its `METADATA`; copies and symlinks cannot be seen from here. None: no archive."""
    cached_at: float | None
    """When uv wrote it (seconds since the epoch): the mtime of its record (`.http`/`.rev`),
    or of the built `.whl`."""


@dataclass(frozen=True)
class SdistRevision:
    package: str
    version: str | None
    revision: str
    path: str
    origin: Origin
    current: bool | None
    """The revision the pointer names (older ones are rebuilt sources); None: no pointer."""
    wheels: tuple[str, ...]
    allocated: int
    reclaimable: int


@dataclass
class PackageContents:
    wheels: list[CachedWheel] = field(default_factory=list)
    sdists: list[SdistRevision] = field(default_factory=list)
    undecoded: list[Undecoded] = field(default_factory=list)


@dataclass
class Context:
    """What reading a package needs from the model (built once per cache)."""

    root: str
    links: dict[str, str]
    """Link path -> archive id (the model's archive links)."""
    current: dict[str, bool]
    """Bucket name -> used by the running uv."""
    index_urls: dict[str, str]
    checkouts: list[GitCheckout]
    sizes: Callable[[list[str]], Sizes]
    archives: dict[str, DirNode]
    """`archive-v0`'s scanned subdirectories by id: a wheel's sizes are its archive's."""
    listings: dict[str, list[str]]
    """Absolute dir path -> entry names, for the dirs the model already listed."""
    labels: dict[str, str]
    """Archive id -> `name-version` of its dist-info."""
    in_cache: dict[tuple[int, int], int]
    """(st_dev, st_ino) of a `METADATA` -> its links inside cached environments."""
    records: dict[str, PrefetchedRecord] = field(default_factory=dict)
    """Absolute path -> a wheel record read ahead (`prefetch_wheel_records`), used once."""

    def path(self, *relative: str) -> str:
        """An absolute path from parts relative to the root (no `os.path.join`: it is the
        cost of reading a large cache's records)."""
        return os.sep.join((self.root, *relative))


def _pointer_names(names: list[str]) -> list[tuple[str, str]]:
    """(key, suffix) of each wheel pointer in a listing, sorted: its `.http` record, or its
    `.rev` where there is no `.http` (a local file's)."""
    present = set(names)
    return [
        (key, ".http" if key + ".http" in present else ".rev")
        for key in sorted({n.rsplit(".", 1)[0] for n in names if n.endswith(POINTERS)})
    ]


def prefetch_wheel_records(
    listings: dict[str, list[str]], budget: int = PREFETCH_BUDGET
) -> dict[str, PrefetchedRecord]:
    """Read the wheel records of every listed wheels-bucket dir ahead of decoding: what
    `read_wheel_dir` reads, done in a thread while the scan's workers walk (so `show`'s full
    listing costs little after the scan). Stops at `budget` bytes; nothing is decoded here."""
    records: dict[str, PrefetchedRecord] = {}
    kept = 0
    for directory, names in listings.items():
        for key, suffix in _pointer_names(names):
            path = os.sep.join((directory, key + suffix))
            try:
                data, mtime = read_timed_record(path)
            except RecordError as error:
                records[path] = str(error)
                continue
            kept += len(data)
            if kept > budget:
                return records
            records[path] = (data, mtime)
    return records


def _read_pointer(ctx: Context, path: str) -> tuple[bytes, float | None]:
    """A wheel record's bytes and mtime: the one read ahead, else from the file."""
    ahead = ctx.records.pop(path, None)
    if ahead is None:
        return read_timed_record(path)
    if isinstance(ahead, str):
        raise RecordError(ahead)
    return ahead


def _listing(path: str) -> list[str]:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _subdirs(path: str) -> list[str]:
    """Names of a directory's subdirectories, sorted (from the listing's types: no stat)."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:
        return []


def _mtime(path: str) -> float | None:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return None


def _links_outside(ctx: Context, archive_id: str, sizes: Sizes | None) -> int | None:
    label = ctx.labels.get(archive_id)
    if label is None or sizes is None:
        return None
    if sizes.reclaimable == sizes.allocated:
        return 0  # every link of every file lies inside the archive
    metadata = ctx.path(ARCHIVE_BUCKET, archive_id, f"{label}.dist-info", "METADATA")
    try:
        st = os.lstat(metadata)
    except OSError:
        return None
    return max(0, st.st_nlink - 1 - ctx.in_cache.get((st.st_dev, st.st_ino), 0))


def _wheel(
    ctx: Context,
    package: str,
    entry: str,
    name: WheelName,
    filename: str | None,
    built: bool,
    origin: Origin,
    archive_id: str | None,
    cached_at: float | None,
) -> CachedWheel:
    linked_id = ctx.links.get(entry)
    archive = linked_id or archive_id
    node = ctx.archives.get(archive) if archive else None
    sizes = node.sizes if node is not None else None
    bucket = entry.split("/", 1)[0]
    return CachedWheel(
        package=package,
        filename=filename,
        version=name.version,
        tags=name.tags,
        built=built,
        origin=origin,
        entry=display_path(entry),
        bucket=bucket,
        current=ctx.current.get(bucket, False),
        archive_id=archive,
        linked=linked_id is not None,
        allocated=sizes.allocated if sizes else None,
        reclaimable=sizes.reclaimable if sizes else None,
        links_outside=_links_outside(ctx, archive, sizes) if archive else None,
        cached_at=cached_at,
    )


def _pointer(data: bytes, suffix: str) -> tuple[ArchiveRecord, int]:
    """The archive record of a `.rev` or `.http` pointer, and where its payload ends."""
    if not data:
        raise RecordError("empty file")
    if suffix == ".rev":
        record = unpack_whole(data)
        if not (isinstance(record, list) and len(record) == 2):
            raise RecordError("not a timestamped archive pointer")
        return archive_record(record[1]), len(data)
    payload, end = unpack_first(data)
    return archive_record(payload), end


def read_wheel_dir(ctx: Context, package: str, directory: str, out: PackageContents) -> None:
    """`wheels-vN/pypi/<name>`, `…/index/<digest>/<name>`, `…/url/<digest>/<name>`."""
    parts = directory.split("/")
    kind_dir, digest = parts[1], (parts[2] if len(parts) > 3 else None)
    absolute = ctx.path(directory)
    listed = ctx.listings.get(absolute)
    names = listed if listed is not None else _listing(absolute)
    for key, suffix in _pointer_names(names):
        entry = f"{directory}/{key}"
        record: ArchiveRecord | None = None
        data: bytes = b""
        end, cached_at = 0, None
        try:
            data, cached_at = _read_pointer(ctx, ctx.path(entry + suffix))
            record, end = _pointer(data, suffix)
        except RecordError as error:
            path = ctx.path(entry + suffix)
            failed = undecoded_bytes(entry + suffix, str(error), data) if data else None
            out.undecoded.append(failed or undecoded(ctx.root, path, str(error)))
        filename = record.filename if record is not None else None
        name = parse_wheel_filename(filename) if filename else None
        if name is None:
            name = parse_key(key, package)
            if filename is None and name.from_filename:
                filename = key + ".whl"  # a 0.5-style entry, named by the file name's stem
        url = policy_url(data, end, filename) if filename and suffix == ".http" else None
        if kind_dir == "url":
            origin = Origin("url", url=url) if suffix == ".http" else Origin("path")
        elif suffix == ".rev":
            origin = Origin("find-links", index=index_label(kind_dir, digest, ctx.index_urls))
        else:
            origin = Origin("index", index=index_label(kind_dir, digest, ctx.index_urls), url=url)
        archive_id = record.archive_id if record else None
        wheel = _wheel(ctx, package, entry, name, filename, False, origin, archive_id, cached_at)
        out.wheels.append(wheel)


def _revision_pointer(
    ctx: Context, package: str, directory: str, out: PackageContents
) -> tuple[str | None, str | None]:
    """(current revision id, sdist URL) from `revision.http` / `revision.rev`, if present."""
    for pointer in ("revision.http", "revision.rev"):
        path = ctx.path(directory, pointer)
        if not os.path.lexists(path):
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
            out.undecoded.append(undecoded(ctx.root, path, str(error)))
            return None, None
        url = None
        if pointer.endswith(".http"):
            url = _sdist_url(data, end, package)
        return revision[0], url
    return None, None


def _sdist_url(data: bytes, end: int, package: str) -> str | None:
    """The policy's URL of an sdist file of this package (`<name>-<version>.tar.gz`), if any."""
    for url in reversed(policy_urls(data, end)):
        filename = url_path(url).rsplit("/", 1)[-1]
        if filename.endswith(SDIST_SUFFIXES) and normalize(filename).startswith(package + "-"):
            return url
    return None


def read_sdist_dir(ctx: Context, package: str, directory: str, out: PackageContents) -> None:
    """`sdists-vN/{pypi,index/<d>}/<name>` (one dir per version), or `…/{url,path,editable,
    git}/<digest>` (the source itself)."""
    parts = directory.split("/")
    kind_dir = parts[1]
    digest = parts[2] if kind_dir != "pypi" else None
    if kind_dir in ("pypi", "index"):
        index = index_label(kind_dir, digest, ctx.index_urls)
        for version in _subdirs(ctx.path(directory)):
            _read_revisions(ctx, package, f"{directory}/{version}", version, "index", index, out)
        return
    _read_revisions(ctx, package, directory, None, kind_dir, None, out)


def _read_revisions(
    ctx: Context,
    package: str,
    directory: str,
    version: str | None,
    kind: str,
    index: str | None,
    out: PackageContents,
) -> None:
    current, url = (None, None)
    if kind != "git":
        current, url = _revision_pointer(ctx, package, directory, out)
        if kind == "index" and os.path.lexists(ctx.path(directory, "revision.rev")):
            kind = "find-links"  # a local --find-links dir: uv keeps a `.rev`, not `.http`
    for revision in _subdirs(ctx.path(directory)):
        rev_dir = f"{directory}/{revision}"
        if revision.startswith("."):
            continue
        if kind == "git":
            repository, commit = repository_of(revision, ctx.checkouts)
            origin = Origin("git", url=repository, commit=commit)
        else:
            origin = Origin(kind, index=index, url=url)
        built = [n for n in _listing(ctx.path(rev_dir)) if n.endswith(".whl")]
        for filename in built:
            parsed = parse_wheel_filename(filename)
            if parsed is None or normalize(parsed.name) != package:
                continue
            entry = f"{rev_dir}/{filename[: -len('.whl')]}"
            built_at = _mtime(ctx.path(rev_dir, filename))
            wheel = _wheel(ctx, package, entry, parsed, filename, True, origin, None, built_at)
            out.wheels.append(wheel)
        sizes = ctx.sizes([rev_dir])
        out.sdists.append(
            SdistRevision(
                package=package,
                version=version
                or next((w.version for w in out.wheels if w.entry.startswith(rev_dir + "/")), None),
                revision=display_path(revision),
                path=display_path(rev_dir),
                origin=origin,
                current=None if current is None else revision == current,
                wheels=tuple(built),
                allocated=sizes.allocated,
                reclaimable=sizes.reclaimable,
            )
        )
