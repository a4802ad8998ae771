"""Messages the thread workers post to the UI (posting is thread-safe; widgets are not)."""

from __future__ import annotations

from textual.message import Message

from uvcache_tui.core.actions import ActionPlan
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.locate import Discovery
from uvcache_tui.core.model import ScanProgress
from uvcache_tui.tui.state import ScanOutcome


class DiscoveryFinished(Message):
    """`locate.discover` returned: the sidebar can list the locations and scans can start."""

    def __init__(self, discovery: Discovery) -> None:
        super().__init__()
        self.discovery = discovery


class ScanProgressed(Message):
    """A running scan's latest figures. Coalesces: a queued one for the same scan is dropped."""

    def __init__(self, path: str, scan_id: int, progress: ScanProgress) -> None:
        super().__init__()
        self.path = path
        self.scan_id = scan_id
        self.progress = progress

    def can_replace(self, message: Message) -> bool:
        return (
            isinstance(message, ScanProgressed)
            and message.path == self.path
            and message.scan_id == self.scan_id
        )


class ScanFinished(Message):
    """A scan ended (complete, stopped, or failed in an expected way)."""

    def __init__(self, path: str, scan_id: int, outcome: ScanOutcome) -> None:
        super().__init__()
        self.path = path
        self.scan_id = scan_id
        self.outcome = outcome


class ActionPlanned(Message):
    """A prune/clean plan is ready (computed in a worker) and can be previewed."""

    def __init__(self, plan: ActionPlan, model: CacheModel) -> None:
        super().__init__()
        self.plan = plan
        self.model = model


class ActionPlanFailed(Message):
    """The action cannot run here (not a cache, no uv, …): one line for the user."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
