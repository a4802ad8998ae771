"""The BuildKit branch's rows: what each node carries, and its one-line label.

Builder rows carry an expand icon (2 cells); with the sidebar's guides every BuildKit row
ends at column 34, like the local rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from rich.text import Text

from uvcache_tui.tui.buildkit.format import KIND_STYLES
from uvcache_tui.tui.format import format_size

if TYPE_CHECKING:  # the labels import `texts` when there are rows (see `branch.py`)
    from uvcache_tui.core.buildkit.ondisk import MountOnDisk
    from uvcache_tui.core.buildkit.records import BuilderInfo, BuildkitReport, CacheMountRecord

SECTION_LABEL = "BuildKit"
BUILDER_WIDTH = 30
MOUNT_WIDTH = 30
STATUS_WIDTH = 32
"""The one status row sits at depth 1 without an icon: 2 + 32."""
DRIVER_SHORT = {"docker-container": "container", "kubernetes": "k8s"}

LOADING = "loading…"
NO_BUILDERS = "no BuildKit builders found"


@dataclass(frozen=True)
class BuilderItem:
    """A builder row (or the "no cache mounts" row under it); `on_disk`: its mounts
    measured on disk, by record ID, once the branch has measured them."""

    builder: BuilderInfo
    warnings: tuple[str, ...] = ()
    on_disk: tuple[tuple[str, MountOnDisk], ...] = ()


@dataclass(frozen=True)
class MountItem:
    """A cache-mount row; `on_disk` once the branch has measured it (`Measured`)."""

    builder: BuilderInfo
    mount: CacheMountRecord
    on_disk: MountOnDisk | None = None


@dataclass(frozen=True)
class StatusItem:
    """Loading, Docker not reachable, or no builders: one row for the whole section."""

    title: str
    message: str | None = None
    builders: tuple[BuilderInfo, ...] = ()


BuildkitItem = BuilderItem | MountItem | StatusItem


def is_buildkit_item(data: object) -> TypeGuard[BuildkitItem]:
    """True for the data of a BuildKit section row."""
    return isinstance(data, BuilderItem | MountItem | StatusItem)


def row_key(item: BuildkitItem) -> tuple[str, ...]:
    """What a row stands for across reloads: ("mount", builder, id), ("builder", name), …"""
    if isinstance(item, MountItem):
        return ("mount", item.builder.name, item.mount.id)
    if isinstance(item, BuilderItem):
        return ("builder", item.builder.name)
    return ("status",)


def _fit(text: Text, width: int) -> Text:
    text.truncate(width, overflow="ellipsis")
    return text


def _tail(path: str, width: int) -> str:
    """The end of a path, which says most about it, with `…` in front when cut."""
    if len(path) <= width:
        return path
    return "…" + path[-(width - 1) :] if width > 1 else "…"


def unreachable_message(report: BuildkitReport) -> str | None:
    """The one message for the section when no builder could be read, else None."""
    if not report.builders or any(b.listed for b in report.builders):
        return None
    errors = [b.error for b in report.builders if b.error]
    current = [b.error for b in report.builders if b.current and b.error]
    docker = [e for e in errors if e.startswith("Docker: not reachable")]
    message = (docker or current or errors or ["builders could not be read"])[0]
    return message if message.startswith("Docker:") else f"BuildKit: {message}"


def section_label(reading: bool) -> Text:
    """`BuildKit`, with `⟳ reading…` while a reload runs over rows already shown."""
    if reading:
        return Text.assemble((SECTION_LABEL, "bold"), (" ⟳ reading…", "yellow"))
    return Text(SECTION_LABEL, style="bold")


def builder_label(builder: BuilderInfo) -> Text:
    """`● default docker     3 · 12.0 KiB`: current marker, name, driver, mounts and size."""
    if builder.listed:
        count = len(builder.mounts)
        total = sum(m.size_bytes or 0 for m in builder.mounts)
        size = format_size(total) if builder.size_exact else f"~{format_size(total)}"
        badge = Text(f"{count} · {size}" if count else "no mounts", style="bold")
    elif builder.error:
        status = builder.status if builder.status in ("inactive", "stopped") else "error"
        badge = Text(status, style="bold red" if status == "error" else "yellow")
    else:
        badge = Text("?", style="dim")
    marker = Text("● " if builder.current else "  ", style="green")
    room = max(4, BUILDER_WIDTH - len(marker) - badge.cell_len - 1)
    driver = DRIVER_SHORT.get(builder.driver, builder.driver)
    name = Text.assemble((builder.name, "bold"), " ", (driver, "dim"))
    _fit(name, room)
    name.pad_right(room - name.cell_len + 1)
    return Text.assemble(marker, name, badge)


def mount_label(mount: CacheMountRecord, on_disk: MountOnDisk | None = None) -> Text:
    """`! uv    …/cache/uv    2.3 KiB`: flag marker, kind, target's tail (then the cache id's,
    in cyan, when it differs: two mounts at one target differ only there), size: the true
    size once measured on disk (`*` after it: BuildKit's figure is stale), else BuildKit's."""
    from uvcache_tui.core.buildkit.texts import mount_size, true_size

    flag = Text("!" if mount.flags else " ", style="bold yellow")
    kind = Text(mount.kind.ljust(5), style=KIND_STYLES.get(mount.kind, "dim"))
    measured = on_disk is not None and on_disk.size is not None
    size = true_size(on_disk) if measured else mount_size(mount)
    room = max(4, MOUNT_WIDTH - 1 - 5 - 1 - len(size) - 1)
    where = _target_and_id(mount, room)
    where.pad_right(room - where.cell_len)
    return Text.assemble(flag, kind, " ", where, " ", (size, "bold"))


def _target_and_id(mount: CacheMountRecord, room: int) -> Text:
    """The target's tail in `room` cells, sharing them with the cache id's tail when it
    differs from the target (the id first: it is what BuildKit keys the cache by)."""
    from uvcache_tui.core.buildkit.texts import distinct_cache_id

    target = mount.target or mount.id
    cache_id = distinct_cache_id(mount)
    if cache_id is None or room < 10:
        return Text(_tail(target, room))
    id_room = min(len(cache_id), room - 5)
    target_room = room - id_room - 1
    return Text.assemble(_tail(target, target_room), " ", (_tail(cache_id, id_room), "cyan"))


def status_label(item: StatusItem) -> Text:
    if item.message is None:
        return Text(item.title, style="dim italic")
    return _fit(Text(item.message, style="red"), STATUS_WIDTH)


def no_mounts_label() -> Text:
    """The row under a builder that has none."""
    return Text("no cache mounts", style="dim italic")
