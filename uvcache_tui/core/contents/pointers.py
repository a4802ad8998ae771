"""Wheel pointers (`.http` for a download, `.rev` for a local file) read and decoded on
their own, before the model is known: what a wheels-bucket entry says by itself."""

from __future__ import annotations

import os
from dataclasses import dataclass

from uvcache_tui.core.contents.layout import WheelName, normalize, parse_key, parse_wheel_filename
from uvcache_tui.core.contents.records import (
    ArchiveRecord,
    RecordError,
    Undecoded,
    archive_record,
    policy_url,
    read_timed_record,
    undecoded,
    undecoded_bytes,
    unpack_first,
    unpack_whole,
)

POINTERS = (".http", ".rev")
PREFETCH_BUDGET = 64 << 20
"""Bytes of wheel records `prefetch_wheel_records` keeps at most (a real cache's average
under 1 KiB a wheel: 64 MiB is beyond 60k wheels); past it, records are read when decoded."""


@dataclass(frozen=True, slots=True)
class DecodedPointer:
    """What a wheel pointer (`.http`/`.rev`) says by itself, before the model is known:
    decoded in the scan's background thread for `show` (`prefetch_wheel_records`), or when
    its package is read."""

    record: ArchiveRecord | None
    failure: Undecoded | None
    """Why the record could not be read or decoded (then `record` is None)."""
    name: WheelName | None
    """Parsed from the record's file name (None: no file name, or not a wheel's)."""
    url: str | None
    """The policy's URL of the record's file name (`.http` only)."""
    cached_at: float | None
    data: bytes = b""
    """The bytes, kept only where the record gives no file name and the entry is named by a
    wheel file name's stem (0.5-style: its URL is found by that name, `read_wheel_dir`)."""
    end: int = 0
    """Where the payload ends in `data`."""


def pointer_names(names: list[str]) -> list[tuple[str, str]]:
    """(key, suffix) of each wheel pointer in a listing, sorted: its `.http` record, or its
    `.rev` where there is no `.http` (a local file's)."""
    present = set(names)
    return [
        (key, ".http" if key + ".http" in present else ".rev")
        for key in sorted({n.rsplit(".", 1)[0] for n in names if n.endswith(POINTERS)})
    ]


DirPointers = list[tuple[str, str, DecodedPointer, WheelName | None]]
"""A wheels-bucket dir's pointers, sorted by key: (entry key, suffix, the pointer decoded,
the name its key gives where the record gives none, read for the dir's own package name)."""


def dir_package(relative_dir: str) -> str:
    """The package a wheels-bucket dir is named after (`…/pypi/<name>`), normalized."""
    return normalize(relative_dir.rsplit("/", 1)[-1])


def decode_dir(root: str, relative_dir: str, names: list[str]) -> DirPointers:
    """Every wheel pointer of one wheels-bucket dir (its entry `names`), decoded."""
    package = dir_package(relative_dir)
    found: DirPointers = []
    for key, suffix in pointer_names(names):
        pointer = decode_pointer(root, f"{relative_dir}/{key}{suffix}", suffix)
        found.append(
            (key, suffix, pointer, parse_key(key, package) if pointer.name is None else None)
        )
    return found


def prefetch_wheel_records(
    root: str, listings: dict[str, list[str]], budget: int = PREFETCH_BUDGET
) -> dict[str, DirPointers]:
    """`decode_dir` of every listed wheels-bucket dir (absolute path -> names), ahead of the
    model: done in a thread while the scan's workers walk, so `show`'s full listing leaves
    only the joins with the model for after the scan. Keyed by the dir relative to `root`;
    stops once `budget` bytes were read (the rest is read when its package is)."""
    decoded: dict[str, DirPointers] = {}
    start = len(root) + 1
    read = 0
    for directory, names in listings.items():
        relative_dir = directory[start:]
        pointers = decode_dir(root, relative_dir, names)
        decoded[relative_dir] = pointers
        read += sum(len(pointer.data) + 256 for _, _, pointer, _ in pointers)
        if read > budget:
            break
    return decoded


def decode_pointer(root: str, relative: str, suffix: str) -> DecodedPointer:
    """A wheel pointer's record, read and decoded; never raises on the file's contents."""
    path = os.sep.join((root, relative))
    data, cached_at = b"", None
    try:
        data, cached_at = read_timed_record(path)
        record, end = _pointer(data, suffix)
    except RecordError as error:
        failed = undecoded_bytes(relative, str(error), data) if data else None
        failure = failed or undecoded(root, path, str(error))
        return DecodedPointer(None, failure, None, None, cached_at, _kept(relative, suffix, data))
    filename = record.filename
    if filename is None:
        return DecodedPointer(
            record, None, None, None, cached_at, _kept(relative, suffix, data), end
        )
    url = policy_url(data, end, filename) if suffix == ".http" else None
    return DecodedPointer(record, None, parse_wheel_filename(filename), url, cached_at)


def _kept(relative: str, suffix: str, data: bytes) -> bytes:
    """The bytes, for an entry named by a wheel file name's stem (0.5 and older): its URL
    is found in them by that name later. Any other entry keeps none (memory)."""
    if suffix != ".http":
        return b""
    key = relative.rsplit("/", 1)[-1][: -len(suffix)]
    return data if parse_wheel_filename(key + ".whl") is not None else b""


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
