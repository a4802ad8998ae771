"""The words about cache mounts, prune plans and prune results that both front ends print.

The CLI prints them as lines, the TUI puts them in its tables and dialogs; writing them once
here keeps the two from drifting apart (`describe_requests` in prune.py is the other one).
"""

from __future__ import annotations

from datetime import datetime

import humanize

from uvcache_tui.core.buildkit.ondisk import MountOnDisk
from uvcache_tui.core.buildkit.prune import PrunePlan, PruneResult
from uvcache_tui.core.buildkit.records import SIZE_NOTE, BuilderInfo, CacheMountRecord
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted


def approximate_size(size_bytes: int, exact: bool) -> str:
    """`1.2 MiB`, or `~1.2 MiB` when parsed back from buildx's rounded text."""
    text = format_size(size_bytes)
    return text if exact else f"~{text}"


def mount_size(mount: CacheMountRecord) -> str:
    """A mount's (stale) size; buildx's own text when it could not be parsed."""
    if mount.size_bytes is None:
        return mount.size_text or "?"
    return approximate_size(mount.size_bytes, mount.size_exact)


def distinct_cache_id(mount: CacheMountRecord) -> str | None:
    """The mount's cache id when the target does not already say it (BuildKit keys a cache by
    its id, the target unless `id=` was given): two mounts at one target differ only here."""
    if mount.cache_id is None or mount.cache_id == mount.target:
        return None
    return mount.cache_id


def mount_target(mount: CacheMountRecord) -> str:
    """`/root/.cache/uv id=uv-py311`: the target (else the description), with the cache id
    when it differs; the previews and the mount tables print this."""
    where = mount.target or mount.description
    cache_id = distinct_cache_id(mount)
    return f"{where} id={cache_id}" if cache_id is not None else where


def true_size(on_disk: MountOnDisk | None) -> str:
    """`512.0 KiB` measured on disk (`*` after it: BuildKit's figure is stale), else `-`."""
    if on_disk is None or on_disk.size is None:
        return "-"
    return format_size(on_disk.size.allocated) + ("*" if on_disk.size.stale else "")


def total_size(builder: BuilderInfo) -> str:
    """The (stale) total of a builder's cache mounts."""
    return approximate_size(sum(m.size_bytes or 0 for m in builder.mounts), builder.size_exact)


def describe_records(builder: BuilderInfo) -> str:
    """`2 cache mounts of 14 build-cache records; 12.0 KiB as last computed by BuildKit`."""
    return (
        f"{counted(len(builder.mounts), 'cache mount')} of "
        f"{counted(len(builder.records), 'build-cache record')}; "
        f"{total_size(builder)} {SIZE_NOTE}"
    )


def last_used(mount: CacheMountRecord, now: datetime) -> str:
    """`3 minutes ago`; buildx's own text (`About a minute ago`) when there is no time."""
    if mount.last_used_at is not None:
        return str(humanize.naturaltime(now - mount.last_used_at))
    return mount.last_used_text or "-"


def describe_deletion(plan: PrunePlan) -> str:
    """`Will delete 2 cache mounts, 12.0 KiB as last computed by BuildKit — …`."""
    size = approximate_size(plan.bytes_to_delete, plan.builder.size_exact)
    return f"Will delete {counted(len(plan.to_delete), 'cache mount')}, {size} {SIZE_NOTE}."


def describe_prune_result(result: PruneResult, deleted_shown: int | None = None) -> list[str]:
    """After a prune: a headline, then one line per record that needs one. `deleted_shown`
    caps the list of deleted IDs (the rest is counted); the other lists are never cut."""
    reclaimed = (
        f", {format_size(result.space_reclaimed)} reclaimed as reported by BuildKit"
        if result.space_reclaimed is not None
        else ""
    )
    lines = [f"Deleted {counted(len(result.deleted), 'record')}{reclaimed}."]
    deleted = result.deleted if deleted_shown is None else result.deleted[:deleted_shown]
    lines += [f"deleted {d}" for d in deleted]
    if len(deleted) < len(result.deleted):
        lines.append(f"… and {len(result.deleted) - len(deleted)} more")
    lines += [f"NOT deleted (still in use or gone?): {d}" for d in result.not_deleted]
    lines += [f"also deleted (not in the preview!): {d}" for d in result.unexpected]
    lines += [f"already gone before the prune: {d}" for d in result.vanished]
    lines += [
        f"left alone (appeared after the preview, not requested): {d}" for d in result.appeared
    ]
    lines += [f"error: {e}" for e in result.errors]
    return lines
