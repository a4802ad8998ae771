"""`prune` and `clean` subcommands (filled in by the actions work)."""

from __future__ import annotations

from typing import Any


def register(commands: Any) -> None:
    """Nothing yet."""
