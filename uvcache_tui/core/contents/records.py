"""uv's per-entry records, read without trusting them: MessagePack pointers and envelopes.

What uv writes (observed with the real 0.5.31, 0.8.22 and 0.13.9; uv-cache.md §3.3):

- `.rev` (local files): plain MessagePack `[timestamp, archive]`; `revision.rev` (local
  sdists): `[cache info, revision]`.
- `.http`, and a wheel's `.msgpack`: a `DataWithCachePolicy` envelope, a MessagePack payload
  followed by uv's rkyv `CachePolicy` and a trailer whose meaning changed between releases.
  Only the payload (the first MessagePack object) is decoded; the policy is opaque, except
  that the request URL it holds is taken when it ends exactly with the file name the payload
  names (a checked fact, never a pattern guessed from bytes).
- The archive record in those payloads grew over time: `[id, hashes]` (0.5.x),
  `[id, hashes, filename, version]` (0.8.x), `[id, hashes, filename, version, size]`
  (0.13.9); a map with those keys in 0.12.x. Any other shape is not decoded.

Nothing here raises on bad input: `RecordError` carries the reason, and the callers keep the
entry as `Undecoded` (its first bytes and why).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgpack

MAX_RECORD_BYTES = 1 << 20
"""Records are small (hundreds of bytes); anything larger is not read whole."""
RAW_KEPT = 64
"""Bytes of an undecoded record kept in the model, to show what it starts with."""

_URL_RE = re.compile(rb"(?:https?|file)://[\x21-\x7e]+")
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


class RecordError(ValueError):
    """Why a record could not be decoded (becomes `Undecoded.reason`)."""


class Undecoded(NamedTuple):
    """An entry this tool could not decode: kept, labelled, never guessed at (a named tuple:
    a cache with many bad records makes one each, while `show` reads them)."""

    path: str
    """Relative to the cache root."""
    reason: str
    head: bytes
    """Its first `RAW_KEPT` bytes (empty when it could not be read)."""
    size: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "reason": self.reason,
            "head_hex": self.head.hex(),
            "size": self.size,
        }


@dataclass(frozen=True)
class ArchiveRecord:
    """uv's `Archive`: which `archive-v0/<id>` holds a wheel, and what it says of the wheel."""

    archive_id: str
    filename: str | None
    """The wheel's file name (from 0.8); None where the record has no such field."""
    size: int | None
    hashes: tuple[str, ...]
    """`sha256:<hex>` and the like, as recorded."""


def read_record(path: str, limit: int = MAX_RECORD_BYTES) -> bytes:
    """A record's bytes; `RecordError` if it cannot be read or is too large to be one."""
    data = read_timed_record(path, limit)[0]
    if not data:
        raise RecordError("empty file")
    return data


def read_timed_record(path: str, limit: int = MAX_RECORD_BYTES) -> tuple[bytes, float]:
    """A record's bytes (possibly empty) and its mtime, from one open; `RecordError` if it
    cannot be read or is too large to be a record."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        raise RecordError(f"unreadable: {error.strerror or error}") from None
    try:
        st = os.fstat(fd)
        if st.st_size > limit:
            raise RecordError(f"larger than {limit} bytes: not a record")
        # Sized by fstat: a `read(limit)` would allocate the limit for every small record.
        data = os.read(fd, st.st_size + 1)
        while st.st_size < len(data) <= limit:  # it grew while being read
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            data += chunk
        if len(data) > limit:
            raise RecordError(f"larger than {limit} bytes: not a record")
    except OSError as error:
        raise RecordError(f"unreadable: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return data, st.st_mtime


def undecoded_bytes(relative: str, reason: str, data: bytes) -> Undecoded:
    """The `Undecoded` of a record already read (`relative` to the cache root)."""
    return Undecoded(display_path(relative), reason, data[:RAW_KEPT], len(data))


def undecoded(cache_root: str, path: str, reason: str) -> Undecoded:
    """The `Undecoded` of a file, with its head and size when it can be read."""
    head = b""
    size: int | None = None
    try:
        with open(path, "rb") as handle:
            head = handle.read(RAW_KEPT)
        size = os.lstat(path).st_size
    except OSError:
        pass
    return Undecoded(display_path(os.path.relpath(path, cache_root)), reason, head, size)


def display_path(path: str) -> str:
    """A path as text: bytes that are not UTF-8 (kept by surrogateescape) shown as U+FFFD."""
    if path.isascii():
        return path
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def unpack_whole(data: bytes) -> Any:
    """A plain MessagePack record (`.rev`, `metadata.msgpack`, interpreter entries)."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except msgpack.ExtraData:
        raise RecordError("MessagePack followed by unexpected bytes") from None
    except (ValueError, msgpack.UnpackException) as error:
        raise RecordError(f"not MessagePack ({type(error).__name__})") from None


