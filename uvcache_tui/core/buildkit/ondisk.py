"""The fast path: where a docker-driver cache mount's data lies on this machine, and its
true size.

The docker driver's BuildKit keeps a cache mount as a layer of the engine's graph driver,
and the record ID is the layer ID: with overlay2 the data is `<DockerRootDir>/overlay2/<ID>/diff`.
That holds only when the engine runs here (a unix socket on this host), uses the overlay2
graph driver (not the containerd snapshotter, whose snapshots are keyed elsewhere) and its
data root is readable (root). Mounts made with uid/gid/mode are based on a layer that
holds one empty `cache` directory (`lower` names it); their data is `diff/cache`. Every
other shape (a `from=` base with content, unknown entries) is refused with the reason, never
guessed: the reader build (`uvcache-tui buildkit show MOUNT`) reads those.

Reading here goes through no BuildKit call, so it bumps neither UsageCount nor LastUsedAt.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uvcache_tui.core.buildkit.contexts import EngineEndpoint
from uvcache_tui.core.buildkit.engine import EngineError, connect, describe_exception
from uvcache_tui.core.buildkit.records import BuilderInfo, BuildkitReport, CacheMountRecord
from uvcache_tui.core.scan import CancelCheck, DirNode, ProgressCallback, ScanResult, scan
from uvcache_tui.core.words import counted

OVERLAY2 = "overlay2"
SOURCE_ON_DISK = "on-disk"
BASE_DIR = "cache"
"""The directory BuildKit creates in the base layer of a uid/gid/mode mount."""
MEASURE_SECONDS = 20.0
"""At most this long measuring the mounts of one listing; the rest are left unmeasured."""
READER_HINT = "`uvcache-tui buildkit show MOUNT` reads it through a helper build"

_RECORD_ID = re.compile(r"^[a-z0-9]{20,64}$")
_LINK_NAME = re.compile(r"^[A-Z0-9]{20,32}$")


@dataclass(frozen=True)
class EngineStorage:
    """Where a docker-driver builder's engine keeps its layers, or why we cannot look."""

    data_root: str | None
    driver: str | None
    reason: str | None = None
    """None when its overlay2 store can be read here."""

    @property
    def layers(self) -> str | None:
        return os.path.join(self.data_root, OVERLAY2) if self.data_root else None


@dataclass(frozen=True)
class TrueSize:
    """A mount's directory measured now by the scanner."""

    allocated: int
    """st_blocks*512, inodes once, directories included: `du -sB1`."""
    files_apparent: int
    """st_size of everything but directories, inodes once: what BuildKit's size counts."""
    stale: bool | None
    """BuildKit's figure differs from `files_apparent` (None: BuildKit gave none)."""


@dataclass(frozen=True)
class MountOnDisk:
    """A cache mount's directory on this machine (`path`), or why there is none (`note`)."""

    path: str | None
    note: str | None = None
    size: TrueSize | None = None

    def to_json(self) -> dict[str, Any]:
        """The fields `buildkit ls --json` adds to each mount (docs/buildkit.md)."""
        return {
            "true_size_bytes": self.size.allocated if self.size else None,
            "true_size_source": SOURCE_ON_DISK if self.size else None,
            "size_stale": self.size.stale if self.size else None,
            "on_disk_path": self.path,
            "on_disk_note": self.note,
        }


MountKey = tuple[str, str]
"""(builder name, record ID)."""


# --- the engine ------------------------------------------------------------------------


def _snapshotter(info: Mapping[str, Any]) -> bool:
    """True when the engine stores images in containerd (`driver-type` in DriverStatus)."""
    status = info.get("DriverStatus") or []
    return any(
        isinstance(pair, list | tuple) and len(pair) == 2 and "snapshotter" in str(pair[1])
        for pair in status
    )


