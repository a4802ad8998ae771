"""What `buildkit show|export|import` share, in either form (one MOUNT or `--dockerfile`):
the key and helper-image options, the one-line failure, the destination check."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from uvcache_tui.cli.common import EXIT_FAILED, UsageError
from uvcache_tui.core.buildkit.helper_build import (
    HELPER_IMAGE_ENV,
    helper_idle_timeout,
    helper_image,
)
from uvcache_tui.core.buildkit.transfer import manifest_path

Handler = Callable[[argparse.Namespace, float], int]


def fail(message: str) -> int:
    """Something requested was not done: one line on stderr, exit 1."""
    print(f"uvcache-tui: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_FAILED


def chosen_image(args: argparse.Namespace) -> str:
    """`--helper-image`, else the environment variable, else the default. The helper's
    idle limit ($UVCACHE_TUI_HELPER_IDLE_TIMEOUT) is checked here too, before any build."""
    try:
        helper_idle_timeout(os.environ)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    try:
        return helper_image(args.helper_image, os.environ)
    except ValueError as exc:
        raise UsageError(f"--helper-image: {exc}") from exc


def check_destination(to: Path) -> None:
    """Replace only a previous export (its manifest is next to it) or an empty dir."""
    if not (to.exists() or to.is_symlink()) or manifest_path(to).is_file():
        return
    if to.is_dir() and not to.is_symlink() and not any(to.iterdir()):
        return
    raise UsageError(
        f"{to} exists and is not a previous export (no {manifest_path(to).name} next to it); "
        "choose another --to"
    )


def _number(base: int, limit: int, example: str) -> Callable[[str], int]:
    """argparse type: an integer in `base` from 0 to `limit` (uid/gid, or an octal mode)."""

    def parse(text: str) -> int:
        try:
            value = int(text, base)
        except ValueError:
            value = -1
        if not 0 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be {example}, not {text!r}")
        return value

    return parse


_id_number = _number(10, 2**32 - 1, "a number from 0 to 4294967295")
_octal = _number(8, 0o7777, "an octal mode such as 0755")


def add_key_options(parser: argparse.ArgumentParser, id_help: str) -> None:
    """`--id --uid --gid --mode --helper-image --builder`, the same for each command."""
    parser.add_argument("--id", metavar="ID", help=id_help)
    parser.add_argument("--uid", type=_id_number, help="the writer's uid= (if it had one)")
    parser.add_argument("--gid", type=_id_number, help="the writer's gid= (if it had one)")
    parser.add_argument("--mode", type=_octal, help="the writer's mode= in octal (0755)")
    parser.add_argument("--builder", metavar="NAME", help="builder (default: the current one)")
    parser.add_argument(
        "--helper-image",
        metavar="IMAGE",
        help=f"image with sh, tar, find, stat for the helper build "
        f"(default ${HELPER_IMAGE_ENV} or busybox:stable)",
    )
    parser.add_argument("--json", action="store_true", help="JSON output (see docs/buildkit.md)")


def add_dockerfile_options(parser: argparse.ArgumentParser, what: str) -> None:
    """`--dockerfile PATH` and `--build-arg NAME=VALUE` (as `docker build` gets them)."""
    parser.add_argument(
        "--dockerfile",
        metavar="PATH",
        help=f"{what} every cache mount of the RUNs that run uv in this Dockerfile "
        "(instead of one MOUNT), each under a name made from its cache key",
    )
    parser.add_argument(
        "--build-arg",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="with --dockerfile: a build argument the build gets (repeatable; "
        "BUILDKIT_CACHE_MOUNT_NS and ARGs in mount options change the key)",
    )


def parse_build_args(values: list[str]) -> dict[str, str]:
    """`--build-arg NAME=VALUE`, or `NAME` alone for the value in the environment (as
    `docker build` takes them)."""
    args: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not name:
            raise UsageError(f"--build-arg {value!r}: expected NAME=VALUE")
        args[name] = text if sep else os.environ.get(name, "")
    return args
