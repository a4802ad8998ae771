"""What the TUI knows about each location: the latest `OpenedLocation` its scan workers got
from the core (`core.location.open_location`, the CLI's rule too), and the scan in flight."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from uvcache_tui.core.location import LocationStatus
from uvcache_tui.core.model import Location, ScanProgress, Sizes

if TYPE_CHECKING:  # types only: the first frame does not wait for these modules
    from uvcache_tui.core.cache import CacheModel
    from uvcache_tui.core.location import OpenedLocation
    from uvcache_tui.core.scan import ScanResult
    from uvcache_tui.core.snapshot import SnapshotLoad
    from uvcache_tui.tui.widgets.package_figures import PackageFigures


@dataclass
class LocationState:
    """The latest known state of one location (the UI thread is the only writer)."""

    location: Location
    status: LocationStatus = LocationStatus.WAITING
    progress: ScanProgress | None = None
    model: CacheModel | None = None
    result: ScanResult | None = None
    error: str | None = None
    scan_id: int = 0
    """Bumped for every scan started, so results of a superseded scan are dropped."""
    snapshot: SnapshotLoad | None = None
    """The last launch's figures, shown until the first scan of this run finishes; never
    planned from (actions need `model`)."""
    figures: PackageFigures | None = None
    """The Packages tab's figures of `model`, when its scan's worker computed them."""

    @property
    def sizes(self) -> Sizes | None:
        return self.result.root.sizes if self.result is not None else None

    @property
    def busy(self) -> bool:
        return self.status is LocationStatus.SCANNING

    def apply(self, outcome: OpenedLocation, figures: PackageFigures | None = None) -> None:
        """Take a finished scan's outcome (and its model's Packages figures, if computed):
        it replaces whatever an earlier scan found."""
        self.figures = figures if figures is not None and figures.model is outcome.model else None
        self.status = outcome.status
        self.error = outcome.error
        self.progress = None
        self.model = outcome.model
        self.result = outcome.result
        self.snapshot = None
