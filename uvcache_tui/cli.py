"""Headless interface: the same core as the TUI, as tables for people or `--json` for scripts.

Exit codes (docs/cli.md): 0 success, 1 an action failed, 2 bad input or refused, 3 uv is
running, 74 the output could not be written, 141 the reader of the output went away (EPIPE).
Every failure is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from uvcache_tui import __version__
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import CacheModel, NotACacheError, check_cache_dir, load_cache
from uvcache_tui.core.locate import Discovery, discover
from uvcache_tui.core.lock import MAX_LOCK_TIMEOUT
from uvcache_tui.core.model import Location
from uvcache_tui.core.report import cache_json, location_json
from uvcache_tui.core.scan import scan
from uvcache_tui.core.units import format_size
from uvcache_tui.core.uvbin import UvBinary, UvError

EXIT_USAGE = 2
EXIT_OUTPUT_ERROR = 74
"""stdout could not be written (full disk, closed, I/O error): sysexits.h EX_IOERR."""
EXIT_BROKEN_PIPE = 141
"""The reader of stdout went away (`| head`): 128 + SIGPIPE, what a shell reports for a
process killed by SIGPIPE."""


class UsageError(Exception):
    """Bad input: printed as one line, exit code 2."""


def one_line(text: str) -> str:
    """Collapse a message onto one line (uv's or argparse's may span several)."""
    return " ".join(text.split())


class Parser(argparse.ArgumentParser):
    """argparse, with its errors on one line (`uvcache-tui: … (see … --help)`), exit 2.

    Subcommand parsers are made with the same class, so every level behaves alike.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"uvcache-tui: {one_line(message)} (see {self.prog} --help)\n")


size = format_size
"""Binary units, as uv prints them (`8.2 MiB`)."""


@dataclass
class Context:
    """What every subcommand needs: the uv to use and the locations found."""

    args: argparse.Namespace
    uv: UvBinary | None
    discovery: Discovery


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="uvcache-tui",
        description="See where your uv caches live, what they cost on disk, and clean them safely. "
        "Without a command, opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"uvcache-tui {__version__}")
    parser.add_argument(
        "--uv", metavar="PATH", help="use this uv binary instead of the one on PATH"
    )
    parser.add_argument(
        "--cache-dir",
        metavar="PATH",
        action="append",
        default=[],
        help="also show this uv cache (repeatable)",
    )
    parser.add_argument(
        "--find",
        metavar="ROOT",
        action="append",
        default=[],
        help="discover uv caches under ROOT by their signature (repeatable)",
    )
    parser.add_argument(
        "--read-only", action="store_true", help="TUI: hide every action that deletes"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    ls = commands.add_parser("ls", help="list every location found, with sizes")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.add_argument("--no-docker", action="store_true", help="skip BuildKit builders")
    ls.set_defaults(func=cmd_ls)

    show = commands.add_parser("show", help="one cache: totals, buckets, packages")
    show.add_argument("path", nargs="?", help="cache dir (default: the active cache)")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=cmd_show)

    _register_optional(commands)
    return parser


def _register_optional(commands: Any) -> None:
    """Subcommands that live in their own modules."""
    from uvcache_tui import cli_actions

    cli_actions.register(commands)
    from uvcache_tui import cli_buildkit

    cli_buildkit.register(commands)


def find_uv(args: argparse.Namespace) -> tuple[UvBinary | None, str | None]:
    """The uv to use and, for `--uv PATH`, its version: a `--uv` that does not answer
    `uv --version` with `uv X.Y.Z` is refused (exit 2) before anything runs."""
    try:
        uv = UvBinary.find(args.uv)
        version = uv.version() if args.uv and uv is not None else None
    except UvError as exc:
        raise UsageError(str(exc)) from exc
    return uv, version


def make_context(args: argparse.Namespace) -> Context:
    uv, version = find_uv(args)
    discovery = discover(uv, extra_caches=args.cache_dir, find_roots=args.find, uv_version=version)
    return Context(args, uv, discovery)


def resolve_cache_arg(ctx: Context, path: str | None) -> str:
    """The cache a command acts on: PATH if given, else the active cache."""
    if path is None:
        active = ctx.discovery.active_cache
        if active is None:
            raise UsageError("no active uv cache (UV_NO_CACHE is set); pass a PATH")
        if not os.path.isdir(active.path):
            raise UsageError(
                f"the active uv cache {active.path} does not exist yet: nothing cached"
            )
        return check_cache_dir_or_exit(active.path, active=True)
    return check_cache_dir_or_exit(path)


def check_cache_dir_or_exit(path: str, active: bool = False) -> str:
    try:
        return check_cache_dir(path, active=active)
    except NotACacheError as exc:
        raise UsageError(str(exc)) from exc


def open_model(ctx: Context, path: str) -> CacheModel:
    return load_cache(path, table_for(ctx.discovery.uv_version))


def print_json(document: Any) -> None:
    """Indented for a person at a terminal; compact (and much faster to encode) in a pipe."""
    json.dump(document, sys.stdout, indent=2 if sys.stdout.isatty() else None)
    sys.stdout.write("\n")


def _location_size(location: Location) -> int | None:
    if not os.path.isdir(location.path):
        return None
    return scan(location.path).root.sub_alloc


