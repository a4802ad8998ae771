"""The cache view's tabs, by name: kept apart from `cache_view` so the main screen's keys
(1-5) are defined without importing every tab's widgets before the first frame."""

from __future__ import annotations

TABS = ("buckets", "packages", "files", "info", "interpreters")
"""Tab pane ids, in order (keys 1-5)."""
TAB_TITLES = {tab: tab.capitalize() for tab in TABS}
FOCUS_TARGETS = {
    "buckets": "#buckets-table",
    "packages": "#packages-table",
    "files": "#files-table",
    "interpreters": "#interpreters-table",
    "info": "#info-view",
}
"""The widget each tab's keys go to."""
