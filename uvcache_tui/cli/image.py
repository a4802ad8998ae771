"""`uvcache-tui image show IMAGE`: a uv cache baked into an image layer, opened like a local
cache (the same totals, buckets, packages and deep contents as `show`)."""

from __future__ import annotations

import sys

from uvcache_tui.cli.buildkit import seconds_arg
from uvcache_tui.cli.cache import print_cache
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    Context,
    UsageError,
    print_json,
    print_lines,
)
from uvcache_tui.core.buildkit.contexts import ContextError
from uvcache_tui.core.buildkit.engine import EngineError
from uvcache_tui.core.buildkit.tarsafe import UnsafeArchive
from uvcache_tui.core.doctor.baked import BakedChoiceError, open_baked_cache
from uvcache_tui.core.doctor.image import BakedCache, ImageNotFound
from uvcache_tui.core.report import cache_json
from uvcache_tui.core.units import format_size

DEFAULT_TIMEOUT = 10.0


def describe_baked(cache: BakedCache) -> str:
    """`layer 5 of 6: /app/cache/uv, 390.1 kB (archive-v0, wheels-v8)`."""
    removed = (
        f"; deleted by layer {cache.removed_by_layer}, still shipped"
        if cache.removed_by_layer
        else ""
    )
    return (
        f"layer {cache.layer_index} of {cache.layer_count}: {cache.path}, "
        f"{format_size(cache.size_bytes)} in the layer ({', '.join(cache.buckets)}){removed}"
    )


def _choice_error(exc: BakedChoiceError) -> UsageError:
    candidates = "; ".join(describe_baked(c) for c in exc.candidates)
    return UsageError(f"{exc}" + (f": {candidates}" if candidates else ""))


def cmd_image_show(ctx: Context) -> int:
    args = ctx.args
    try:
        with open_baked_cache(args.image, args.path, args.layer, args.timeout) as opened:
            if args.json:
                print_json(opened.to_json(cache_json(opened.model)))
                return EXIT_OK
            baked = opened.baked
            print_lines(
                [
                    f"image {args.image}, {describe_baked(baked)}",
                    f"created by: {baked.created_by or '?'}",
                    "read from `docker image save` into a temporary copy (gone now); "
                    "sizes below are of that copy",
                    *(f"not copied: {line}" for line in opened.summary.skipped),
                ]
            )
            print_cache(opened.model, title=f"{args.image}:{baked.path}")
    except ImageNotFound as exc:
        raise UsageError(str(exc)) from exc
    except BakedChoiceError as exc:
        raise _choice_error(exc) from exc
    except (EngineError, ContextError, UnsafeArchive, ValueError, OSError) as exc:
        print(f"uvcache-tui: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def register(commands: Commands) -> None:
    image = commands.add_parser(
        "image",
        help="uv caches baked into an image's layers",
        description="A uv cache that a build wrote into an image layer (no cache mount, or "
        "a mount at the wrong path; see `doctor --image`), opened like a local cache.",
    )
    subcommands = image.add_subparsers(dest="image_command", metavar="COMMAND", required=True)
    show = subcommands.add_parser(
        "show",
        help="open a baked uv cache: totals, buckets, packages, wheels",
        description="Stream the image out of the engine (`docker image save`), copy the uv "
        "cache's subtree of its layer into a temporary directory (checked like an imported "
        "tarball; hardlinks to files outside the cache kept as shared) and show it as "
        "`show` does. Nothing is written to the engine. Exit 2 when the image has no baked "
        "cache or several match (they are listed).",
    )
    show.add_argument("image", metavar="IMAGE", help="a local image (name, tag or ID)")
    show.add_argument("--path", metavar="PATH", help="the cache's path inside the image")
    show.add_argument("--layer", type=int, metavar="N", help="the layer (1 = the bottom one)")
    show.add_argument(
        "--timeout",
        type=seconds_arg,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"to reach the engine (default {DEFAULT_TIMEOUT:g}; the stream itself may take longer)",
    )
    show.add_argument("--json", action="store_true", help="JSON output (see docs/json.md)")
    show.set_defaults(func=cmd_image_show)
