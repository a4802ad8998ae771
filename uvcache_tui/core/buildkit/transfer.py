"""Open, export and import a cache mount through helper builds (any builder buildx reaches).

- **open**: the reader's tar is extracted into a temporary directory and loaded with
  `cache.load_cache`, so a mount has the same model (totals, buckets, packages) as a local
  cache;
- **export**: the same tar, to FILE.tar or a DIR, under a temporary name renamed at the
  end, with a manifest (`<PATH>.manifest.json`: key, builder, versions, uv, when);
- **import**: a checked tar (or a DIR, tarred here) extracted into the mount by the
  importer, merging unless `--replace` pruned the id's records first, then verified by
  listing the mount again.

Over 400 lines because the three share the reader's stream, the temporary-name-then-rename
rule and the manifest; apart, an export and its import could stop matching.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, TypeVar

from uvcache_tui import __version__
from uvcache_tui.core.buckets import newest_writer, table_for
from uvcache_tui.core.buildkit.builders import ResolvedBuilder
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.helper_build import (
    DATA_MEMBER,
    LISTING_MEMBER,
    HelperError,
    HelperRun,
    NoSuchKey,
    run_importer,
    run_reader,
)
from uvcache_tui.core.buildkit.mountref import LocatedMount
from uvcache_tui.core.buildkit.records import CacheMountRecord
from uvcache_tui.core.buildkit.tarsafe import (
    ArchiveSummary,
    UnsafeArchive,
    check_archive,
    extract_stream,
    normalise,
    plain_copy,
    tar_directory,
)
from uvcache_tui.core.cache import CacheModel, load_cache

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1


T = TypeVar("T")


class TransferError(HelperError):
    """An export or import could not be done; nothing partial was left."""


def manifest_path(path: Path) -> Path:
    """`cache.tar` → `cache.tar.manifest.json`, `dir` → `dir.manifest.json`."""
    return path.with_name(path.name + MANIFEST_SUFFIX)


# --- reading ---------------------------------------------------------------------------


def _outer_members(stream: IO[bytes]) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    """The reader's `out/…` files, as streams (read each before asking for the next)."""
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            if member.isreg():
                data = outer.extractfile(member)
                if data is not None:
                    yield member, data


def parse_listing(text: str) -> frozenset[str]:
    """Names (normalised) from the reader's `stat -c '%i %h %b %s %f %u:%g %Y %n'` lines."""
    names = set()
    for line in text.splitlines():
        fields = line.split(" ", 7)
        if len(fields) == 8:
            names.add(normalise(fields[7]))
    return frozenset(names)


