"""`buildkit show`: a mount opened like a local cache, the fast way when this machine can.

Two ways to the same model (tests compare them): the mount's directory on this machine
(`ondisk`, no build, nothing touched) and a throw-away reader build (`transfer`, any
builder). `auto` takes the first when it opens a uv cache and the second otherwise; the
bucket table is chosen alike (the newest uv whose buckets are there).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.mount_cache import open_mount_on_disk
from uvcache_tui.core.buildkit.mountref import LocatedMount
from uvcache_tui.core.buildkit.transfer import open_mount, uv_version_inside
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.report import cache_json

VIA_AUTO = "auto"
VIA_DISK = "disk"
VIA_READER = "reader"
VIAS = (VIA_AUTO, VIA_DISK, VIA_READER)


def choose_via(via: str, key_asked: bool) -> str:
    """`auto` with a key asked for (`--id`, `--uid`, …) is the reader: that key is what a
    reader mounts, while the directory on disk is the record's, whatever key is asked."""
    return VIA_READER if via == VIA_AUTO and key_asked else via


class NotOnDisk(Exception):
    """`--via disk` and the fast path cannot open the mount here (the message says why)."""


@dataclass(frozen=True)
class ShownMount:
    """The mount's model and the `buildkit show --json` document."""

    model: CacheModel
    document: dict[str, Any]
    via: str
    """`on-disk` or `reader-build`."""
    key: CacheKey | None
    seconds: float
    fast_path_note: str | None = None
    """Why the fast path was not taken (auto), if it was not."""


def _on_disk(located: LocatedMount, timeout: float) -> tuple[CacheModel | None, str | None, str]:
    """(model, why not, the directory) through the fast path (`mount_cache`)."""
    opened = open_mount_on_disk(located.choice, None, timeout)
    return opened.model, opened.message, opened.on_disk.path or ""


@contextmanager
def show_mount(
    located: LocatedMount, keys: tuple[CacheKey, ...], image: str, via: str, timeout: float
) -> Iterator[ShownMount]:
    """Open the mount `via` one way or the other; a reader's copy lives while the block runs."""
    info = located.resolved.info
    common = {
        "mount": located.mount.to_json(),
        "builder": {"name": info.name, "driver": info.driver},
    }
    note: str | None = None
    if via in (VIA_AUTO, VIA_DISK):
        started = time.monotonic()
        model, note, path = _on_disk(located, timeout)
        if model is not None:
            seconds = time.monotonic() - started
            document = {
                **cache_json(model),
                **common,
                "key": keys[0].to_json() if keys else None,
                "uv_version_inside": uv_version_inside(frozenset(b.name for b in model.buckets)),
                "read": {"via": "on-disk", "path": path, "seconds": round(seconds, 3)},
            }
            yield ShownMount(model, document, "on-disk", keys[0] if keys else None, seconds)
            return
        if via == VIA_DISK:
            raise NotOnDisk(note or "the fast path cannot open this mount")
    with open_mount(located, keys, image) as opened:
        document = opened.to_json(cache_json(opened.model))
        yield ShownMount(
            opened.model, document, "reader-build", opened.key, opened.run.seconds, note
        )
