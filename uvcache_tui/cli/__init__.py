"""Headless interface: the same core as the TUI, as tables for people or `--json` for scripts.

`main` parses the arguments, builds the one Context every command receives and turns every
failure into one line on stderr and an exit code (docs/cli.md): 0 success, 1 an action
failed, 2 bad input or refused (declining a confirmation too), 3 uv is running, 74 the output
could not be written, 130 interrupted, 141 the reader of the output went away (EPIPE).

The commands live in one module per family: `cache` (ls, show), `actions` (prune, clean),
`buildkit` (buildkit ls, buildkit prune), `doctor`; their shared rules are in `common`.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence

from uvcache_tui import __version__
from uvcache_tui.cli import actions, buildkit, cache, doctor, image
from uvcache_tui.cli.common import (
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_ERROR,
    EXIT_USAGE,
    Context,
    GuardedStdout,
    OutputError,
    Parser,
    UsageError,
    find_uv,
    one_line,
    silence_stdout,
)
from uvcache_tui.core.lock import MAX_LOCK_TIMEOUT

__all__ = ["Context", "build_parser", "main", "run"]


GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, object]], ...] = (
    (("--uv",), {"metavar": "PATH", "help": "use this uv binary instead of the one on PATH"}),
    (
        ("--cache-dir",),
        {"metavar": "PATH", "action": "append", "help": "also show this uv cache (repeatable)"},
    ),
    (
        ("--find",),
        {
            "metavar": "ROOT",
            "action": "append",
            "help": "discover uv caches under ROOT by their signature (repeatable)",
        },
    ),
    (("--read-only",), {"action": "store_true", "help": "TUI: hide every action that deletes"}),
    (
        ("--no-snapshot",),
        {
            "action": "store_true",
            "help": "TUI: neither show nor keep the last scan's figures (scan snapshots)",
        },
    ),
)
"""Options of the whole program. Those that mean something to a command are accepted before
or after it (`ls --cache-dir X`); `--read-only` is the TUI's alone."""

TUI_ONLY = frozenset({"--read-only", "--no-snapshot"})

TUI_DOCTOR_OPTIONS = (
    ("--dockerfile", "PATH", "TUI: open the Doctor view on this Dockerfile", "doctor PATH"),
    (
        "--image",
        "IMAGE",
        "TUI: the Doctor view also looks for uv caches in this image's layers",
        "doctor --image IMAGE",
    ),
)
"""The TUI's Doctor view (flag, metavar, help, the command's spelling): refused before a
command, whose `doctor` has its own."""


def tui_dest(flag: str) -> str:
    return "tui_" + flag.lstrip("-")


LATE = "late_"
"""Prefix of the dests the options get after a command, merged by `merge_global_options`."""


def build_parser() -> Parser:
    parser = Parser(
        prog="uvcache-tui",
        description="See where your uv caches live, what they cost on disk, and clean them safely. "
        "Without a command, opens the TUI.",
    )
    parser.add_argument("--version", action="version", version=f"uvcache-tui {__version__}")
    for flags, options in GLOBAL_OPTIONS:
        action = options.get("action")
        default: object = [] if action == "append" else (False if action == "store_true" else None)
        parser.add_argument(*flags, default=default, **options)  # type: ignore[arg-type]
    for flag, metavar, text, _command in TUI_DOCTOR_OPTIONS:
        parser.add_argument(flag, dest=tui_dest(flag), metavar=metavar, default=None, help=text)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    cache.register(commands)
    actions.register(commands)
    buildkit.register(commands)
    doctor.register(commands)
    image.register(commands)
    for command in _leaf_parsers(commands):
        for flags, options in GLOBAL_OPTIONS:
            if flags[0] in TUI_ONLY:
                continue
            dest = LATE + flags[0].lstrip("-").replace("-", "_")
            command.add_argument(*flags, dest=dest, default=argparse.SUPPRESS, **options)  # type: ignore[arg-type]
    return parser


