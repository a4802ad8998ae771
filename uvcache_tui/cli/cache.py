"""`ls` and `show`: every location found, and one cache in detail."""

from __future__ import annotations

import argparse
import os
from typing import Any

from uvcache_tui.cli.common import (
    Commands,
    Context,
    UsageError,
    collections_paused,
    print_json,
)
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.contents.pythons import ManagedPython, managed_pythons
from uvcache_tui.core.location import check_location, open_location
from uvcache_tui.core.model import Location, LocationKind, Sizes
from uvcache_tui.core.report import cache_json_lazy, location_json
from uvcache_tui.core.scan import scan
from uvcache_tui.core.sorting import DEFAULT_ORDER, SortKey, SortOrder, sort_rows
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted

size = format_size
"""Binary units, as uv prints them (`8.2 MiB`)."""

BUILDERS_TIMEOUT = 10.0
"""Seconds per call to an engine while `ls` lists the BuildKit builders."""


def register(commands: Commands) -> None:
    ls = commands.add_parser("ls", help="list every location found, with sizes")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.add_argument("--no-docker", action="store_true", help="skip BuildKit builders")
    add_sort_options(ls, "locations (default: in the order found, as the TUI's sidebar)")
    ls.set_defaults(func=cmd_ls)

    show = commands.add_parser("show", help="one cache: totals, buckets, packages")
    show.add_argument("path", nargs="?", help="cache dir (default: the active cache)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    add_sort_options(
        show,
        "buckets and packages (default: allocated, largest first, as in the TUI;"
        " --json keeps them by name unless --sort or --reverse is given)",
    )
    show.set_defaults(func=cmd_show)


def add_sort_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--sort",
        choices=[key.value for key in SortKey],
        help=f"order of the {what}; sizes and counts largest first, names A to Z",
    )
    parser.add_argument("--reverse", action="store_true", help="the other way round")


def requested_order(ctx: Context) -> SortOrder | None:
    """The order asked for with --sort/--reverse, or None when neither was given."""
    key = ctx.args.sort
    if key is None and not ctx.args.reverse:
        return None
    return SortOrder(SortKey(key) if key else DEFAULT_ORDER.key, ctx.args.reverse)


def cache_location(ctx: Context, path: str | None) -> Location:
    """The cache a command acts on: PATH if given, else the active cache; refused (one line)
    when it cannot be opened, by the rule the TUI uses too (`core.location`)."""
    if path is None:
        location = ctx.discovery.active_cache
        if location is None:
            raise UsageError("no active uv cache (UV_NO_CACHE is set); pass a PATH")
    else:
        location = Location(LocationKind.CACHE, path, "PATH")
    refused = check_location(location)
    if refused is not None:
        raise UsageError(refused.error or refused.note or f"{location.path}: cannot be opened")
    return location


def open_cache(ctx: Context, location: Location, read_records: bool = False) -> CacheModel:
    """`read_records`: for a command that lists every wheel (`show`; see `load_cache`)."""
    opened = open_location(location, table_for(ctx.found_uv_version), read_records=read_records)
    if opened.model is None:
        raise UsageError(opened.error or opened.note or f"{location.path}: cannot be opened")
    return opened.model


def _location_size(location: Location) -> tuple[Sizes | None, list[ManagedPython] | None]:
    """Sizes of a location, and for uv's python dir its installations."""
    if not os.path.isdir(location.path):
        return None, [] if location.kind is LocationKind.PYTHON else None
    result = scan(location.path)
    pythons = managed_pythons(result) if location.kind is LocationKind.PYTHON else None
    return result.root.sizes, pythons


def _builders() -> list[dict[str, Any]]:
    """Builders with their cache mounts, as in `buildkit ls --json`."""
    report = list_builders(timeout=BUILDERS_TIMEOUT)
    return [builder.to_json() for builder in report.builders]


def cmd_ls(ctx: Context) -> int:
    with collections_paused(ctx.ends_process):
        return _ls(ctx)


def _ls(ctx: Context) -> int:
    discovery = ctx.discovery
    rows = [(loc, *_location_size(loc)) for loc in discovery.locations]
    order = requested_order(ctx)
    if order is not None:
        rows = sort_rows(rows, order, name=lambda row: row[0].path, sizes=lambda row: row[1])
    builders = [] if ctx.args.no_docker else _builders()
    if ctx.args.json:
        print_json(
            {
                "uv_version": discovery.uv_version,
                "uv_path": discovery.uv_path,
                "locations": [
                    location_json(loc, sizes.allocated if sizes else None, pythons)
                    for loc, sizes, pythons in rows
                ],
                "builders": builders,
                "notes": discovery.notes,
            }
        )
        return 0
    uv = discovery.uv_version or "not found"
    print(f"uv {uv}" + (f" ({discovery.uv_path})" if discovery.uv_path else ""))
    for loc, sizes, pythons in rows:
        shown = size(sizes.allocated) if sizes is not None else "missing"
        print(f"{loc.label:<26} {shown:>10}  {loc.path}  [{loc.source}]")
        for python in pythons or ():
            print(
                f"  {python.implementation} {python.version:<18} {size(python.allocated):>10}  {python.name}"
            )
    for builder in builders:
        _print_builder_row(builder)
    for note in discovery.notes:
        print(f"note: {note}")
    return 0


