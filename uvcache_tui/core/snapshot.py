"""Scan snapshots: each cache's last figures, shown at once on the next launch while it is
scanned again.

One small JSON file per cache in the user's cache dir (`user_cache_dir("uvcache-tui")/
snapshots`, or `$UVCACHE_TUI_SNAPSHOT_DIR`), named by a hash of the cache's path and
holding its identity: the root's device and inode, and the mtimes of the root and of each
top-level directory. A snapshot holds figures only (totals, buckets, the largest packages):
it never names anything to delete and nothing plans from it; actions plan from a fresh
walk's `CacheModel`.

What can go stale, said plainly: the mtimes change when an entry is added to or removed
from the root or a bucket dir itself (a new archive entry, a pruned one, a new index or
wheels subdir), not when something deeper changes (a new wheel of a package already
cached); a snapshot is therefore always labelled with its age, and `changed` only says
the cache surely changed since.

The format is versioned; a file that is unreadable, corrupt, of another version, too
large or for another path is ignored with a note, never an error. Files are written to a
temporary name and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from platformdirs import user_cache_dir

from uvcache_tui.core.model import Sizes

if TYPE_CHECKING:
    from uvcache_tui.core.cache import CacheModel  # a type only: launching reads snapshots

FORMAT = "uvcache-tui-snapshot"
VERSION = 1
DIR_VARIABLE = "UVCACHE_TUI_SNAPSHOT_DIR"
MAX_BYTES = 64 * 1024
"""A snapshot never grows past this: fewer packages are kept until it fits."""
MAX_PACKAGES = 100


@dataclass(frozen=True)
class CacheIdentity:
    """Which directory a snapshot is of, and marks that move when it changes."""

    device: int
    inode: int
    mtimes: tuple[tuple[str, int], ...]
    """(name, st_mtime_ns) of the root (`""`) and of each top-level directory, by name."""


@dataclass(frozen=True)
class BucketFigures:
    name: str
    status: str
    sizes: Sizes


@dataclass(frozen=True)
class PackageFigures:
    name: str
    sizes: Sizes


@dataclass(frozen=True)
class CacheSnapshot:
    """The figures of one complete scan of a cache, and when and of what it was taken."""

    path: str
    taken_at: float
    """Seconds since the epoch."""
    uv_version: str
    identity: CacheIdentity
    totals: Sizes
    buckets: tuple[BucketFigures, ...]
    packages: tuple[PackageFigures, ...]
    """The largest packages by allocated bytes (at most MAX_PACKAGES)."""
    package_count: int


@dataclass(frozen=True)
class SnapshotLoad:
    """What loading a cache's snapshot gave: the snapshot, or why there is none to show."""

    snapshot: CacheSnapshot | None = None
    note: str | None = None
    """Why a snapshot file was ignored (None: there was none, or it is shown)."""
    changed: bool = False
    """The cache's marks moved since the snapshot was taken: it surely changed."""


def snapshot_dir(env: Mapping[str, str] | None = None) -> str:
    environ = os.environ if env is None else env
    configured = environ.get(DIR_VARIABLE)
    if configured:
        return configured
    return os.path.join(user_cache_dir("uvcache-tui"), "snapshots")


def snapshot_file(directory: str, cache_path: str) -> str:
    digest = hashlib.sha256(os.path.abspath(cache_path).encode("utf-8", "surrogateescape"))
    return os.path.join(directory, f"{digest.hexdigest()[:32]}.json")


def identity_of(cache_path: str) -> CacheIdentity | None:
    """The cache's identity now (one lstat per top-level entry), or None if unreadable."""
    try:
        root = os.lstat(cache_path)
        marks = [("", root.st_mtime_ns)]
        with os.scandir(cache_path) as entries:
            for entry in entries:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(st.st_mode):
                    marks.append((entry.name, st.st_mtime_ns))
    except OSError:
        return None
    return CacheIdentity(root.st_dev, root.st_ino, tuple(sorted(marks)))


def take_snapshot(
    model: CacheModel, identity: CacheIdentity, taken_at: float | None = None
) -> CacheSnapshot | None:
    """The figures worth keeping of a model; None for a partial scan (nothing to trust)."""
    if model.scan.cancelled:
        return None
    sizes = [(model.package_sizes(p), p.name) for p in model.packages]
    sizes.sort(key=lambda item: (-item[0].allocated, item[1]))
    return CacheSnapshot(
        path=model.path,
        taken_at=time.time() if taken_at is None else taken_at,
        uv_version=model.uv_version,
        identity=identity,
        totals=model.totals,
        buckets=tuple(BucketFigures(b.name, b.status.value, b.sizes) for b in model.buckets),
        packages=tuple(PackageFigures(name, s) for s, name in sizes[:MAX_PACKAGES]),
        package_count=len(model.packages),
    )


