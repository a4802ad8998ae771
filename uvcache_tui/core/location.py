"""Opening a location: the one rule for what a directory found by `locate` is, and what to
show for it, whichever front end asks (the TUI's scan workers, the CLI's `show`/`prune`).

A cache is opened with `check_cache_dir`'s rule (an empty active cache included) and comes
back as a model; uv's data dirs (Pythons, tools) are walked for their sizes only. Expected
failures come back as an `OpenedLocation` with a one-line reason, never raised.

The walk and the model are imported by the functions that use them: the TUI needs
`LocationStatus` for its first frame, which should not wait for the whole scanning core.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from uvcache_tui.core.model import Location

if TYPE_CHECKING:
    from uvcache_tui.core.buckets import BucketTable
    from uvcache_tui.core.cache import CacheModel
    from uvcache_tui.core.scan import CancelCheck, ProgressCallback, ScanResult


class LocationStatus(str, Enum):
    """Where opening a location stands (front ends that show progress use all six)."""

    WAITING = "waiting"
    """Not opened yet."""
    SCANNING = "scanning"
    DONE = "done"
    PARTIAL = "partial"
    """The walk was stopped before the end: figures are lower bounds."""
    MISSING = "missing"
    """The directory does not exist (yet): an empty state, not an error."""
    ERROR = "error"


@dataclass(frozen=True)
class OpenedLocation:
    status: LocationStatus
    model: CacheModel | None = None
    """For a cache: everything shown about it."""
    result: ScanResult | None = None
    """The walk (a cache's is `model.scan`)."""
    error: str | None = None
    """Why it could not be opened (ERROR): one line for the user."""
    note: str | None = None
    """Why there is nothing to show yet (MISSING): one line for the user."""


def missing_reason(location: Location) -> str:
    if location.active:
        return f"the active uv cache {location.path} does not exist yet: nothing cached"
    return f"{location.path}: does not exist yet"


def open_location(
    location: Location,
    table: BucketTable,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
    read_records: bool = False,
) -> OpenedLocation:
    """Check and walk one location (see `check_location`); `read_records` as `load_cache`'s."""
    from uvcache_tui.core.cache import load_cache
    from uvcache_tui.core.scan import scan

    refused = check_location(location)
    if refused is not None:
        return refused
    if not location.kind.is_cache:
        result = scan(location.path, progress, cancelled)
        return OpenedLocation(_status(result), result=result)
    path = os.path.abspath(location.path)
    model = load_cache(
        path, table, progress, cancelled, active=location.active, read_records=read_records
    )
    return OpenedLocation(_status(model.scan), model=model, result=model.scan)


def check_location(location: Location) -> OpenedLocation | None:
    """Why a location cannot be opened (MISSING or ERROR), or None: before any walk.

    Not there yet is normal for the active cache and for uv's own dirs; a cache given
    explicitly (`--cache-dir`, PATH) that is missing is an error."""
    from uvcache_tui.core.cache_dir import NotACacheError, check_cache_dir

    path = location.path
    if not os.path.lexists(path) and (location.active or not location.kind.is_cache):
        return OpenedLocation(LocationStatus.MISSING, note=missing_reason(location))
    if not location.kind.is_cache:
        if not os.path.isdir(path):
            return OpenedLocation(LocationStatus.ERROR, error=f"{path}: not a directory")
        return None
    try:
        check_cache_dir(path, active=location.active)
    except NotACacheError as exc:
        return OpenedLocation(LocationStatus.ERROR, error=str(exc))
    return None


def _status(result: ScanResult) -> LocationStatus:
    return LocationStatus.PARTIAL if result.partial else LocationStatus.DONE