def storage_from_info(info: Mapping[str, Any]) -> EngineStorage:
    """The rule on `docker info`'s `Driver`/`DockerRootDir`/`DriverStatus` (no I/O but the
    data root's access check)."""
    driver = str(info.get("Driver") or "") or None
    root = str(info.get("DockerRootDir") or "") or None
    if _snapshotter(info):
        return EngineStorage(
            root,
            driver,
            f"the engine uses the containerd image store (snapshotter {driver}): its "
            "snapshots are keyed in containerd's metadata, not by record ID",
        )
    if driver != OVERLAY2:
        return EngineStorage(
            root, driver, f"the engine's storage driver is {driver or '?'}, not overlay2"
        )
    if root is None:
        return EngineStorage(root, driver, "the engine reports no DockerRootDir")
    layers = os.path.join(root, OVERLAY2)
    if not os.path.isdir(root):
        return EngineStorage(
            root,
            driver,
            f"the engine's data root {root} is not on this machine "
            "(does the engine run in a VM or a container?)",
        )
    if not os.access(layers, os.R_OK | os.X_OK):
        return EngineStorage(
            root, driver, f"permission denied on {layers} (the engine's layers are root's)"
        )
    return EngineStorage(root, driver)


def engine_storage(builder: BuilderInfo, timeout: float) -> EngineStorage:
    """Ask the builder's engine where its layers are (`GET /info`), if it runs here."""
    if builder.driver != "docker":
        return EngineStorage(
            None,
            None,
            f"a {builder.driver} builder keeps its cache inside the builder, not in a "
            "directory of this machine",
        )
    if not builder.listed or builder.host is None:
        return EngineStorage(None, None, "the builder could not be read")
    host = builder.host
    if not host.startswith("unix://"):
        return EngineStorage(None, None, f"the engine is remote ({host})")
    socket_path = host[len("unix://") :]
    if not os.path.exists(socket_path):
        return EngineStorage(None, None, f"no socket at {socket_path} on this machine")
    endpoint = EngineEndpoint(context=builder.context or builder.name, host=host)
    try:
        client = connect(endpoint, timeout)
    except EngineError as exc:
        return EngineStorage(None, None, str(exc))
    try:
        info = client.info()
    except Exception as exc:  # docker-py: APIError, requests errors
        return EngineStorage(None, None, describe_exception(exc, host, timeout))
    finally:
        client.close()
    return storage_from_info(info if isinstance(info, Mapping) else {})


# --- one mount's directory -------------------------------------------------------------


def _entries(path: str) -> list[str] | None:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None


def _empty_base_dir(layers: str, link: str) -> str | None:
    """The empty `cache` dir of the lower layer named `l/<link>`, if that layer holds
    exactly that and nothing else (what BuildKit makes for uid/gid/mode); else None."""
    if not _LINK_NAME.match(link):
        return None
    try:
        target = os.readlink(os.path.join(layers, "l", link))
        diff = os.path.normpath(os.path.join(layers, "l", target))
        if os.path.dirname(os.path.dirname(diff)) != os.path.normpath(layers):
            return None
        base = os.path.join(diff, BASE_DIR)
        if _entries(diff) != [BASE_DIR] or not stat.S_ISDIR(os.lstat(base).st_mode):
            return None
    except OSError:
        return None
    return base if _entries(base) == [] else None


def _based_mount(layers: str, layer: str, lower: str) -> MountOnDisk:
    """A uid/gid/mode mount: a base layer with an empty `cache` dir, the data in diff/cache."""
    links = [part.removeprefix("l/") for part in lower.strip().split(":") if part]
    bases = [_empty_base_dir(layers, link) for link in links]
    if not bases or None in bases:
        return MountOnDisk(
            None,
            f"the mount is based on a layer with content (from=?): its data is the union of "
            f"layers ({os.path.join(layer, 'lower')}); {READER_HINT}",
        )
    diff = os.path.join(layer, "diff")
    names = _entries(diff)
    if names == []:
        return MountOnDisk(bases[0])  # nothing written yet: the base's empty dir is all
    if names != [BASE_DIR] or not os.path.isdir(os.path.join(diff, BASE_DIR)):
        return MountOnDisk(None, f"unexpected entries in {diff} ({names}); {READER_HINT}")
    return MountOnDisk(os.path.join(diff, BASE_DIR))


