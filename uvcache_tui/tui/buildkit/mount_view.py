"""A cache mount opened like a local cache: the record's summary over the same CacheView
(Buckets / Packages / Files / Info) a local cache gets, and the worker that opens it.

The widget owns its work: `open(item)` scans the mount's directory in a thread worker
through the fast path (`core/buildkit/mount_cache.py`; the branch's measurement already
located it, otherwise one `GET /info` finds the engine's layers) and posts `Opened`, which
bubbles to `BuildkitView`. Mounts are read-only here: uv is never run in one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static, TabPane
from textual.worker import Worker, WorkerState, get_current_worker

from uvcache_tui.core.buildkit.helper_build import HelperCancelled, HelperError, helper_image
from uvcache_tui.core.buildkit.mount_cache import OnDiskMount, open_mount_dir, open_mount_on_disk
from uvcache_tui.core.buildkit.mountref import (
    KeyOptions,
    LocatedMount,
    candidate_keys,
    ready_builder,
)
from uvcache_tui.core.buildkit.ondisk import MountOnDisk, true_size_of
from uvcache_tui.core.buildkit.records import CacheMountRecord
from uvcache_tui.core.buildkit.select import MountChoice
from uvcache_tui.core.buildkit.transfer import open_mount
from uvcache_tui.core.model import Location, LocationKind
from uvcache_tui.tui.buildkit.details import mount_details, size_line
from uvcache_tui.tui.buildkit.format import kind_text
from uvcache_tui.tui.buildkit.rows import MountItem
from uvcache_tui.tui.widgets.cache_view import CacheView

OPEN_GROUP = "buildkit-open-mount"
READER_BUILD = "reader-build"
READING = (
    "The fast path does not apply here: a throw-away helper build reads the mount on its "
    "builder (its records are removed afterwards). x stops it."
)
READER_STOPPED = "Stopped: the helper build was killed and its records removed."
MOUNT_IS_READ_ONLY = (
    "A BuildKit cache mount is read-only here: p, P, c and C run uv on local caches only, "
    "never in a mount's directory. `uvcache-tui buildkit prune ID` (or d) deletes the whole "
    "mount."
)

MountKey = tuple[str, str, int | None, datetime | None]
"""(builder, record ID, usage count, last used): a new listing of a used mount reopens it."""


def open_key(item: MountItem) -> MountKey:
    mount = item.mount
    return (item.builder.name, mount.id, mount.usage_count, mount.last_used_at)


def usage_line(mount: CacheMountRecord) -> Text:
    """Usage as listed before the read (reading on disk does not bump it)."""
    used = "-" if mount.usage_count is None else str(mount.usage_count)
    text = Text.assemble(("used ", "dim"), used, (" times, last ", "dim"))
    if mount.last_used_at is not None:
        text.append(mount.last_used_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
    else:
        text.append(mount.last_used_text or "-")
    text.append("  (as listed before reading)", "dim")
    return text


def mount_summary(opened: OnDiskMount) -> Text:
    """Three lines over the cache view: which mount, its sizes, its usage."""
    builder, mount = opened.choice.builder, opened.choice.mount
    text = kind_text(mount.kind)
    text.append(" cache mount ", style="bold")
    text.append(mount.target or mount.id, style="bold")
    text.append(f"  record {mount.id}\n", style="dim")
    text.append_text(size_line(mount, opened.on_disk))
    text.append(f"  builder {builder.name}\n", style="dim")
    text.append_text(usage_line(mount))
    return text


def mount_location(opened: OnDiskMount) -> Location:
    """The Location the cache view's Info tab describes: the mount's directory, or the
    record when a helper build read it (its copy is gone)."""
    choice = opened.choice
    how = (
        "read by a helper build (its records removed)"
        if opened.via == READER_BUILD
        else "read on disk (the fast path)"
    )
    return Location(
        LocationKind.CACHE,
        opened.on_disk.path or f"buildkit://{choice.builder.name}/{choice.mount.id}",
        f"BuildKit cache mount {choice.mount.id} of builder {choice.builder.name}, {how}",
    )


def read_by_helper(
    choice: MountChoice, timeout: float, env: Mapping[str, str] | None, stop: Callable[[], bool]
) -> OnDiskMount:
    """The fallback when the fast path does not apply: a throw-away reader build on the
    mount's builder (`buildkit show`'s reader), stopped when `stop()` turns true."""
    environ = os.environ if env is None else env
    try:
        image = helper_image(None, environ)
        keys = candidate_keys(choice.mount, KeyOptions())
        resolved = ready_builder(choice.builder.name, timeout, timeout, environ)
        with open_mount(LocatedMount(choice, resolved), keys, image, cancelled=stop) as read:
            if stop():  # stopped while the copy was loaded: no partial model
                raise HelperCancelled("stopped")
            measured = MountOnDisk(None, None, true_size_of(read.model.scan, choice.mount))
            return OnDiskMount(choice, measured, read.model, None, READER_BUILD)
    except HelperCancelled:
        return OnDiskMount(choice, MountOnDisk(None, None), message=READER_STOPPED)
    except (HelperError, ValueError) as exc:
        return OnDiskMount(choice, MountOnDisk(None, str(exc)), message=f"Not read: {exc}")


class MountCacheView(Vertical):
    """The opened mount: its summary, then the cache view of its directory."""

    DEFAULT_CSS = """
    MountCacheView {
        height: 1fr;
    }
    MountCacheView #mount-summary {
        height: auto;
        padding: 0 1;
        margin-bottom: 1;
    }
    MountCacheView #mount-record-scroll {
        padding: 1 2;
    }
    """

    @dataclass
    class Opened(Message):
        """A mount was opened (or could not be): `BuildkitView` shows the outcome."""

        opened: OnDiskMount
        key: MountKey

    @dataclass
    class Reading(Message):
        """The fast path does not apply: a helper build reads the mount (it takes seconds)."""

        key: MountKey

    def __init__(
        self,
        *,
        timeout: float,
        read_only: bool = False,
        env: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.timeout = timeout
        self.env = env
        """Docker's environment for the reader build (None: this process's)."""
        self.read_only = read_only
        self.opened: OnDiskMount | None = None
        self._pending: tuple[MountItem, MountKey] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="mount-summary")
        yield CacheView(id="mount-cache-view")

    @property
    def cache_view(self) -> CacheView:
        return self.query_one("#mount-cache-view", CacheView)

    def open(self, item: MountItem) -> None:
        """Open the mount in a thread worker; an opening still running is superseded."""
        self._pending = (item, open_key(item))
        self.run_worker(
            partial(self._open_worker, item, open_key(item)),
            name=f"open BuildKit mount {item.mount.id}",
            group=OPEN_GROUP,
            description=f"reading cache mount {item.mount.id} on disk",
            exclusive=True,
            exit_on_error=False,
            thread=True,
        )

    def _open_worker(self, item: MountItem, key: MountKey) -> None:
        """Thread: the core call only."""
        worker = get_current_worker()
        choice = MountChoice(item.builder, item.mount)
        table = None  # the image's uv version is not known: the core's `mount_table`
        stop = lambda: worker.is_cancelled  # noqa: E731
        if item.on_disk is not None:
            located = MountOnDisk(item.on_disk.path, item.on_disk.note)
            opened = open_mount_dir(choice, located, table, cancelled=stop)
        else:
            opened = open_mount_on_disk(choice, table, self.timeout, cancelled=stop)
        if not opened.fast_path and item.mount.kind == "uv" and not worker.is_cancelled:
            self.post_message(self.Reading(key))
            # once "Reading…" is on screen, whatever ends it is shown (a build that ended on
            # its own just before the stop), never left standing; superseded openings carry
            # another key and are dropped by the receiver
            self.post_message(
                self.Opened(read_by_helper(choice, self.timeout, self.env, stop), key)
            )
            return
        if not worker.is_cancelled:
            self.post_message(self.Opened(opened, key))

    def stop(self) -> bool:
        """Stop an opening that runs (the reader build is killed, its records removed)."""
        return bool(self.workers.cancel_group(self, OPEN_GROUP))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An opening that raised (a bug, not a mount that cannot be read) is shown as such."""
        if event.state is not WorkerState.ERROR or self._pending is None:
            return
        item, key = self._pending
        choice = MountChoice(item.builder, item.mount)
        error = f"{type(event.worker.error).__name__}: {event.worker.error}"
        failed = OnDiskMount(choice, MountOnDisk(None, error), message=f"Not read: {error}")
        self.post_message(self.Opened(failed, key))

    async def show_opened(self, opened: OnDiskMount) -> None:
        """Fill the summary, the cache view (the opening carries a model) and its Mount tab:
        the record's details, as shown for mounts that are not opened."""
        assert opened.model is not None
        self.opened = opened
        self.query_one("#mount-summary", Static).update(mount_summary(opened))
        self.cache_view.show_model(opened.model, mount_location(opened))
        if not self.query("#mount-record"):
            record = VerticalScroll(Static(id="mount-record"), id="mount-record-scroll")
            await self.cache_view.tabs.add_pane(TabPane("Mount", record, id="mount"))
        builder, mount = opened.choice.builder, opened.choice.mount
        now = datetime.now(timezone.utc)
        details = mount_details(builder, mount, now, self.read_only, opened.on_disk)
        self.query_one("#mount-record", Static).update(details)
