"""How BuildKit kinds look in the TUI (their colours); the words for sizes and times are the
core's (`core/buildkit/texts.py`), shared with the CLI."""

from __future__ import annotations

from rich.text import Text

KIND_STYLES = {
    "uv": "bold magenta",
    "pip": "bold blue",
    "apt": "bold yellow",
    "npm": "bold red",
    "go": "bold cyan",
    "cargo": "bold green",
    "other": "dim",
}


def kind_text(kind: str) -> Text:
    return Text(kind, style=KIND_STYLES.get(kind, "dim"))