def _leaf_parsers(commands: argparse._SubParsersAction[Parser]) -> list[argparse.ArgumentParser]:
    """Every command's parser, nested ones (`buildkit ls`) included."""
    found: list[argparse.ArgumentParser] = []
    for command in dict.fromkeys(commands.choices.values()):
        nested = [a for a in command._actions if isinstance(a, argparse._SubParsersAction)]
        found.append(command)
        for sub in nested:
            found.extend(_leaf_parsers(sub))
    return found


def merge_global_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Options given after the command join those given before it: lists are joined, a
    single value given twice must agree (nothing the user typed is dropped)."""
    for flags, options in GLOBAL_OPTIONS:
        name = flags[0].lstrip("-").replace("-", "_")
        late = LATE + name
        if not hasattr(args, late):
            continue
        value = getattr(args, late)
        delattr(args, late)
        early = getattr(args, name)
        if options.get("action") == "append":
            setattr(args, name, [*early, *value])
        elif early is not None and early != value:
            parser.error(f"argument {flags[0]}: given twice with different values")
        else:
            setattr(args, name, value)


def run_tui(args: argparse.Namespace) -> int:
    from uvcache_tui.tui.app import UvCacheApp

    uv, _version = find_uv(args.uv)
    if isinstance(sys.stdout, GuardedStdout):
        sys.stdout = sys.__stdout__  # the TUI owns the terminal
    app = UvCacheApp(
        uv=uv,
        extra_caches=args.cache_dir,
        find_roots=args.find,
        read_only=args.read_only,
        dockerfile=args.tui_dockerfile,
        image=args.tui_image,
        snapshots=not args.no_snapshot,
    )
    app.run()
    return 0


def check_values(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Range checks argparse's `type=` cannot express; an error exits 2 with one line."""
    if args.command is not None:
        for flag, _metavar, _text, command in TUI_DOCTOR_OPTIONS:
            if getattr(args, tui_dest(flag)) is not None:
                parser.error(f"argument {flag}: an option of the TUI (as a command: {command})")
    lock_timeout = getattr(args, "lock_timeout", None)
    if lock_timeout is not None and not 0 <= lock_timeout <= MAX_LOCK_TIMEOUT:
        parser.error(
            f"argument --lock-timeout: {lock_timeout} is not between 0 and "
            f"{MAX_LOCK_TIMEOUT} seconds"
        )


def _run(argv: Sequence[str] | None, ends_process: bool) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    merge_global_options(parser, args)
    check_values(parser, args)
    try:
        if args.command is None:
            return run_tui(args)
        # A bad --uv is refused by every command alike, before anything runs.
        return int(args.func(Context.from_args(args, ends_process)))
    except UsageError as exc:
        print(f"uvcache-tui: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("uvcache-tui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def run() -> int:
    """The program (`uvcache-tui`, `python -m uvcache_tui`): `main`, knowing that the
    process ends after it (`Context.ends_process`)."""
    return main(ends_process=True)


def main(argv: Sequence[str] | None = None, ends_process: bool = False) -> int:
    """Every subcommand runs in here: bad values and output failures end in one line."""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        if sys.stderr is not None:
            print("uvcache-tui: cannot write output: stdout is closed", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Names that are not UTF-8 are printed as their own bytes, as `ls` and `find` do.
        sys.stdout.reconfigure(errors="surrogateescape")
    real_stdout = sys.stdout
    sys.stdout = GuardedStdout(real_stdout)  # type: ignore[assignment]
    try:
        try:
            code = _run(argv, ends_process)
        except SystemExit as exc:  # argparse: --help, --version, errors
            if exc.code is None or isinstance(exc.code, int):
                code = exc.code or 0
            else:
                print(exc.code, file=sys.stderr)
                code = 1
        sys.stdout.flush()
        return code
    except OutputError as exc:
        silence_stdout()
        if isinstance(exc.error, BrokenPipeError):
            return EXIT_BROKEN_PIPE  # silent, as a process killed by SIGPIPE
        print(f"uvcache-tui: cannot write output: {exc.error.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT_ERROR
    finally:
        sys.stdout = real_stdout