def read_with_keys(
    resolved: ResolvedBuilder,
    keys: tuple[CacheKey, ...],
    image: str,
    into: Path,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[CacheKey, ArchiveSummary, HelperRun]:
    """Extract the mount into the directory `into`, trying each key until one exists;
    `cancelled()` true stops the helper build (HelperCancelled)."""
    key, (summary, run) = _first_key(
        keys, lambda key: run_reader(resolved, key, image, _extract_into(into), cancelled=cancelled)
    )
    return key, summary, run


def _first_key(keys: tuple[CacheKey, ...], read: Callable[[CacheKey], T]) -> tuple[CacheKey, T]:
    """`read(key)` for each key in turn until one names an existing cache; the last
    NoSuchKey when none does."""
    last: NoSuchKey | None = None
    for key in keys:
        try:
            return key, read(key)
        except NoSuchKey as exc:
            last = exc
    if last is None:
        raise ValueError("no cache key to try")
    raise last


def _extract_into(into: Path) -> Any:
    def sink(stream: IO[bytes]) -> ArchiveSummary:
        found: ArchiveSummary | None = None
        for member, data in _outer_members(stream):
            if member.name == DATA_MEMBER:
                found = extract_stream(data, into)
        if found is None:
            raise TransferError("the helper build returned no cache data")
        return found

    return sink


def uv_version_inside(top_level: frozenset[str]) -> str | None:
    """`>=0.13.9` from the cache's bucket names; None when no uv bucket is there."""
    newest = newest_writer(top_level)
    return f">={newest}" if newest else None


@dataclass
class OpenedMount:
    """A mount read into a temporary directory and loaded like a local cache."""

    located: LocatedMount
    key: CacheKey
    model: CacheModel
    summary: ArchiveSummary
    run: HelperRun

    def to_json(self, cache_document: dict[str, Any]) -> dict[str, Any]:
        """`buildkit show --json`: the `show --json` document plus `mount`, `builder`,
        `key` and `read`; `path` names the record, the temporary copy is gone."""
        info = self.located.resolved.info
        return {
            **cache_document,
            "path": None,
            "mount": self.located.mount.to_json(),
            "builder": {"name": info.name, "driver": info.driver},
            "key": self.key.to_json(),
            "uv_version_inside": uv_version_inside(self.summary.top_level),
            "read": {"via": "reader-build", "seconds": round(self.run.seconds, 3)},
        }


@contextmanager
def open_mount(
    located: LocatedMount,
    keys: tuple[CacheKey, ...],
    image: str,
    cancelled: Callable[[], bool] | None = None,
) -> Iterator[OpenedMount]:
    """Read the mount into a temporary directory, load its model; the directory goes
    when the block ends. `cancelled()` true stops the read (HelperCancelled)."""
    with tempfile.TemporaryDirectory(prefix="uvct-mount-") as tmp:
        into = Path(tmp) / "cache"
        into.mkdir()
        key, summary, run = read_with_keys(located.resolved, keys, image, into, cancelled)
        table = table_for(newest_writer(summary.top_level))
        model = load_cache(
            str(into), table, cancelled=cancelled, read_records=True, host_paths=False
        )
        yield OpenedMount(located, key, model, summary, run)


# --- export ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    """Where the export went and what it holds."""

    path: Path
    manifest: Path
    kind: str  # "tar" | "dir"
    key: CacheKey
    summary: ArchiveSummary
    run: HelperRun
    document: dict[str, Any] = field(repr=False)


def _manifest(
    resolved: ResolvedBuilder,
    record: CacheMountRecord | None,
    key: CacheKey,
    summary: ArchiveSummary,
    kind: str,
) -> dict[str, Any]:
    info = resolved.info
    return {
        "format": MANIFEST_FORMAT,
        "tool": f"uvcache-tui {__version__}",
        "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "kind": kind,
        "key": key.to_json(),
        "builder": {
            "name": info.name,
            "driver": info.driver,
            "engine_version": info.engine_version,
            "api_version": info.api_version,
            "buildkit_version": info.buildkit_version,
        },
        "record": record.to_json() if record is not None else None,
        "uv_version_inside": uv_version_inside(summary.top_level),
        "entries": summary.entries,
        "bytes": summary.bytes,
    }


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def _place(temp: Path, dest: Path) -> None:
    """Rename `temp` to `dest`, replacing a previous export (a dir is swapped aside)."""
    if dest.is_dir() and not dest.is_symlink():
        aside = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        os.rename(dest, aside)
        os.rename(temp, dest)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(temp, dest)


def _tar_sink(target: Path) -> Any:
    def sink(stream: IO[bytes]) -> int:
        written = 0
        for member, data in _outer_members(stream):
            if member.name == DATA_MEMBER:
                with open(target, "wb") as out:
                    shutil.copyfileobj(data, out, 1 << 20)
                    out.flush()
                    os.fsync(out.fileno())
                written = member.size
        if not written:
            raise TransferError("the helper build returned no cache data")
        return written

    return sink


def export_mount(
    located: LocatedMount, keys: tuple[CacheKey, ...], image: str, to: Path
) -> ExportResult:
    """Export the mount to `to` (a `.tar` file, else a directory) and its manifest.

    Everything is written under temporary names next to `to` and renamed at the end;
    on any failure (full disk, unwritable path, no such key) they are removed.
    """
    return export_key(located.resolved, keys, image, to, located.mount)


def export_key(
    resolved: ResolvedBuilder,
    keys: tuple[CacheKey, ...],
    image: str,
    to: Path,
    record: CacheMountRecord | None = None,
    extra: dict[str, Any] | None = None,
) -> ExportResult:
    """`export_mount` for a key, with the record it was listed as when there is one;
    `extra` goes into the manifest too (where the key came from)."""
    to = to.absolute()
    kind = "tar" if to.name.endswith(".tar") else "dir"
    parent = to.parent
    if not parent.is_dir():
        raise TransferError(f"cannot export to {to}: {parent} is not a directory")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=f".{to.name}.", suffix=".partial", dir=parent)
    except OSError as exc:
        raise TransferError(f"cannot write to {parent}: {exc.strerror or exc}") from exc
    os.close(fd)
    temp = Path(temp_name)
    temp_manifest = temp.with_name(temp.name + MANIFEST_SUFFIX)
    try:
        if kind == "dir":
            temp.unlink()
            temp.mkdir()
            key, summary, run = read_with_keys(resolved, keys, image, temp)
        else:
            key, run = _export_tar(resolved, keys, image, temp)
            summary = check_archive(temp)
        document = {**_manifest(resolved, record, key, summary, kind), **(extra or {})}
        temp_manifest.write_text(json.dumps(document, indent=2) + "\n")
        _place(temp, to)
        os.replace(temp_manifest, manifest_path(to))
    except OSError as exc:
        _remove(temp)
        _remove(temp_manifest)
        raise TransferError(f"export to {to} failed: {exc.strerror or exc}") from exc
    except BaseException:
        _remove(temp)
        _remove(temp_manifest)
        raise
    return ExportResult(to, manifest_path(to), kind, key, summary, run, document)


