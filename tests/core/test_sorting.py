"""The one sort rule (`core.sorting`) the TUI's tables and the CLI's `--sort` share."""

from __future__ import annotations

from uvcache_tui.core.model import Sizes
from uvcache_tui.core.sorting import DEFAULT_ORDER, SortKey, SortOrder, sort_rows

ROWS = {
    "beta": Sizes(allocated=300, reclaimable=10, files=7),
    "Alpha": Sizes(allocated=300, reclaimable=50, files=1),
    "gamma": Sizes(allocated=900, reclaimable=0, files=7),
    "delta": None,  # not measured (a location that does not exist)
}


def ordered(order: SortOrder) -> list[str]:
    return sort_rows(ROWS, order, name=lambda n: n, sizes=ROWS.__getitem__)


def test_figures_largest_first_ties_by_name_unknown_last() -> None:
    assert SortOrder(SortKey.ALLOCATED, reverse=False) == DEFAULT_ORDER
    assert ordered(DEFAULT_ORDER) == ["gamma", "Alpha", "beta", "delta"]
    assert ordered(SortOrder(SortKey.RECLAIMABLE)) == ["Alpha", "beta", "gamma", "delta"]
    assert ordered(SortOrder(SortKey.FILES)) == ["beta", "gamma", "Alpha", "delta"]
    # Reversed: smallest first, equal figures still A to Z, unknown still last.
    assert ordered(SortOrder(SortKey.ALLOCATED, True)) == ["Alpha", "beta", "gamma", "delta"]
    assert ordered(SortOrder(SortKey.FILES, True)) == ["Alpha", "beta", "gamma", "delta"]


def test_names_a_to_z_ignoring_case() -> None:
    assert ordered(SortOrder(SortKey.NAME)) == ["Alpha", "beta", "gamma", "delta"]
    assert ordered(SortOrder(SortKey.NAME, True)) == ["gamma", "beta", "Alpha", "delta"]


def test_a_second_press_reverses_another_key_starts_natural() -> None:
    order = DEFAULT_ORDER.pressed(SortKey.NAME)
    assert order == SortOrder(SortKey.NAME) and order.arrow == "▲" and not order.descending
    order = order.pressed(SortKey.NAME)
    assert order == SortOrder(SortKey.NAME, True) and order.arrow == "▼"
    order = order.pressed(SortKey.FILES)
    assert order == SortOrder(SortKey.FILES) and order.arrow == "▼"
    assert order.pressed(SortKey.FILES).arrow == "▲"
    assert order.describe() == "files, largest first"
    assert order.pressed(SortKey.FILES).describe() == "files, smallest first"
    assert SortOrder(SortKey.NAME, True).describe() == "name, Z to A"