def cmd_ls(ctx: Context) -> int:
    rows = [(loc, _location_size(loc)) for loc in ctx.discovery.locations]
    builders: list[dict[str, Any]] = []
    if not ctx.args.no_docker:
        builders = _buildkit_rows()
    if ctx.args.json:
        print_json(
            {
                "uv_version": ctx.discovery.uv_version,
                "uv_path": ctx.discovery.uv_path,
                "locations": [location_json(loc, allocated) for loc, allocated in rows],
                "builders": builders,
                "notes": ctx.discovery.notes,
            }
        )
        return 0
    uv = ctx.discovery.uv_version or "not found"
    print(f"uv {uv}" + (f" ({ctx.discovery.uv_path})" if ctx.discovery.uv_path else ""))
    for loc, allocated in rows:
        shown = size(allocated) if allocated is not None else "missing"
        print(f"{loc.label:<26} {shown:>10}  {loc.path}  [{loc.source}]")
    for builder in builders:
        _print_builder_row(builder)
    for note in ctx.discovery.notes:
        print(f"note: {note}")
    return 0


def _buildkit_rows() -> list[dict[str, Any]]:
    from uvcache_tui import cli_buildkit

    return list(cli_buildkit.builders_for_ls(timeout=10.0))


def _print_builder_row(builder: dict[str, Any]) -> None:
    name = f"buildkit {builder.get('name')}"
    if builder.get("error"):
        print(f"{name:<26} {'-':>10}  {builder['error']}")
        return
    mounts = builder.get("mounts", [])
    total = sum(m.get("size_bytes") or 0 for m in mounts)
    print(f"{name:<26} {size(total):>10}  {len(mounts)} cache mount(s) [{builder.get('driver')}]")
    for mount in mounts:
        flags = f" ({', '.join(mount['flags'])})" if mount.get("flags") else ""
        print(
            f"  {mount['kind']:<6} {size(mount.get('size_bytes')):>10}  {mount['target']}"
            f"  id={mount['id'][:12]}{flags}"
        )


def cmd_show(ctx: Context) -> int:
    path = resolve_cache_arg(ctx, ctx.args.path)
    model = open_model(ctx, path)
    if ctx.args.json:
        print_json(cache_json(model))
        return 0
    totals = model.totals
    print(f"{model.path}  (uv {model.uv_version})")
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
    for bucket in model.buckets:
        print(
            f"{bucket.name:<24} {bucket.status.value:<9} {size(bucket.sizes.allocated):>10} "
            f"{size(bucket.sizes.reclaimable):>12} {bucket.sizes.files:>8}"
        )
    print()
    print(f"{'PACKAGE':<32} {'VERSIONS':<24} {'ALLOCATED':>10} {'RECLAIMABLE':>12}")
    for package in model.packages:
        sizes = model.package_sizes(package)
        versions = ", ".join(sorted(package.versions))
        print(
            f"{package.name:<32} {versions:<24} {size(sizes.allocated):>10} "
            f"{size(sizes.reclaimable):>12}"
        )
    if model.scan.problems.total:
        print(f"\n{model.scan.problems.total} problem(s) during the scan, e.g.:")
        for problem in model.scan.problems.samples[:5]:
            print(f"  {problem.kind.value}: {problem.path} {problem.detail}")
    return 0


def run_tui(args: argparse.Namespace) -> int:
    from uvcache_tui.tui.app import UvCacheApp

    uv, _version = find_uv(args)
    if isinstance(sys.stdout, GuardedStdout):
        sys.stdout = sys.__stdout__  # the TUI owns the terminal
    app = UvCacheApp(
        uv=uv, extra_caches=args.cache_dir, find_roots=args.find, read_only=args.read_only
    )
    app.run()
    return 0


def check_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Range checks argparse's `type=` cannot express; an error exits 2 with one line."""
    lock_timeout = getattr(args, "lock_timeout", None)
    if lock_timeout is not None and not 0 <= lock_timeout <= MAX_LOCK_TIMEOUT:
        parser.error(
            f"argument --lock-timeout: {lock_timeout} is not between 0 and "
            f"{MAX_LOCK_TIMEOUT} seconds"
        )


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_values(parser, args)
    try:
        if args.uv and args.command == "buildkit":
            find_uv(args)  # not used there, but a bad --uv is refused everywhere alike
        if args.command is None:
            return run_tui(args)
        if args.command == "buildkit":
            # BuildKit commands talk to Docker only; they need no uv discovery.
            return int(args.func(args))
        return int(args.func(make_context(args)))
    except UsageError as exc:
        print(f"uvcache-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("uvcache-tui: interrupted", file=sys.stderr)
        return 130


class OutputError(Exception):
    """Writing stdout failed; carries the OSError (not one itself, so nothing swallows it)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class GuardedStdout:
    """sys.stdout, with write/flush failures raised as OutputError: only those are output
    failures, every other OSError keeps its traceback."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except OSError as exc:
            raise OutputError(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise OutputError(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's final flush cannot fail again
    (Python's recipe for SIGPIPE, docs.python.org/3/library/signal.html#note-on-sigpipe)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ else 1)
    except (OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Every subcommand runs in here: bad values and output failures end in one line."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        if sys.stderr is not None:
            print("uvcache-tui: cannot write output: stdout is closed", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Names that are not UTF-8 are printed as their own bytes, as `ls` and `find` do.
        sys.stdout.reconfigure(errors="surrogateescape")
    real_stdout = sys.stdout
    sys.stdout = GuardedStdout(real_stdout)
    try:
        try:
            code = _run(argv)
        except SystemExit as exc:  # argparse: --help, --version, errors
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        sys.stdout.flush()
        return code
    except OutputError as exc:
        _silence_stdout()
        if isinstance(exc.error, BrokenPipeError):
            return EXIT_BROKEN_PIPE  # silent, as a process killed by SIGPIPE
        print(f"uvcache-tui: cannot write output: {exc.error.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    finally:
        sys.stdout = real_stdout
