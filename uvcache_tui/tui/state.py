"""What the TUI knows about each location, and the one function its scan workers run.

`scan_location` is plain Python (no Textual): it runs in a thread worker, calls the core,
and turns every expected failure into a `ScanOutcome` the views can show.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum

from uvcache_tui.core.buckets import BucketTable
from uvcache_tui.core.cache import (
    CacheModel,
    NotACacheError,
    check_cache_dir,
    load_cache,
)
from uvcache_tui.core.model import Location, ScanProgress, Sizes
from uvcache_tui.core.scan import CancelCheck, ProgressCallback, ScanResult, scan


class ScanStatus(str, Enum):
    """Where a location's scan stands; drives the sidebar badge and the right pane."""

    WAITING = "waiting"
    SCANNING = "scanning"
    DONE = "done"
    PARTIAL = "partial"
    """The scan was stopped before the end: figures are lower bounds."""
    MISSING = "missing"
    """The directory does not exist (yet): an empty state, not an error."""
    ERROR = "error"


@dataclass(frozen=True)
class ScanOutcome:
    """The result of one scan of one location, as a worker hands it to the UI."""

    status: ScanStatus
    model: CacheModel | None = None
    result: ScanResult | None = None
    error: str | None = None


@dataclass
class LocationState:
    """The latest known state of one location (the UI thread is the only writer)."""

    location: Location
    status: ScanStatus = ScanStatus.WAITING
    progress: ScanProgress | None = None
    model: CacheModel | None = None
    result: ScanResult | None = None
    error: str | None = None
    scan_id: int = 0
    """Bumped for every scan started, so results of a superseded scan are dropped."""

    @property
    def sizes(self) -> Sizes | None:
        return self.result.root.sizes if self.result is not None else None

    @property
    def busy(self) -> bool:
        return self.status is ScanStatus.SCANNING

    def apply(self, outcome: ScanOutcome) -> None:
        """Take a finished scan's outcome: it replaces whatever an earlier scan found."""
        self.status = outcome.status
        self.error = outcome.error
        self.progress = None
        self.model = outcome.model
        self.result = outcome.result


def scan_location(
    location: Location,
    table: BucketTable,
    progress: ProgressCallback | None = None,
    cancelled: CancelCheck | None = None,
) -> ScanOutcome:
    """Scan one location with the core; expected failures come back as an outcome, not raised."""
    path = location.path
    if not os.path.lexists(path) and (location.active or not location.kind.is_cache):
        # Not there yet is normal for uv's own dirs; a --cache-dir that is missing is an error.
        return ScanOutcome(ScanStatus.MISSING)
    if not location.kind.is_cache:
        if not os.path.isdir(path):
            return ScanOutcome(ScanStatus.ERROR, error=f"{path}: not a directory")
        result = scan(path, progress, cancelled)
        status = ScanStatus.PARTIAL if result.partial else ScanStatus.DONE
        return ScanOutcome(status, result=result)
    try:
        check_cache_dir(path, active=location.active)
    except NotACacheError as exc:
        return ScanOutcome(ScanStatus.ERROR, error=str(exc))
    model = load_cache(path, table, progress, cancelled)
    status = ScanStatus.PARTIAL if model.scan.partial else ScanStatus.DONE
    return ScanOutcome(status, model=model, result=model.scan)