def mount_directory(storage: EngineStorage, mount: CacheMountRecord) -> MountOnDisk:
    """The directory holding `mount`'s data, or the reason it cannot be read here."""
    layers = storage.layers
    if storage.reason is not None or layers is None:
        return MountOnDisk(None, storage.reason or "the engine's data root is unknown")
    if not _RECORD_ID.match(mount.id):
        return MountOnDisk(None, f"{mount.id!r} does not look like a record ID")
    layer = os.path.join(layers, mount.id)
    if not os.path.isdir(layer):
        return MountOnDisk(
            None,
            f"no layer {layer} (is the engine on another machine or in a VM, or was the "
            "record just pruned?)",
        )
    try:
        with open(os.path.join(layer, "lower"), encoding="ascii") as lower_file:
            lower: str | None = lower_file.read()
    except FileNotFoundError:
        lower = None
    except (OSError, UnicodeDecodeError) as exc:
        return MountOnDisk(None, f"cannot read {os.path.join(layer, 'lower')}: {exc}")
    if lower is not None:
        return _based_mount(layers, layer, lower)
    diff = os.path.join(layer, "diff")
    if not os.path.isdir(diff):
        return MountOnDisk(None, f"no {diff}: not an overlay2 layer as expected")
    return MountOnDisk(diff)


# --- the true size ---------------------------------------------------------------------


def _directories_apparent(result: ScanResult) -> int:
    """st_size of every directory the scan met (the scanner adds them to `apparent`)."""
    total = 0
    stack: list[tuple[str, DirNode]] = [(result.root_path, result.root)]
    while stack:
        path, node = stack.pop()
        try:
            total += os.lstat(path).st_size
        except OSError:
            continue
        stack.extend((os.path.join(path, child.name), child) for child in node.iter_children())
    return total


def true_size_of(result: ScanResult, mount: CacheMountRecord) -> TrueSize:
    """The scanned directory's figures, and whether BuildKit's (files only) is stale."""
    sizes = result.root.sizes
    files_apparent = sizes.apparent - _directories_apparent(result)
    stale = (
        None
        if mount.size_bytes is None or not mount.size_exact
        else mount.size_bytes != files_apparent
    )
    return TrueSize(sizes.allocated, files_apparent, stale)


def measure_mount(
    storage: EngineStorage,
    mount: CacheMountRecord,
    cancelled: CancelCheck | None = None,
    progress: ProgressCallback | None = None,
) -> MountOnDisk:
    """Locate `mount` and measure its directory (unmeasured when the walk was stopped)."""
    found = mount_directory(storage, mount)
    if found.path is None:
        return found
    result = scan(found.path, progress, cancelled)
    if result.cancelled:
        return MountOnDisk(found.path, "not measured: the time allowed was used up")
    if result.problems.total:
        return MountOnDisk(found.path, f"not measured: {counted(result.problems.total, 'problem')}")
    return MountOnDisk(found.path, None, true_size_of(result, mount))


def measure_report(
    report: BuildkitReport, timeout: float, seconds: float = MEASURE_SECONDS
) -> dict[MountKey, MountOnDisk]:
    """Every cache mount of `report` located and measured where the fast path works.

    Bounded: after `seconds` in all, the walk in progress stops and the remaining mounts
    are left unmeasured (with a note saying so). Builders without the fast path cost one
    `GET /info` at most.
    """
    deadline = time.monotonic() + seconds

    def out_of_time() -> bool:
        return time.monotonic() > deadline

    found: dict[MountKey, MountOnDisk] = {}
    for builder in report.builders:
        if not builder.mounts:
            continue
        storage = engine_storage(builder, timeout)
        for mount in builder.mounts:
            key = (builder.name, mount.id)
            if storage.reason is None and out_of_time():
                located = mount_directory(storage, mount)
                note = located.note or f"not measured: the {seconds:g}s allowed were used up"
                found[key] = MountOnDisk(located.path, note)
                continue
            found[key] = measure_mount(storage, mount, out_of_time)
    return found


def report_json(report: BuildkitReport, on_disk: Mapping[MountKey, MountOnDisk]) -> dict[str, Any]:
    """`buildkit ls --json`: the report, each mount with its on-disk fields added."""
    document = report.to_json()
    for builder, data in zip(report.builders, document["builders"], strict=True):
        for mount, mount_data in zip(builder.mounts, data["mounts"], strict=True):
            missing = MountOnDisk(None, None)
            mount_data.update(on_disk.get((builder.name, mount.id), missing).to_json())
    return document