def unpack_first(data: bytes) -> tuple[Any, int]:
    """The payload of an envelope (its first MessagePack object) and where it ends."""
    unpacker = msgpack.Unpacker(raw=False, strict_map_key=False, max_buffer_size=len(data) + 1)
    unpacker.feed(data)
    try:
        payload = unpacker.unpack()
    except msgpack.OutOfData:
        raise RecordError("truncated MessagePack payload") from None
    except (ValueError, msgpack.UnpackException) as error:
        raise RecordError(f"not a MessagePack payload ({type(error).__name__})") from None
    end = unpacker.tell()
    if end >= len(data):
        raise RecordError("payload without uv's cache policy after it")
    return payload, end


def archive_record(value: Any) -> ArchiveRecord:
    """An `Archive` in one of the shapes uv wrote (see the module's docstring)."""
    archive_id, hashes, filename, size = _archive_fields(value)
    return ArchiveRecord(archive_id, filename, size, _hashes(hashes))


def archive_pointer(value: Any) -> tuple[str, str | None]:
    """`archive_record`'s archive id and wheel file name, checked the same way (a wheel
    pointer needs no more)."""
    archive_id, _, filename, _ = _archive_fields(value)
    return archive_id, filename


def _archive_fields(value: Any) -> tuple[str, Any, str | None, int | None]:
    if isinstance(value, dict):
        fields = [value.get(key) for key in ("id", "hashes", "filename", "version", "size")]
        value = fields if "id" in value else None
    if not isinstance(value, list) or len(value) not in (2, 4, 5):
        raise RecordError("not an archive record of a known shape")
    archive_id, hashes = value[0], value[1]
    if not isinstance(archive_id, str) or not archive_id or "/" in archive_id:
        raise RecordError("archive record without an archive id")
    filename = value[2] if len(value) >= 4 else None
    if filename is not None and not (isinstance(filename, str) and filename.endswith(".whl")):
        raise RecordError("archive record whose file name is not a wheel's")
    if len(value) >= 4 and value[3] != 0:
        raise RecordError(f"archive version {value[3]!r}: this tool knows version 0")
    size = value[4] if len(value) == 5 else None
    if size is not None and not isinstance(size, int):
        raise RecordError("archive record with a size that is not a number")
    return archive_id, hashes, filename, size


def _hashes(value: Any) -> tuple[str, ...]:
    """`[{'Sha256': 'hex'}]` (uv's `HashDigest`s) -> `('sha256:hex',)`; other shapes: none."""
    found: list[str] = []
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                found.extend(f"{str(k).lower()}:{v}" for k, v in item.items() if isinstance(v, str))
    return tuple(found)


def policy_urls(data: bytes, start: int) -> list[str]:
    """Every URL-shaped run of printable ASCII after `start` (candidates, never shown as
    such: `policy_url` and the callers keep only one that matches what the path says)."""
    return [match.group().decode("ascii") for match in _URL_RE.finditer(data, start)]


def url_path(url: str) -> str:
    """A URL without its query and fragment."""
    return url.split("#", 1)[0].split("?", 1)[0]


def policy_url(data: bytes, start: int, last_segment: str) -> str | None:
    """The URL in the opaque policy bytes whose path ends with `/<last_segment>`, if any.

    `last_segment` is what the payload or the entry's own path says (a wheel's file name, a
    simple page's `<name>/`): a URL is returned only when it matches exactly, else None.
    """
    wanted = "/" + last_segment
    found = [url for url in policy_urls(data, start) if url_path(url).endswith(wanted)]
    return found[-1] if found else None
