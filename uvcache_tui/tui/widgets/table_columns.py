"""Shared DataTable helpers: right-aligned cells and explicit column widths.

Columns get explicit widths computed from the rows about to be shown: an auto-width column
that grows after a refill can keep rendering cells cut at its old width (seen with Textual
8.2 when the cursor moves in the same tick), and explicit widths also keep the tables from
scrolling sideways.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable


def right(text: str, style: str = "") -> Text:
    """A right-aligned cell (sizes and counts line up on their units)."""
    return Text(text, style=style, justify="right")


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells with an ellipsis."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def reset_columns(table: DataTable[Text], columns: Sequence[tuple[str, Text | str, int]]) -> None:
    """Clear rows and columns, then add (key, label, width) columns again."""
    table.clear(columns=True)
    for key, label, width in columns:
        table.add_column(label, key=key, width=width)


def widest(values: Sequence[str], label: str, limit: int) -> int:
    """Width for an auto-sized column: its widest value or label, at most `limit`."""
    return min(max([len(label), *(len(v) for v in values)]), limit)
