"""Wheel pointers (`.http` for a download, `.rev` for a local file) read and decoded on
their own, before the model is known: what a wheels-bucket entry says by itself."""

from __future__ import annotations

import os

from uvcache_tui.core.contents.layout import key_parts, normalize, wheel_parts
from uvcache_tui.core.contents.records import (
    RecordError,
    Undecoded,
    archive_pointer,
    policy_url,
    read_timed_record,
    undecoded,
    undecoded_bytes,
    unpack_first,
    unpack_whole,
)

POINTERS = (".http", ".rev")
PREFETCH_BUDGET = 64 << 20
"""Bytes of wheel records `prefetch_wheel_records` reads at most (a real cache's average
under 1 KiB a wheel: 64 MiB is beyond 60k wheels); past it, records are read when joined."""

WheelPointer = tuple[
    str, str, Undecoded | None, str | None, str, str | None, str | None, str | None, float | None
]
"""A wheel pointer (`.http`/`.rev`) decoded for its dir's package, all its entry says by
itself: (entry path relative to the root, suffix, why the record could not be read or
decoded or None, the wheel's file name, version, tags, the policy's URL of the file,
archive id, when uv wrote it). A plain tuple: `show` makes one per cached wheel, in the
scan's background thread (`prefetch_wheel_records`)."""


def pointer_names(names: list[str]) -> list[tuple[str, str]]:
    """(key, suffix) of each wheel pointer in a listing, sorted: its `.http` record, or its
    `.rev` where there is no `.http` (a local file's)."""
    keys: dict[str, str] = {}
    for name in names:
        if name.endswith(".http"):
            keys[name[:-5]] = ".http"
        elif name.endswith(".rev"):
            keys.setdefault(name[:-4], ".rev")
    return sorted(keys.items())


DirPointers = tuple[str, list[WheelPointer]]
"""A wheels-bucket dir's pointers, sorted by key, and the package they were decoded for."""


def dir_package(relative_dir: str) -> str:
    """The package a wheels-bucket dir is named after (`…/pypi/<name>`), normalized."""
    return normalize(relative_dir.rsplit("/", 1)[-1])


def decode_dir(root: str, relative_dir: str, names: list[str], package: str) -> DirPointers:
    """Every wheel pointer of one wheels-bucket dir (its entry `names`), decoded for
    `package` (the key names the wheel where the record does not: `layout.key_parts`)."""
    return package, [
        decode_pointer(root, relative_dir, key, suffix, package)
        for key, suffix in pointer_names(names)
    ]


def prefetch_wheel_records(
    root: str, listings: dict[str, list[str]], budget: int = PREFETCH_BUDGET
) -> dict[str, DirPointers]:
    """`decode_dir` of every listed wheels-bucket dir (absolute path -> names) for the
    package it is named after, ahead of the model: done in a thread while the scan's
    workers walk, so `show`'s full listing leaves only the joins with the model for after
    the scan. Keyed by the dir relative to `root`; stops once about `budget` bytes were
    read (the rest is read when its package is)."""
    decoded: dict[str, DirPointers] = {}
    start = len(root) + 1
    read = 0
    for directory, names in listings.items():
        relative_dir = directory[start:]
        pointers = decode_dir(root, relative_dir, names, dir_package(relative_dir))
        decoded[relative_dir] = pointers
        read += 256 * len(pointers[1])
        if read > budget:
            break
    return decoded


def decode_pointer(
    root: str, relative_dir: str, key: str, suffix: str, package: str
) -> WheelPointer:
    """A wheel pointer's record, read and decoded; never raises on the file's contents."""
    entry = f"{relative_dir}/{key}"
    path = os.sep.join((root, entry + suffix))
    data, cached_at = b"", None
    failure: Undecoded | None = None
    archive_id = filename = url = None
    end = 0  # where the payload ends: a failed record's URL is searched from its start
    try:
        data, cached_at = read_timed_record(path)
        if not data:
            raise RecordError("empty file")
        if suffix == ".rev":
            record = unpack_whole(data)
            if not (isinstance(record, list) and len(record) == 2):
                raise RecordError("not a timestamped archive pointer")
            archive_id, filename = archive_pointer(record[1])
            end = len(data)
        else:
            payload, payload_end = unpack_first(data)
            archive_id, filename = archive_pointer(payload)
            end = payload_end
    except RecordError as error:
        if data:
            failure = undecoded_bytes(entry + suffix, str(error), data)
        else:
            failure = undecoded(root, path, str(error))
    if filename is not None:
        if suffix == ".http":
            url = policy_url(data, end, filename)
        parts = wheel_parts(filename)
        if parts is not None:
            return (entry, suffix, failure, filename, *parts[1:], url, archive_id, cached_at)
    version, tags, from_filename = key_parts(key, package)
    if filename is None and from_filename:
        filename = key + ".whl"  # a 0.5-style entry, named by the file name's stem
        if suffix == ".http":
            url = policy_url(data, end, filename)
    return (entry, suffix, failure, filename, version, tags, url, archive_id, cached_at)