def _sizes(sizes: Sizes) -> list[int]:
    return [sizes.allocated, sizes.apparent, sizes.reclaimable, sizes.files, sizes.dirs]


def encode(snapshot: CacheSnapshot, packages: int | None = None) -> bytes:
    kept = snapshot.packages if packages is None else snapshot.packages[:packages]
    data = {
        "format": FORMAT,
        "version": VERSION,
        "path": snapshot.path,
        "taken_at": snapshot.taken_at,
        "uv_version": snapshot.uv_version,
        "identity": [
            snapshot.identity.device,
            snapshot.identity.inode,
            [list(mark) for mark in snapshot.identity.mtimes],
        ],
        "totals": _sizes(snapshot.totals),
        "buckets": [[b.name, b.status, _sizes(b.sizes)] for b in snapshot.buckets],
        "packages": [[p.name, _sizes(p.sizes)] for p in kept],
        "package_count": snapshot.package_count,
    }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def save_snapshot(snapshot: CacheSnapshot, directory: str) -> str | None:
    """Write atomically (temporary file, then rename); the file, or None if it cannot fit
    in MAX_BYTES even without packages. Raises OSError if the directory is unwritable."""
    packages: int | None = None
    data = encode(snapshot)
    while len(data) > MAX_BYTES:
        if packages == 0:
            return None
        packages = len(snapshot.packages) // 2 if packages is None else packages // 2
        data = encode(snapshot, packages)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    target = snapshot_file(directory, snapshot.path)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".snapshot-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return target


def load_snapshot(directory: str, cache_path: str) -> SnapshotLoad:
    """The snapshot of `cache_path`, checked against the cache's identity now."""
    path = snapshot_file(directory, cache_path)
    try:
        with open(path, "rb") as source:
            data = source.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return SnapshotLoad()
    except OSError as exc:
        return SnapshotLoad(note=f"snapshot {path} unreadable ({exc.strerror}): ignored")
    if len(data) > MAX_BYTES:
        return SnapshotLoad(note=f"snapshot {path} is too large: ignored")
    try:
        snapshot = decode(data)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        return SnapshotLoad(note=f"snapshot {path} ignored: {exc}")
    if snapshot.path != os.path.abspath(cache_path):
        return SnapshotLoad(note=f"snapshot {path} is of another cache: ignored")
    now = identity_of(cache_path)
    if now is None:
        return SnapshotLoad()
    if (now.device, now.inode) != (snapshot.identity.device, snapshot.identity.inode):
        return SnapshotLoad(note=f"{cache_path} is another directory than when last scanned")
    return SnapshotLoad(snapshot, changed=now.mtimes != snapshot.identity.mtimes)


def _int(value: Any) -> int:
    if type(value) is not int:
        raise ValueError(f"not an integer: {value!r:.40}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"not a string: {value!r:.40}")
    return value


def _decode_sizes(value: Any) -> Sizes:
    if not isinstance(value, list) or len(value) != 5:
        raise ValueError("sizes are not five integers")
    return Sizes(*(_int(v) for v in value))


def decode(data: bytes) -> CacheSnapshot:
    """A snapshot from its bytes; ValueError (or TypeError, KeyError) if it is not one."""
    raw = json.loads(data)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ValueError("not a uvcache-tui snapshot")
    if raw.get("version") != VERSION:
        raise ValueError(f"format version {raw.get('version')!r:.20}, not {VERSION}")
    device, inode, marks = raw["identity"]
    taken_at = raw["taken_at"]
    if not isinstance(taken_at, (int, float)):
        raise ValueError("no time")
    return CacheSnapshot(
        path=_str(raw["path"]),
        taken_at=float(taken_at),
        uv_version=_str(raw["uv_version"]),
        identity=CacheIdentity(
            _int(device), _int(inode), tuple((_str(n), _int(t)) for n, t in marks)
        ),
        totals=_decode_sizes(raw["totals"]),
        buckets=tuple(
            BucketFigures(_str(n), _str(status), _decode_sizes(z))
            for n, status, z in raw["buckets"]
        ),
        packages=tuple(PackageFigures(_str(n), _decode_sizes(z)) for n, z in raw["packages"]),
        package_count=_int(raw["package_count"]),
    )


def age_text(seconds: float) -> str:
    """`just now`, `42 s ago`, `3 min ago`, `5 h ago`, `2 days ago`."""
    if seconds < 5:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)} s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"