def _export_tar(
    resolved: ResolvedBuilder, keys: tuple[CacheKey, ...], image: str, temp: Path
) -> tuple[CacheKey, HelperRun]:
    key, (_, run) = _first_key(keys, lambda key: run_reader(resolved, key, image, _tar_sink(temp)))
    return key, run


# --- import ----------------------------------------------------------------------------


@dataclass
class ImportSource:
    """A checked source, as the plain tar the importer binds (in `workdir`)."""

    path: Path
    kind: str  # "tar" | "dir"
    tarball: Path
    summary: ArchiveSummary
    manifest: dict[str, Any] | None
    workdir: tempfile.TemporaryDirectory[str] = field(repr=False)

    def close(self) -> None:
        self.workdir.cleanup()


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(manifest_path(path).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def prepare_source(path: Path) -> ImportSource:
    """Check SRC before anything reaches a builder; UnsafeArchive says why it is refused."""
    if not path.exists():
        raise UnsafeArchive(f"{path} does not exist")
    workdir = tempfile.TemporaryDirectory(prefix="uvct-import-src-")
    tarball = Path(workdir.name) / "cache.tar"
    try:
        if path.is_dir():
            summary = tar_directory(path, tarball)
            kind = "dir"
        elif path.is_file():
            summary = check_archive(path)
            plain_copy(path, tarball)
            kind = "tar"
        else:
            raise UnsafeArchive(f"{path} is neither a tar file nor a directory")
    except OSError as exc:
        workdir.cleanup()
        raise UnsafeArchive(f"cannot read {path}: {exc.strerror or exc}") from exc
    except BaseException:
        workdir.cleanup()
        raise
    return ImportSource(path, kind, tarball, summary, _read_manifest(path), workdir)


@dataclass(frozen=True)
class ImportResult:
    """What the import did and what the listing afterwards showed."""

    key: CacheKey
    run: HelperRun
    verify: HelperRun
    missing: tuple[str, ...]
    created: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_json(),
            "created_records": list(self.created),
            "helper_records_pruned": list(self.run.cleanup.pruned + self.verify.cleanup.pruned),
            "helper_records_left": list(self.run.cleanup.left + self.verify.cleanup.left),
            "verified": self.ok,
            "missing": list(self.missing[:20]),
            "missing_count": len(self.missing),
            "seconds": round(self.run.seconds, 3),
            "verify_seconds": round(self.verify.seconds, 3),
        }


def import_source(
    resolved: ResolvedBuilder, key: CacheKey, image: str, source: ImportSource
) -> ImportResult:
    """Extract `source` into the mount of `key`, then list the mount and compare."""
    run = run_importer(resolved, key, image, source.tarball)

    def listing(stream: IO[bytes]) -> frozenset[str]:
        for member, data in _outer_members(stream):
            if member.name == LISTING_MEMBER:
                return parse_listing(data.read().decode("utf-8", "surrogateescape"))
        raise TransferError("the verifying helper build returned no listing")

    try:
        names, verify = run_reader(resolved, key, image, listing, data=False)
    except NoSuchKey as exc:
        raise TransferError(f"the import left no cache with that key: {key.describe()}") from exc
    missing = tuple(sorted(source.summary.names - names))
    return ImportResult(key, run, verify, missing, run.cleanup.created_mounts)
