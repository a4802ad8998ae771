"""Open a BuildKit cache mount like a local cache: its directory on this machine (the fast
path, `ondisk.py`) scanned into the same `CacheModel` as `show` builds.

A mount is a uv cache when its root carries uv's signature (`check_cache_dir`); a mount
of kind uv that uv has emptied (only CACHEDIR.TAG left) opens as an empty cache, as the
active local cache does. An empty mount, or one that holds another tool's files, comes
back with a one-line message and its true size instead of a model. The record's
UsageCount/LastUsedAt are those listed before the read: the fast path asks BuildKit
nothing, so it does not change them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from uvcache_tui.core.buckets import BucketTable, newest_writer, table_for
from uvcache_tui.core.buildkit.ondisk import (
    READER_HINT,
    EngineStorage,
    MountOnDisk,
    engine_storage,
    mount_directory,
    true_size_of,
)
from uvcache_tui.core.buildkit.select import MountChoice
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.cache_dir import NotACacheError, check_cache_dir
from uvcache_tui.core.scan import CancelCheck, ProgressCallback, scan


@dataclass(frozen=True)
class OnDiskMount:
    """A mount opened through the fast path: a model, or the message saying why not."""

    choice: MountChoice
    on_disk: MountOnDisk
    model: CacheModel | None = None
    message: str | None = None
    via: str = "on-disk"
    """`on-disk` (this module), or `reader-build` (the TUI's fallback: `transfer.open_mount`,
    whose temporary copy is gone once the model is loaded)."""

    @property
    def fast_path(self) -> bool:
        """True when the mount's directory could be read on this machine."""
        return self.on_disk.path is not None


def not_available(on_disk: MountOnDisk) -> str:
    """Why a mount cannot be opened here, and what reads it instead."""
    reason = on_disk.note or "its directory is not on this machine"
    hint = "" if READER_HINT in reason else f"; {READER_HINT}"
    return f"The fast path is not available: {reason}{hint}."


def _is_empty(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def mount_table(path: str) -> BucketTable:
    """The bucket table for a mount, whose uv version is unknown: the newest release whose
    bucket names are inside (the reader build chooses the same, so both give one model)."""
    try:
        names = os.listdir(path)
    except OSError:
        names = []
    return table_for(newest_writer(names))


def open_mount_dir(
    choice: MountChoice,
    located: MountOnDisk,
    table: BucketTable | None = None,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> OnDiskMount:
    """Scan the mount's directory `located` (from `mount_directory`) into a model;
    `table` defaults to `mount_table`'s choice."""
    path = located.path
    if path is None:
        return OnDiskMount(choice, located, message=not_available(located))
    mount = choice.mount
    if _is_empty(path):
        return OnDiskMount(
            choice,
            MountOnDisk(path, None, true_size_of(scan(path), mount)),
            message="The cache mount is empty: no build has written to it yet (or it was cleared).",
        )
    try:
        check_cache_dir(path, active=mount.kind == "uv")
    except NotACacheError:
        return OnDiskMount(
            choice,
            MountOnDisk(path, None, true_size_of(scan(path, progress, cancelled), mount)),
            message=f"Not a uv cache: the mount's root has no uv CACHEDIR.TAG next to uv "
            f"bucket dirs (kind {mount.kind}, from its target and command). Its size is "
            "measured; its files are not shown as packages.",
        )
    table = table if table is not None else mount_table(path)
    model = load_cache(
        path, table, progress, cancelled, active=mount.kind == "uv", host_paths=False
    )
    if model.scan.cancelled:
        return OnDiskMount(choice, located, model, "The scan was stopped: figures are partial.")
    return OnDiskMount(choice, MountOnDisk(path, None, true_size_of(model.scan, mount)), model)


def open_mount_on_disk(
    choice: MountChoice,
    table: BucketTable | None,
    timeout: float,
    storage: EngineStorage | None = None,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> OnDiskMount:
    """Locate (asking the engine where its layers are, unless `storage` is given) and open."""
    if storage is None:
        storage = engine_storage(choice.builder, timeout)
    return open_mount_dir(
        choice, mount_directory(storage, choice.mount), table, progress, cancelled
    )
