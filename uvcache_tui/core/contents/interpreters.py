"""`interpreter-vN`: what uv learnt when it queried a Python, and whether that Python is still
there (an entry for a deleted venv or a removed Python is a stale, removable query result).

Each entry is `CachedByTimestamp`: `[mtime of the queried executable, InterpreterInfo]`,
where `InterpreterInfo` is MessagePack in field order. The layouts below were read from
files the real uv wrote; other generations are not decoded (their layout is unverified):

| bucket | uv | fields (index) |
|---|---|---|
| interpreter-v4 | 0.5.9 – 0.13.7 (0.5.31, 0.8.22 observed) | `[platform, markers 1, …, prefix 5, base prefix 7, base executable 8, executable 9, …]` |
| interpreter-v5 | 0.13.8 – (0.13.9 observed) | `[platform, [markers 0, …, prefix 4, base prefix 6, base executable 7, executable 8, …]]` |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from uvcache_tui.core.contents.records import (
    RecordError,
    Undecoded,
    display_path,
    read_record,
    undecoded,
    unpack_whole,
)


@dataclass(frozen=True)
class _Layout:
    nested: bool
    """The fields after the platform are a list of their own (v5)."""
    markers: int
    prefix: int
    base_prefix: int
    base_executable: int
    executable: int


LAYOUTS = {
    4: _Layout(False, 1, 5, 7, 8, 9),
    5: _Layout(True, 0, 4, 6, 7, 8),
}
"""`interpreter-vN` generations whose layout was checked against the real uv."""


@dataclass(frozen=True)
class InterpreterEntry:
    """One cached interpreter query."""

    path: str
    """The entry, relative to the cache root."""
    bucket: str
    executable: str
    prefix: str
    base_prefix: str
    base_executable: str
    implementation: str
    """`cpython`, `pypy`, … (the `implementation_name` marker)."""
    version: str
    """`python_full_version`."""
    platform: str
    """`sys_platform`-`platform_machine`, e.g. `linux-x86_64`."""
    os_tag: str | None
    """The platform tag uv derived, e.g. `manylinux_2_36`, when it is in a known form."""
    is_virtualenv: bool
    exists: bool | None
    """The executable is still there (else the entry is stale: uv will never use it); None
    when the cache's paths are not this machine's (a BuildKit mount, an image layer)."""
    allocated: int


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise RecordError(f"interpreter record without {what}")
    return value


def _os_tag(platform: Any) -> str | None:
    if not (isinstance(platform, list) and platform and isinstance(platform[0], list)):
        return None
    parts = platform[0]
    if parts and all(isinstance(part, (str, int)) for part in parts):
        return "_".join(str(part) for part in parts)
    return None


def decode_interpreter(
    cache_root: str,
    path: str,
    bucket: str,
    generation: int | None,
    allocated: int,
    host_paths: bool = True,
) -> InterpreterEntry:
    """One entry; `RecordError` says why it could not be decoded."""
    layout = LAYOUTS.get(generation) if generation is not None else None
    if layout is None:
        raise RecordError(f"{bucket}: this tool does not know that generation's layout")
    record = unpack_whole(read_record(path))
    if not (isinstance(record, list) and len(record) == 2 and isinstance(record[1], list)):
        raise RecordError("not a timestamped interpreter record")
    info = record[1]
    fields = info[1] if layout.nested and len(info) == 2 else info
    if not isinstance(fields, list) or len(fields) <= layout.executable:
        raise RecordError("interpreter record too short for this generation")
    markers = fields[layout.markers]
    if not isinstance(markers, dict):
        raise RecordError("interpreter record without its markers")
    executable = _text(fields[layout.executable], "an executable")
    prefix = _text(fields[layout.prefix], "a prefix")
    base_prefix = _text(fields[layout.base_prefix], "a base prefix")
    return InterpreterEntry(
        path=display_path(os.path.relpath(path, cache_root)),
        bucket=bucket,
        executable=executable,
        prefix=prefix,
        base_prefix=base_prefix,
        base_executable=_text(fields[layout.base_executable], "a base executable"),
        implementation=_text(markers.get("implementation_name"), "an implementation"),
        version=_text(markers.get("python_full_version"), "a Python version"),
        platform=(
            f"{_text(markers.get('sys_platform'), 'a platform')}-"
            f"{_text(markers.get('platform_machine'), 'a machine')}"
        ),
        os_tag=_os_tag(info[0]),
        is_virtualenv=prefix != base_prefix,
        exists=os.path.exists(executable) if host_paths else None,
        allocated=allocated,
    )


def read_interpreters(
    cache_root: str, buckets: list[tuple[str, int | None]], host_paths: bool = True
) -> tuple[list[InterpreterEntry], list[Undecoded]]:
    """Every `<digest>/<digest>.msgpack` (or `<arch>/<digest>.msgpack`) of the given buckets;
    `host_paths`: the executables they name are this machine's (else `exists` is None)."""
    entries: list[InterpreterEntry] = []
    failed: list[Undecoded] = []
    for bucket, generation in buckets:
        for path in _entry_files(os.path.join(cache_root, bucket)):
            try:
                allocated = os.lstat(path).st_blocks * 512
                entries.append(
                    decode_interpreter(cache_root, path, bucket, generation, allocated, host_paths)
                )
            except RecordError as error:
                failed.append(undecoded(cache_root, path, str(error)))
            except OSError as error:
                failed.append(undecoded(cache_root, path, f"unreadable: {error.strerror}"))
    entries.sort(key=lambda e: (e.executable, e.path))
    return entries, failed


def _entry_files(bucket_path: str) -> list[str]:
    found: list[str] = []
    try:
        shards = sorted(os.scandir(bucket_path), key=lambda e: e.name)
    except OSError:
        return found
    for shard in shards:
        if not shard.is_dir(follow_symlinks=False):
            continue
        try:
            with os.scandir(shard.path) as files:
                found.extend(
                    sorted(
                        f.path
                        for f in files
                        if f.name.endswith(".msgpack") and f.is_file(follow_symlinks=False)
                    )
                )
        except OSError:
            continue
    return found
