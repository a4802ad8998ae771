"""The detail pane's switcher: the notice at once, the other views after the first figures.

At launch the pane only shows the notice ("Finding uv's locations…", then the last figures);
the views of a scanned cache, a data dir and a BuildKit row are dozens of widgets that the
first frame does not need, and their modules pull in most of the app. They are mounted once
the figures are painted (`mount_views_later`: one per frame, so keys are answered between
them, after a thread imported their modules), or at once by whoever needs one first
(`mount_views`, awaited, importing what is not yet). Hence the imports below are inside the
functions.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import ContentSwitcher
from textual.worker import get_current_worker

from uvcache_tui.tui.config import AppConfig
from uvcache_tui.tui.widgets.notices import DataDirView, NoticeView

if TYPE_CHECKING:
    from uvcache_tui.tui.buildkit.view import BuildkitView
    from uvcache_tui.tui.widgets.cache_view import CacheView

NOTICE = "notice"
CACHE_VIEW = "cache-view"
DATA_VIEW = "data-view"
BUILDKIT_VIEW = "buildkit-view"
LATER_VIEWS = (CACHE_VIEW, DATA_VIEW, BUILDKIT_VIEW)
"""Mounted after the first figures, in this order."""


def import_views() -> None:
    """Import the later views' modules (in a thread: `DetailSwitcher.mount_views_later`)."""
    import uvcache_tui.tui.buildkit.view
    import uvcache_tui.tui.widgets.cache_view  # noqa: F401


class DetailSwitcher(ContentSwitcher):
    """Shows one of the notice, a cache, a data dir or a BuildKit row; mounts the last three
    after the first figures (see the module's docstring)."""

    @dataclass
    class ViewMounted(Message):
        """One of `LATER_VIEWS` is mounted (hidden): the screen may point the pane at it."""

        view_id: str

    def __init__(self, config: AppConfig, *, id: str | None = None) -> None:
        super().__init__(id=id, initial=NOTICE)
        self.config = config
        self._mounted: set[str] = set()
        self._lock = asyncio.Lock()
        """Views are mounted one at a time, whichever queue asks."""
        self._importing = False
        self._imported = False

    def compose(self) -> ComposeResult:
        yield NoticeView(id=NOTICE)

    def has_view(self, view_id: str) -> bool:
        """True once the view is mounted (the notice always is)."""
        return view_id == NOTICE or view_id in self._mounted

    async def mount_views(self, *view_ids: str) -> None:
        """Mount these views (all by default) unless they are; returns once they are."""
        async with self._lock:
            for view_id in view_ids or LATER_VIEWS:
                if view_id in self._mounted or not self.is_attached:
                    continue
                view = self._make(view_id)
                view.display = False  # shown when it becomes `current`
                await self.mount(view)
                self._mounted.add(view_id)
                self.post_message(self.ViewMounted(view_id))

    def mount_views_later(self) -> None:
        """Mount the views still missing, each after a frame, in this switcher's queue; the
        first time, once a thread has imported their modules (~0.35 s of the UI thread, keys
        stalled, when `_make` imported them; a view needed before still imports its own)."""
        if self._imported:
            self.call_after_refresh(self.call_later, self._mount_next)
        elif not self._importing:
            self._importing = True
            self.call_after_refresh(self._import_views)

    def _import_views(self) -> None:
        self.run_worker(
            self._import_in_thread,
            thread=True,
            group="import-views",
            exit_on_error=False,
            description="importing the detail views",
        )

    def _import_in_thread(self) -> None:
        import_views()
        if not get_current_worker().is_cancelled:  # cancelled: the app is ending
            self.app.call_from_thread(self._views_imported)

    def _views_imported(self) -> None:
        self._imported = True
        self.mount_views_later()

    async def _mount_next(self) -> None:
        missing = [view_id for view_id in LATER_VIEWS if view_id not in self._mounted]
        if missing and self.is_attached:
            await self.mount_views(missing[0])
            self.mount_views_later()

    def _make(self, view_id: str) -> Widget:
        if view_id == CACHE_VIEW:
            from uvcache_tui.tui.widgets.cache_view import CacheView

            return CacheView(id=CACHE_VIEW)
        if view_id == DATA_VIEW:
            return DataDirView(id=DATA_VIEW)
        from uvcache_tui.tui.buildkit.view import BuildkitView

        config = self.config
        return BuildkitView(
            read_only=config.read_only,
            timeout=config.docker_timeout,
            env=config.docker_env,
            id=BUILDKIT_VIEW,
        )

    @property
    def notice(self) -> NoticeView:
        return self.query_one(f"#{NOTICE}", NoticeView)

    @property
    def cache_view(self) -> CacheView:
        """The local cache's view (mounted: see `has_view`)."""
        from uvcache_tui.tui.widgets.cache_view import CacheView

        return self.query_one(f"#{CACHE_VIEW}", CacheView)

    @property
    def data_view(self) -> DataDirView:
        return self.query_one(f"#{DATA_VIEW}", DataDirView)

    @property
    def buildkit_view(self) -> BuildkitView:
        from uvcache_tui.tui.buildkit.view import BuildkitView

        return self.query_one(f"#{BUILDKIT_VIEW}", BuildkitView)
