"""Sizes for people: binary units, as uv prints them, shared by the CLI and the TUI."""

from __future__ import annotations

import humanize


def format_size(value: int | None) -> str:
    """`8.2 MiB`; `-` when a size is not known."""
    if value is None:
        return "-"
    return humanize.naturalsize(value, binary=True, format="%.1f")