def _print_builder_row(builder: dict[str, Any]) -> None:
    name = f"buildkit {builder.get('name')}"
    if builder.get("error"):
        print(f"{name:<26} {'-':>10}  {builder['error']}")
        return
    mounts = builder.get("mounts", [])
    total = sum(m.get("size_bytes") or 0 for m in mounts)
    mounts_text = counted(len(mounts), "cache mount")
    print(f"{name:<26} {size(total):>10}  {mounts_text} [{builder.get('driver')}]")
    for mount in mounts:
        flags = f" ({', '.join(mount['flags'])})" if mount.get("flags") else ""
        print(
            f"  {mount['kind']:<6} {size(mount.get('size_bytes')):>10}  {mount['target']}"
            f"  id={mount['id']}{flags}"
        )


def cmd_show(ctx: Context) -> int:
    with collections_paused(ctx.ends_process):
        return _show(ctx)


def _show(ctx: Context) -> int:
    location = cache_location(ctx, ctx.args.path)
    model = open_cache(ctx, location, read_records=True)
    order = requested_order(ctx)
    if ctx.args.json:
        print_json(cache_json_lazy(model, order))
        return 0
    print_cache(model, order=order or DEFAULT_ORDER)
    return 0


def print_cache(
    model: CacheModel, title: str | None = None, order: SortOrder = DEFAULT_ORDER
) -> None:
    """The text of `show` (also `buildkit show`, whose cache is a temporary copy): buckets
    and packages in `order`, the TUI's unless asked otherwise."""
    totals = model.totals
    print(f"{title or model.path}  (uv {model.uv_version})")
    print(
        f"allocated {size(totals.allocated)}  reclaimable {size(totals.reclaimable)}  "
        f"apparent {size(totals.apparent)}  files {totals.files}  dirs {totals.dirs}"
    )
    print(f"lock: {model.lock.description}")
    if model.mount_points:
        print(
            "mount points inside (other filesystems, counted in the totals; actions that "
            "would remove them are refused): " + ", ".join(model.mount_points)
        )
    print()
    print(f"{'BUCKET':<24} {'STATUS':<9} {'ALLOCATED':>10} {'RECLAIMABLE':>12} {'FILES':>8}")
    for bucket in sort_rows(model.buckets, order, name=lambda b: b.name, sizes=lambda b: b.sizes):
        print(
            f"{bucket.name:<24} {bucket.status.value:<9} {size(bucket.sizes.allocated):>10} "
            f"{size(bucket.sizes.reclaimable):>12} {bucket.sizes.files:>8}"
        )
    print()
    print(f"{'PACKAGE':<32} {'VERSIONS':<24} {'ALLOCATED':>10} {'RECLAIMABLE':>12}")
    packages = sort_rows(model.packages, order, name=lambda p: p.name, sizes=model.package_sizes)
    for package in packages:
        sizes = model.package_sizes(package)
        versions = ", ".join(sorted(package.versions))
        print(
            f"{package.name:<32} {versions:<24} {size(sizes.allocated):>10} "
            f"{size(sizes.reclaimable):>12}"
        )
    _print_contents(model)
    if model.scan.problems.total:
        print(f"\n{counted(model.scan.problems.total, 'problem')} during the scan, e.g.:")
        for problem in model.scan.problems.samples[:5]:
            print(f"  {problem.kind.value}: {problem.path} {problem.detail}")


def _print_contents(model: CacheModel) -> None:
    """Each wheel (one line), the interpreter queries and the indexes (`core.contents`)."""
    contents = model.compute_contents().read_all()
    wheels = [w for p in model.packages for w in contents.of(p.name).wheels]
    if wheels:
        print()
        print(f"{'WHEEL':<48} {'FROM':<10} {'ALLOCATED':>10} {'LINKS':>5}  ORIGIN")
        for wheel in wheels:
            name = wheel.filename or f"{wheel.package} {wheel.version} ({wheel.tags or '?'})"
            local = wheel.origin.kind in ("find-links", "path", "editable")
            source = "built" if wheel.built else "local" if local else "download"
            source += "" if wheel.current else "*"
            links = "-" if wheel.links_outside is None else str(wheel.links_outside)
            print(
                f"{name:<48} {source:<10} {size(wheel.allocated):>10} {links:>5}  "
                f"{wheel.origin.label}"
            )
        if any(not w.current for w in wheels):
            print("* in a bucket the running uv no longer uses")
    if contents.interpreters:
        print()
        print(f"{'INTERPRETER':<48} {'PYTHON':<16} {'PLATFORM':<16} STATE")
        for entry in contents.interpreters:
            python = f"{entry.implementation} {entry.version}"
            state = {True: "present", False: "stale (gone)", None: "a build's path"}[entry.exists]
            print(f"{entry.executable:<48} {python:<16} {entry.platform:<16} {state}")
    if contents.indexes:
        print()
        print(f"{'INDEX':<48} {'PAGES':>6} {'ALLOCATED':>10}")
        for index in contents.indexes:
            print(f"{index.label:<48} {index.pages:>6} {size(index.allocated):>10}")
    if contents.undecoded:
        print(f"\n{counted(len(contents.undecoded), 'record')} not decoded, e.g.:")
        for record in contents.undecoded[:5]:
            print(f"  {record.path}: {record.reason}")
