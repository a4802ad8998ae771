"""`uvcache-tui buildkit ls|prune`: BuildKit cache mounts from the command line.

The lead's `cli.py` calls `register()`; `run()` builds a parser with only this subcommand
so it can be exercised on its own. Exit codes: 0 done, 1 something requested was not
done (Docker unreachable, unknown ID, declined), 2 usage error (one line on stderr,
`uvcache-tui: …`) or a prune refused because there is neither `--yes` nor a terminal to
confirm on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any, NoReturn, TextIO

import humanize

from uvcache_tui.core.buildkit.budget import (
    CONNECT_TIMEOUT_ENV,
    DEFAULT_CONNECT_TIMEOUT,
    MAX_SECONDS,
    connect_timeout_from_env,
    parse_seconds,
)
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.prune import (
    MODE_IDS,
    PrunePlan,
    PruneResult,
    describe_requests,
    execute_prune,
    parse_duration,
    plan_prune,
)
from uvcache_tui.core.buildkit.records import (
    FLAG_UNEXPANDED,
    SIZE_NOTE,
    BuilderInfo,
    CacheMountRecord,
    describe_gc_rule,
)
from uvcache_tui.core.units import format_size

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

DEFAULT_TIMEOUT = 10.0


def builders_for_ls(
    timeout: float = DEFAULT_TIMEOUT, connect_timeout: float | None = None
) -> list[dict[str, Any]]:
    """Builders with their cache mounts as JSON-ready dicts, for the general `ls`."""
    report = list_builders(timeout=timeout, connect_timeout=connect_timeout)
    return [b.to_json() for b in report.builders]


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, `uvcache-tui: …`, exit 2."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.removeprefix("uvcache-tui").strip()
        usage_error(f"{where}: {message}" if where else message)


def usage_error(message: str) -> NoReturn:
    """One line on stderr, exit status 2."""
    one_line = " ".join(message.split())
    sys.stderr.write(f"uvcache-tui: {one_line}\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_USAGE)


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
    value: float | None = getattr(args, "connect_timeout", None)
    if value is not None:
        return value
    import os

    seconds, problem = connect_timeout_from_env(os.environ)
    if problem:
        usage_error(problem.split("; using")[0])
    return seconds


# --- formatting ------------------------------------------------------------------------


def _size(mount: CacheMountRecord) -> str:
    if mount.size_bytes is None:
        return mount.size_text or "?"
    text = format_size(mount.size_bytes)
    return text if mount.size_exact else f"~{text}"


def _when(mount: CacheMountRecord, now: datetime) -> str:
    if mount.last_used_at is not None:
        return str(humanize.naturaltime(now - mount.last_used_at))
    return mount.last_used_text or "-"


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
    return "GC policy: " + "; ".join(describe_gc_rule(rule) for rule in info.gc_policy)


def format_builder(info: BuilderInfo, now: datetime) -> list[str]:
    """Text lines for one builder of `buildkit ls`."""
    lines = [_builder_heading(info)]
    if info.error:
        lines.append(f"  {info.error}")
        return lines
    gc = _gc_line(info)
    if gc:
        lines.append(f"  {gc}")
    total = sum(m.size_bytes or 0 for m in info.mounts)
    approx = "" if info.size_exact else "~"
    lines.append(
        f"  {len(info.mounts)} cache mount(s) of {len(info.records)} build-cache records; "
        f"{approx}{format_size(total)} {SIZE_NOTE}"
    )
    if not info.mounts:
        return lines
    rows = [["ID", "KIND", "SIZE", "LAST USED", "USES", "IN USE", "TARGET", "CACHE ID"]]
    for mount in info.mounts:
        rows.append(
            [
                mount.id,
                mount.kind,
                _size(mount),
                _when(mount, now),
                "-" if mount.usage_count is None else str(mount.usage_count),
                {True: "yes", False: "no", None: "?"}[mount.in_use],
                mount.target or mount.description,
                mount.cache_id if mount.cache_id is not None else "-",
            ]
        )
    lines += _table(rows)
    for mount in info.mounts:
        if FLAG_UNEXPANDED in mount.flags:
            lines.append(
                f"  ! {mount.id}: target {mount.target} has an unexpanded variable (Engine < 23"
                " without `# syntax=`): the mount landed on that literal path, so the cache"
                " written to the expanded path most likely went into the image layer"
            )
    return lines


def format_plan(plan: PrunePlan, now: datetime) -> list[str]:
    """Text preview of a prune plan."""
    lines = [_builder_heading(plan.builder)]
    if plan.error:
        lines.append(f"  {plan.error}")
        return lines
    approx = "" if plan.builder.size_exact else "~"
    deleting = plan.to_delete
    kept = [i for i in plan.items if i.action == "keep"]
    lines.append(
        f"  Will delete {len(deleting)} cache mount(s), "
        f"{approx}{format_size(plan.bytes_to_delete)} {SIZE_NOTE}"
    )
    if deleting:
        rows = [
            [i.mount.id, i.mount.kind, _size(i.mount), _when(i.mount, now), i.mount.target or ""]
            for i in deleting
        ]
        lines += _table(rows, "    ")
    if kept:
        lines.append(f"  Kept ({len(kept)}):")
        lines += _table(
            [[i.mount.id, i.mount.kind, i.reason or "", i.mount.target or ""] for i in kept],
            "    ",
        )
    for rejected in plan.rejected:
        lines.append(f"  Not pruned: {rejected.message}")
    if plan.requests:
        lines.append(f"  {'Request' if len(plan.requests) == 1 else 'Requests'}:")
        lines += [f"    {r.call}" for r in plan.requests]
        lines.append(f"  {describe_requests(plan)}")
    return lines


def format_result(result: PruneResult) -> list[str]:
    """Text lines after a prune ran."""
    lines = []
    reclaimed = (
        f", {format_size(result.space_reclaimed)} reclaimed as reported by BuildKit"
        if result.space_reclaimed is not None
        else ""
    )
    lines.append(f"Deleted {len(result.deleted)} record(s){reclaimed}.")
    lines += [f"  deleted {d}" for d in result.deleted]
    lines += [f"  NOT deleted (still in use or gone?): {d}" for d in result.not_deleted]
    lines += [f"  also deleted (not in the preview!): {d}" for d in result.unexpected]
    lines += [f"  already gone before the prune: {d}" for d in result.vanished]
    lines += [
        f"  left alone (appeared after the preview, not requested): {d}" for d in result.appeared
    ]
    lines += [f"  error: {e}" for e in result.errors]
    return lines


def _print(lines: Sequence[str], out: TextIO) -> None:
    out.write("\n".join(lines) + "\n")


# --- handlers --------------------------------------------------------------------------


def cmd_ls(args: argparse.Namespace) -> int:
    """`buildkit ls`: 0 when at least one builder could be read (or none exist), else 1."""
    report = list_builders(
        timeout=args.timeout, builder=args.builder, connect_timeout=_connect_timeout(args)
    )
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        now = datetime.now(timezone.utc)
        lines: list[str] = [f"warning: {w}" for w in report.warnings]
        for info in report.builders:
            lines += format_builder(info, now)
        _print(lines, sys.stdout)
    readable = [b for b in report.builders if b.listed]
    return EXIT_OK if readable or not report.builders else EXIT_FAILED


def _confirm(plan: PrunePlan) -> bool:
    """Ask on the terminal; anything but y/yes declines."""
    count = len(plan.to_delete)
    sys.stderr.write(f"Delete {count} cache mount(s) from builder {plan.builder.name}? [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _emit(
    plan: PrunePlan, result: PruneResult | None, args: argparse.Namespace, now: datetime
) -> None:
    if args.json:
        payload = {
            "dry_run": bool(args.dry_run),
            "plan": plan.to_json(),
            "result": result.to_json() if result else None,
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    # without --yes the preview was already shown before the confirmation
    show_plan = result is None or args.dry_run or args.yes
    lines = format_plan(plan, now) if show_plan else []
    if result is not None:
        lines += format_result(result)
    _print(lines, sys.stdout)


def cmd_prune(args: argparse.Namespace) -> int:
    """`buildkit prune`: preview, confirm (or --yes), execute, report."""
    selections = sum([bool(args.ids), bool(args.all_mounts), args.unused_for is not None])
    if selections != 1:
        usage_error("buildkit prune: give IDs, or --all-mounts, or --unused-for DURATION")
    if args.unused_for is not None:
        try:
            parse_duration(args.unused_for)
        except ValueError as exc:
            usage_error(f"buildkit prune: --unused-for: {exc}")
    connect_timeout = _connect_timeout(args)
    if not args.dry_run and not args.yes and not sys.stdin.isatty():
        usage_error(
            "buildkit prune: refusing to delete without --yes "
            "(stdin is not a terminal to confirm on; use --dry-run to preview)"
        )
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
        _print(format_plan(plan, now), sys.stderr if args.json else sys.stdout)
        if not _confirm(plan):
            print("Aborted; nothing pruned.", file=sys.stderr)
            return EXIT_FAILED
    result = execute_prune(plan, timeout=max(args.timeout, 60.0))
    _emit(plan, result, args, now)
    if plan.mode == MODE_IDS:
        return EXIT_OK if result.ok and not kept_requested else EXIT_FAILED
    return EXIT_FAILED if result.errors else EXIT_OK


# --- parser ----------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `buildkit ls` and `buildkit prune` to the main parser's subcommands."""
    buildkit = subparsers.add_parser(
        "buildkit",
        help="BuildKit cache mounts (RUN --mount=type=cache) of every builder",
        description="List and prune BuildKit cache mounts (RUN --mount=type=cache).",
    )
    commands = buildkit.add_subparsers(
        dest="buildkit_command", metavar="COMMAND", parser_class=OneLineParser
    )
    commands.required = True

    ls = commands.add_parser("ls", help="list builders and their cache mounts")
    ls.add_argument("--builder", metavar="NAME", help="only this builder")
    ls.add_argument("--json", action="store_true", help="JSON output (see docs/buildkit.md)")
    _timeout_options(ls)
    ls.set_defaults(func=cmd_ls)

    prune = commands.add_parser(
        "prune",
        help="delete cache mounts: by ID, all of a builder, or unused for a while",
        description=(
            "Delete cache-mount records. Exactly one of: record IDs (full IDs from "
            "`buildkit ls`), --all-mounts, --unused-for DURATION."
        ),
    )
    prune.add_argument("ids", nargs="*", metavar="ID", help="full record IDs")
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


def run(argv: Sequence[str] | None = None) -> int:
    """Standalone entry point: `uvcache-tui`'s parser with only the `buildkit` subcommand."""
    parser = OneLineParser(prog="uvcache-tui")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    register(subparsers)
    args = parser.parse_args(list(argv) if argv is not None else None)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(run())
