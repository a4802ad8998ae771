"""The Packages tab's figures of one model (sizes, versions as shown, column widths, the
packages in the table's order), computed once a model in a worker the view owns (~0.2 s of
CPU at ~10k packages)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.model import Sizes
from uvcache_tui.core.packages import PackageEntry
from uvcache_tui.core.sorting import SortOrder, sort_rows
from uvcache_tui.tui.widgets.table_columns import widest

SHOWN_VERSIONS = 3


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """Natural order (`1.10` after `1.9`) without a packaging dependency."""
    return tuple(
        (int(part), "") if part.isdigit() else (-1, part) for part in re.split(r"[.+-]", version)
    )


def versions_text(versions: set[str]) -> str:
    """The newest few versions, then how many more."""
    if len(versions) == 1:  # most packages: nothing to order (half the figures' time)
        return next(iter(versions))
    ordered = sorted(versions, key=version_key, reverse=True)
    shown = ", ".join(ordered[:SHOWN_VERSIONS])
    more = len(ordered) - SHOWN_VERSIONS
    return f"{shown} +{more}" if more > 0 else shown


@dataclass(frozen=True)
class PackageFigures:
    """What the Packages tab shows of one model, computed once a model, off the UI thread
    (~0.2 s of CPU for the ~10k packages of a large cache): every package's sizes and
    versions as shown, the widths of those columns, and every package in `order` (the
    table's when the worker started; ~25 ms to sort at ~10k, a key's wait on the UI
    thread)."""

    model: CacheModel
    sizes: dict[str, Sizes]
    versions: dict[str, str]
    name_width: int
    versions_width: int
    order: SortOrder
    ordered: list[PackageEntry]

    def sort(self, packages: list[PackageEntry], order: SortOrder) -> list[PackageEntry]:
        """`packages` in `order`."""
        return sorted_packages(packages, self.sizes, order)


def sorted_packages(
    packages: list[PackageEntry], sizes: dict[str, Sizes], order: SortOrder
) -> list[PackageEntry]:
    """`packages` in `order` by their `sizes` (the one sort rule, `core.sorting`)."""
    return sort_rows(packages, order, name=lambda p: p.name, sizes=lambda p: sizes[p.name])


def package_figures(model: CacheModel, order: SortOrder) -> PackageFigures:
    """The Packages tab's figures of `model`, its packages in `order` (a thread worker
    calls this)."""
    packages = model.packages
    versions = {p.name: versions_text(p.versions) for p in packages}
    sizes = {p.name: model.package_sizes(p) for p in packages}
    return PackageFigures(
        model,
        sizes=sizes,
        versions=versions,
        # Widths from every package, not just the filtered ones: columns stay put while typing.
        name_width=widest([p.name for p in packages], "Package", 40),
        versions_width=widest(list(versions.values()), "Versions", 28),
        order=order,
        ordered=sorted_packages(packages, sizes, order),
    )


def figures_if_possible(model: CacheModel, order: SortOrder) -> PackageFigures | None:
    """`package_figures` for a scan's worker to hand over with the model; None if they
    failed: the Packages view's own worker then computes them and shows the error (the
    scan itself did not fail)."""
    try:
        return package_figures(model, order)
    except Exception:
        return None
