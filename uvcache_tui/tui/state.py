"""What the TUI knows about each location, and the one function its scan workers run.

`scan_location` runs in a thread worker and hands the core's `open_location` answer to the
views as a `ScanOutcome` (the TUI's statuses add WAITING and SCANNING to the core's).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from uvcache_tui.core.buckets import BucketTable
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.location import OpenStatus, open_location
from uvcache_tui.core.model import Location, ScanProgress, Sizes
from uvcache_tui.core.scan import CancelCheck, ProgressCallback, ScanResult


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
    """Open one location with the core (`open_location`: the CLI's rule too), for the UI."""
    opened = open_location(location, table, progress, cancelled)
    error = opened.error if opened.status is OpenStatus.ERROR else None
    return ScanOutcome(ScanStatus(opened.status.value), opened.model, opened.result, error)
