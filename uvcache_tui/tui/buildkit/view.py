"""The right pane for the BuildKit rows: a builder, one cache mount, or Docker's state.

The screen hands over the row the sidebar's BuildKit branch highlighted (`show_item`),
with the core's `BuilderInfo` / `CacheMountRecord` in it; wording follows `uvcache-tui
buildkit ls`. A cache mount is also opened (`mount_view.MountCacheView`, in its worker):
a uv cache inside it replaces the details with the views of a local cache; otherwise the
details say why it was not opened (fast path not available, empty, not a uv cache).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from uvcache_tui.core.buildkit.ondisk import MountOnDisk
from uvcache_tui.core.buildkit.records import BuilderInfo, CacheMountRecord
from uvcache_tui.tui.buildkit.details import builder_details, mount_details, status_details
from uvcache_tui.tui.buildkit.mount_view import (
    READER_STOPPED,
    READING,
    MountCacheView,
    MountKey,
    open_key,
)
from uvcache_tui.tui.buildkit.rows import LOADING, BuilderItem, BuildkitItem, MountItem
from uvcache_tui.tui.config import DEFAULT_DOCKER_TIMEOUT
from uvcache_tui.tui.widgets.cache_view import CacheView

OPENING = "Reading the mount's directory on disk…"


class BuildkitView(Vertical):
    """Details of the highlighted BuildKit row; an opened uv cache mount's cache views."""

    DEFAULT_CSS = """
    BuildkitView {
        height: 1fr;
    }
    BuildkitView #buildkit-scroll {
        height: 1fr;
        padding: 1 2;
    }
    """

    def __init__(
        self,
        *,
        read_only: bool = False,
        timeout: float = DEFAULT_DOCKER_TIMEOUT,
        env: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.env = env
        """Docker's environment for a reader build (None: this process's)."""
        self.read_only = read_only
        """True: the key hints leave out d and D (the app's --read-only)."""
        self.timeout = timeout
        self._open_key: MountKey | None = None
        self._item: MountItem | None = None
        self._contents: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="buildkit-scroll"):
            yield Static(id="buildkit-body")
        mount_view = MountCacheView(
            timeout=self.timeout, read_only=self.read_only, env=self.env, id="mount-view"
        )
        mount_view.display = False
        yield mount_view

    @property
    def body(self) -> Static:
        return self.query_one("#buildkit-body", Static)

    @property
    def mount_view(self) -> MountCacheView:
        return self.query_one(MountCacheView)

    def opened_cache_view(self) -> CacheView | None:
        """The cache view of the opened mount, when that is what this pane shows."""
        return self.mount_view.cache_view if self.mount_view.display else None

    def _show_details(self) -> None:
        self.query_one("#buildkit-scroll").display = True
        self.mount_view.display = False

    def show_item(self, item: BuildkitItem) -> None:
        """Show whatever a BuildKit row of the sidebar stands for (a mount is opened)."""
        if isinstance(item, MountItem):
            self._show_mount_item(item)
            return
        self._open_key = None
        if isinstance(item, BuilderItem):
            self.show_builder(item.builder, item.warnings, on_disk=dict(item.on_disk))
        else:
            title = "Reading BuildKit builders…" if item.title == LOADING else item.title
            self.show_status(title, item.message, item.builders)

    def _show_mount_item(self, item: MountItem) -> None:
        key = open_key(item)
        self._item = item
        if key != self._open_key:
            self._open_key, self._contents = key, OPENING
            self.mount_view.open(item)
        opened = self.mount_view.opened
        if self._contents is None and opened is not None and opened.model is not None:
            self.query_one("#buildkit-scroll").display = False
            self.mount_view.display = True
            return
        self.show_mount(item.builder, item.mount, on_disk=item.on_disk, contents=self._contents)

    def stop_opening(self) -> bool:
        """`x`: stop the reader build of the mount shown (True if one was running)."""
        return self.display and self._contents == READING and self.mount_view.stop()

    @on(MountCacheView.Reading)
    def _reading(self, message: MountCacheView.Reading) -> None:
        """The fast path does not apply: say that a helper build reads the mount."""
        if message.key != self._open_key or self._item is None:
            return
        self._contents = READING
        item = self._item
        self.show_mount(item.builder, item.mount, on_disk=item.on_disk, contents=READING)

    @on(MountCacheView.Opened)
    async def _opened(self, message: MountCacheView.Opened) -> None:
        """The mount's directory was read: its cache views, or why there are none."""
        if message.key != self._open_key or self._item is None:
            return
        opened = message.opened
        if opened.model is not None and opened.message is None:
            self._contents = None
            await self.mount_view.show_opened(opened)
            self.query_one("#buildkit-scroll").display = False
            self.mount_view.display = True
            return
        self._contents = opened.message
        if opened.message == READER_STOPPED:
            self._open_key = None  # highlighting the mount again reads it again
        item = self._item
        self.show_mount(item.builder, item.mount, on_disk=opened.on_disk, contents=opened.message)

    def show_builder(
        self,
        builder: BuilderInfo,
        warnings: Sequence[str] = (),
        *,
        now: datetime | None = None,
        on_disk: Mapping[str, MountOnDisk] | None = None,
    ) -> None:
        clock = now or datetime.now(timezone.utc)
        self._show_details()
        details = builder_details(builder, clock, warnings, self.read_only, on_disk)
        self.body.update(details)
        self.query_one("#buildkit-scroll").scroll_home(animate=False)

    def show_mount(
        self,
        builder: BuilderInfo,
        mount: CacheMountRecord,
        *,
        now: datetime | None = None,
        on_disk: MountOnDisk | None = None,
        contents: str | None = None,
    ) -> None:
        clock = now or datetime.now(timezone.utc)
        self._show_details()
        details = mount_details(builder, mount, clock, self.read_only, on_disk, contents)
        self.body.update(details)
        self.query_one("#buildkit-scroll").scroll_home(animate=False)

    def show_status(
        self, title: str, message: str | None = None, builders: Sequence[BuilderInfo] = ()
    ) -> None:
        self._show_details()
        self.body.update(status_details(title, message, builders))
        self.query_one("#buildkit-scroll").scroll_home(animate=False)
