"""Messages the main screen's thread workers post to it (posting is thread-safe; widgets are not).

Dataclasses, so a test can compare what it captured with `message_hook`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from uvcache_tui.core.model import ScanProgress

if TYPE_CHECKING:  # types only: the first frame does not wait for these modules
    from uvcache_tui.core.actions import ActionPlan
    from uvcache_tui.core.cache import CacheModel
    from uvcache_tui.core.locate import Discovery
    from uvcache_tui.core.location import OpenedLocation
    from uvcache_tui.core.snapshot import SnapshotLoad
    from uvcache_tui.tui.widgets.package_figures import PackageFigures


@dataclass
class DiscoveryFinished(Message):
    """`locate.discover` returned: the sidebar can list the locations and scans can start."""

    discovery: Discovery


@dataclass
class SnapshotsLoaded(Message):
    """The snapshots of caches found by discovery (those probable at launch were read before
    the first frame) were read."""

    loads: dict[str, SnapshotLoad]


@dataclass
class ScanProgressed(Message):
    """A running scan's latest figures. Coalesces: a queued one for the same scan is dropped."""

    path: str
    scan_id: int
    progress: ScanProgress

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, ScanProgressed)
            and message.path == self.path
            and message.scan_id == self.scan_id
        )


@dataclass
class ScanFinished(Message):
    """A scan ended (complete, stopped, or failed in an expected way)."""

    path: str
    scan_id: int
    outcome: OpenedLocation
    figures: PackageFigures | None = None
    """The Packages tab's figures of the outcome's model, computed in the scan's worker:
    the model's arrival then has no figures' worker sharing the GIL with the UI thread."""


@dataclass
class ActionPlanned(Message):
    """A prune/clean plan is ready (computed in a worker) and can be previewed."""

    plan: ActionPlan
    model: CacheModel


@dataclass
class ActionPlanFailed(Message):
    """The action cannot run here (not a cache, no uv, …): one line for the user."""

    reason: str
