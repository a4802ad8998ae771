"""`uvcache-tui buildkit ls|prune` (and `show|export|import`, in `buildkit_mounts`).

Exit codes as every command (docs/cli.md): 0 done, 1 something requested was not done
(Docker unreachable, unknown ID), 2 bad input or refused — no `--yes` and no terminal to
confirm on, or the confirmation declined.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone

from uvcache_tui.cli.buildkit_maint import register as register_maintenance_commands
from uvcache_tui.cli.buildkit_mounts import register as register_mount_commands
from uvcache_tui.cli.buildkit_options import Handler
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    Context,
    UsageError,
    check_can_confirm,
    confirm,
    print_json,
    print_lines,
)
from uvcache_tui.core.buildkit.budget import (
    CONNECT_TIMEOUT_ENV,
    DEFAULT_CONNECT_TIMEOUT,
    MAX_SECONDS,
    connect_timeout_from_env,
    parse_seconds,
)
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.gc import describe_gc_policy
from uvcache_tui.core.buildkit.ondisk import MountKey, MountOnDisk, measure_report, report_json
from uvcache_tui.core.buildkit.prune import (
    MODE_IDS,
    PrunePlan,
    PruneResult,
    describe_requests,
    execute_prune,
    plan_prune,
)
from uvcache_tui.core.buildkit.records import (
    FLAG_UNEXPANDED,
    BuilderInfo,
)
from uvcache_tui.core.buildkit.texts import (
    describe_deletion,
    describe_prune_result,
    describe_records,
    last_used,
    mount_size,
    mount_target,
    true_size,
)
from uvcache_tui.core.buildkit.values import parse_duration
from uvcache_tui.core.words import counted, plural

DEFAULT_TIMEOUT = 10.0


def seconds_arg(text: str) -> float:
    """argparse type for `--timeout`/`--connect-timeout`: finite, > 0, ≤ 3600."""
    try:
        return parse_seconds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"must be a number of seconds more than 0 and at most {MAX_SECONDS:g}, not {text!r}"
        ) from exc


def _connect_timeout(args: argparse.Namespace) -> float:
    """`--connect-timeout`, else UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT, else the default."""
    value: float | None = args.connect_timeout
    if value is not None:
        return value
    seconds, problem = connect_timeout_from_env(os.environ)
    if problem:
        raise UsageError(problem.split("; using")[0])
    return seconds


# --- formatting ------------------------------------------------------------------------


def _table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def _builder_heading(info: BuilderInfo) -> str:
    parts = [f"{info.driver} driver"]
    if info.current:
        parts.append("current")
    details = []
    if info.endpoint:
        details.append(f"endpoint {info.endpoint}")
    if info.host and info.host != info.endpoint:
        details.append(info.host)
    if info.status:
        details.append(info.status)
    if info.buildkit_version:
        details.append(f"BuildKit {info.buildkit_version}")
    if info.engine_version:
        details.append(f"Engine {info.engine_version} (API {info.api_version})")
    tail = f" — {', '.join(details)}" if details else ""
    return f"Builder {info.name} ({', '.join(parts)}){tail}"


def _gc_line(info: BuilderInfo) -> str | None:
    if not info.gc_policy:
        return None
    return "GC policy: " + "; ".join(describe_gc_policy(info.gc_policy))


def format_builder(
    info: BuilderInfo, now: datetime, on_disk: Mapping[MountKey, MountOnDisk] | None = None
) -> list[str]:
    """Text lines for one builder of `buildkit ls`; ON DISK is the true size (`*`: BuildKit's
    figure is stale), with one line saying why when no mount could be measured."""
    measured = on_disk or {}
    lines = [_builder_heading(info)]
    if info.error:
        lines.append(f"  {info.error}")
        return lines
    gc = _gc_line(info)
    if gc:
        lines.append(f"  {gc}")
    lines.append(f"  {describe_records(info)}")
    if not info.mounts:
        return lines
    rows = [["ID", "KIND", "SIZE", "ON DISK", "LAST USED", "USES", "IN USE", "TARGET", "CACHE ID"]]
    for mount in info.mounts:
        rows.append(
            [
                mount.id,
                mount.kind,
                mount_size(mount),
                true_size(measured.get((info.name, mount.id))),
                last_used(mount, now),
                "-" if mount.usage_count is None else str(mount.usage_count),
                {True: "yes", False: "no", None: "?"}[mount.in_use],
                mount.target or mount.description,
                mount.cache_id if mount.cache_id is not None else "-",
            ]
        )
    lines += _table(rows)
    lines += _on_disk_notes(info, measured)
    for mount in info.mounts:
        if FLAG_UNEXPANDED in mount.flags:
            lines.append(
                f"  ! {mount.id}: target {mount.target} has an unexpanded variable (Engine < 23"
                " without `# syntax=`): the mount landed on that literal path, so the cache"
                " written to the expanded path most likely went into the image layer"
            )
    return lines


def _on_disk_notes(info: BuilderInfo, measured: Mapping[MountKey, MountOnDisk]) -> list[str]:
    """`* … stale`, and why ON DISK is `-`: once if every mount has the same reason."""
    found = [measured.get((info.name, m.id)) for m in info.mounts]
    lines = []
    if any(f is not None and f.size is not None and f.size.stale for f in found):
        lines.append("  * BuildKit's size is stale: ON DISK is measured now (du -sB1)")
    notes = {f.note for f in found if f is not None and f.size is None and f.note}
    if len(notes) == 1 and all(f is not None and f.size is None for f in found):
        lines.append(f"  ON DISK not measured: {notes.pop()}")
    else:
        lines += [
            f"  ON DISK not measured for {m.id}: {f.note}"
            for m, f in zip(info.mounts, found, strict=True)
            if f is not None and f.size is None and f.note
        ]
    return lines


def format_plan(plan: PrunePlan, now: datetime) -> list[str]:
    """Text preview of a prune plan."""
    lines = [_builder_heading(plan.builder)]
    if plan.error:
        lines.append(f"  {plan.error}")
        return lines
    deleting = plan.to_delete
    kept = [i for i in plan.items if i.action == "keep"]
    lines.append(f"  {describe_deletion(plan)}")
    for cache_id, records in plan.cache_ids:
        lines.append(
            f"  Cache id {cache_id}: its {counted(len(records), 'listed record')}, "
            f"{', '.join(records)}"
        )
    if deleting:
        rows = [
            [i.mount.id, i.mount.kind, mount_size(i.mount), last_used(i.mount, now)]
            + [mount_target(i.mount)]
            for i in deleting
        ]
        lines += _table(rows, "    ")
    if kept:
        lines.append(f"  Kept ({len(kept)}):")
        lines += _table(
            [[i.mount.id, i.mount.kind, i.reason or "", mount_target(i.mount)] for i in kept],
            "    ",
        )
    for rejected in plan.rejected:
        lines.append(f"  Not pruned: {rejected.message}")
    if plan.requests:
        lines.append(f"  {plural('Request', len(plan.requests))}:")
        lines += [f"    {r.call}" for r in plan.requests]
        lines.append(f"  {describe_requests(plan)}")
    return lines


def format_result(result: PruneResult) -> list[str]:
    """Text lines after a prune ran: the headline, then each record indented."""
    headline, *details = describe_prune_result(result)
    return [headline] + [f"  {line}" for line in details]


# --- handlers --------------------------------------------------------------------------


def cmd_ls(ctx: Context) -> int:
    """`buildkit ls`: 0 when at least one builder could be read (or none exist), else 1."""
    args = ctx.args
    report = list_builders(
        timeout=args.timeout, builder=args.builder, connect_timeout=_connect_timeout(args)
    )
    on_disk = measure_report(report, args.timeout)
    if args.json:
        print_json(report_json(report, on_disk))
    else:
        now = datetime.now(timezone.utc)
        lines: list[str] = [f"warning: {w}" for w in report.warnings]
        for info in report.builders:
            lines += format_builder(info, now, on_disk)
        print_lines(lines)
    readable = [b for b in report.builders if b.listed]
    return EXIT_OK if readable or not report.builders else EXIT_FAILED


def _emit(
    plan: PrunePlan, result: PruneResult | None, args: argparse.Namespace, now: datetime
) -> None:
    if args.json:
        print_json(
            {
                "dry_run": bool(args.dry_run),
                "plan": plan.to_json(),
                "result": result.to_json() if result else None,
            }
        )
        return
    # without --yes the preview was already shown before the confirmation
    show_plan = result is None or args.dry_run or args.yes
    lines = format_plan(plan, now) if show_plan else []
    if result is not None:
        lines += format_result(result)
    print_lines(lines)


def _check_selection(args: argparse.Namespace) -> None:
    """Exactly one of IDs, --all-mounts, --unused-for; a duration that parses."""
    selections = sum([bool(args.ids), bool(args.all_mounts), args.unused_for is not None])
    if selections != 1:
        raise UsageError("buildkit prune: give IDs, or --all-mounts, or --unused-for DURATION")
    if args.unused_for is not None:
        try:
            parse_duration(args.unused_for)
        except ValueError as exc:
            raise UsageError(f"buildkit prune: --unused-for: {exc}") from exc


def cmd_prune(ctx: Context) -> int:
    """`buildkit prune`: preview, confirm (or --yes), execute, report."""
    args = ctx.args
    _check_selection(args)
    connect_timeout = _connect_timeout(args)
    if not args.dry_run:
        check_can_confirm(args.yes)
    now = datetime.now(timezone.utc)
    plan = plan_prune(
        args.ids,
        all_mounts=args.all_mounts,
        unused_for=args.unused_for,
        builder=args.builder,
        timeout=args.timeout,
        now=now,
        connect_timeout=connect_timeout,
    )
    failed = bool(plan.error or plan.rejected)
    kept_requested = plan.mode == MODE_IDS and any(i.action == "keep" for i in plan.items)
    if args.dry_run or plan.error or not plan.requests:
        _emit(plan, None, args, now)
        if not args.dry_run and not plan.error and not args.json:
            print("Nothing to prune.")
        return EXIT_FAILED if failed or kept_requested else EXIT_OK
    if not args.yes:
        # The preview comes before the question; with --json, stdout is only the document.
        print_lines(format_plan(plan, now), sys.stderr if args.json else sys.stdout)
        sys.stdout.flush()
        confirm(
            f"Delete {counted(len(plan.to_delete), 'cache mount')} from builder "
            f"{plan.builder.name}? [y/N]"
        )
    result = execute_prune(plan, timeout=max(args.timeout, 60.0))
    _emit(plan, result, args, now)
    if plan.mode == MODE_IDS:
        return EXIT_OK if result.ok and not kept_requested else EXIT_FAILED
    return EXIT_FAILED if result.errors else EXIT_OK


# --- parser ----------------------------------------------------------------------------


def register(commands: Commands) -> None:
    """Add `buildkit ls` and `buildkit prune` to the main parser's subcommands."""
    buildkit = commands.add_parser(
        "buildkit",
        help="BuildKit cache mounts (RUN --mount=type=cache) of every builder",
        description="List and prune BuildKit cache mounts (RUN --mount=type=cache).",
    )
    subcommands = buildkit.add_subparsers(dest="buildkit_command", metavar="COMMAND")
    subcommands.required = True

    ls = subcommands.add_parser("ls", help="list builders and their cache mounts")
    ls.add_argument("--builder", metavar="NAME", help="only this builder")
    ls.add_argument("--json", action="store_true", help="JSON output (see docs/buildkit.md)")
    _timeout_options(ls)
    ls.set_defaults(func=cmd_ls)

    prune = subcommands.add_parser(
        "prune",
        help="delete cache mounts: by ID, all of a builder, or unused for a while",
        description=(
            "Delete cache-mount records. Exactly one of: record IDs (full IDs from "
            "`buildkit ls`) or cache ids (every listed record of each), --all-mounts, "
            "--unused-for DURATION."
        ),
    )
    prune.add_argument(
        "ids",
        nargs="*",
        metavar="ID",
        help="full record IDs, or cache ids (the CACHE ID column of `buildkit ls`: every "
        "record of that id; not on Engine < 25, whose records show no id)",
    )
    prune.add_argument("--all-mounts", action="store_true", help="every cache mount of the builder")
    prune.add_argument(
        "--unused-for",
        metavar="DURATION",
        help="cache mounts not used for DURATION (30m, 12h, 7d, 1h30m)",
    )
    prune.add_argument("--builder", metavar="NAME", help="builder (default: the current one)")
    prune.add_argument(
        "--dry-run", action="store_true", help="show what would go and the exact requests"
    )
    prune.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    prune.add_argument("--json", action="store_true", help="JSON output (see docs/buildkit.md)")
    _timeout_options(prune)
    prune.set_defaults(func=cmd_prune)
    register_mount_commands(subcommands, _timeout_options, _with_connect_timeout)
    register_maintenance_commands(subcommands, _timeout_options, _with_connect_timeout)


def _with_connect_timeout(handler: Handler) -> Callable[[Context], int]:
    def run(ctx: Context) -> int:
        return handler(ctx.args, _connect_timeout(ctx.args))

    return run


def _timeout_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=seconds_arg,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds per call to an engine that answered (default {DEFAULT_TIMEOUT:g})",
    )
    parser.add_argument(
        "--connect-timeout",
        type=seconds_arg,
        default=None,
        metavar="SECONDS",
        help=(
            "seconds, shared by the whole command, to wait on engines that have not "
            f"answered yet (default ${CONNECT_TIMEOUT_ENV} or {DEFAULT_CONNECT_TIMEOUT:g})"
        ),
    )
