"""BuildKit records in the TUI's words: sizes, times and kinds, for the rows, view and dialog.

Sizes are the TUI's binary units, `~` when parsed back from buildx's human strings.
"""

from __future__ import annotations

from datetime import datetime

import humanize
from rich.text import Text

from uvcache_tui.core.buildkit.records import BuilderInfo, CacheMountRecord
from uvcache_tui.tui.format import format_size

KIND_STYLES = {
    "uv": "bold magenta",
    "pip": "bold blue",
    "apt": "bold yellow",
    "npm": "bold red",
    "go": "bold cyan",
    "cargo": "bold green",
    "other": "dim",
}


def mount_size(mount: CacheMountRecord) -> str:
    """`1.2 MiB`, `~382.0 KiB` when parsed back from buildx, buildx's own text otherwise."""
    if mount.size_bytes is None:
        return mount.size_text or "?"
    text = format_size(mount.size_bytes)
    return text if mount.size_exact else f"~{text}"


def total_size(builder: BuilderInfo) -> str:
    """The (stale) total of a builder's cache mounts."""
    total = sum(m.size_bytes or 0 for m in builder.mounts)
    return format_size(total) if builder.size_exact else f"~{format_size(total)}"


def last_used(mount: CacheMountRecord, now: datetime) -> str:
    """Short relative form for tables."""
    if mount.last_used_at is not None:
        return str(humanize.naturaltime(now - mount.last_used_at))
    return mount.last_used_text or "-"


def kind_text(kind: str) -> Text:
    return Text(kind, style=KIND_STYLES.get(kind, "dim"))
