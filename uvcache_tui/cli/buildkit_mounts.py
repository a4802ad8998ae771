"""`uvcache-tui buildkit show|export|import`: one cache mount's contents, in and out.

Each reads or fills the mount with a throw-away helper build (`core/buildkit/transfer.py`)
that leaves no record behind. Exit codes as every command (docs/cli.md): 1 when Docker,
the helper build or the export failed (no cache with that key, helper image missing, full
disk), 2 for bad input (unknown or ambiguous MOUNT, a source that is not a safe tar) and
for a refused or declined confirmation.

Over 400 lines because the three commands share their MOUNT, key and helper-image options
and the mapping of the core's errors to exit codes; apart, they would drift.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from uvcache_tui.cli.buildkit_import import (
    ReplaceRefused,
    ask,
    plan_step,
    result_line,
    run_step,
)
from uvcache_tui.cli.buildkit_options import (
    Handler,
    add_dockerfile_options,
    add_key_options,
    check_destination,
    chosen_image,
    fail,
)
from uvcache_tui.cli.buildkit_recipe import export_dockerfile, import_dockerfile
from uvcache_tui.cli.cache import print_cache
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    check_can_confirm,
    print_json,
    print_lines,
)
from uvcache_tui.core.buildkit.cachekey import CacheKey, key_from_json
from uvcache_tui.core.buildkit.helper_build import HelperError
from uvcache_tui.core.buildkit.mount_show import (
    VIA_AUTO,
    VIAS,
    NotOnDisk,
    choose_via,
    show_mount,
)
from uvcache_tui.core.buildkit.mountref import (
    KeyOptions,
    LocatedMount,
    candidate_keys,
    locate_mount,
    ready_builder,
)
from uvcache_tui.core.buildkit.records import FLAG_UNEXPANDED
from uvcache_tui.core.buildkit.select import MountNotFound
from uvcache_tui.core.buildkit.tarsafe import UnsafeArchive
from uvcache_tui.core.buildkit.transfer import (
    ImportSource,
    export_mount,
    prepare_source,
)
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted


def locate_argument(args: argparse.Namespace, connect_timeout: float) -> LocatedMount:
    """MOUNT → record and builder; unknown or ambiguous is bad input (exit 2)."""
    try:
        return locate_mount(args.mount, args.builder, args.timeout, connect_timeout, env=os.environ)
    except MountNotFound as exc:
        raise UsageError(str(exc)) from exc


def mount_keys(located: LocatedMount, args: argparse.Namespace) -> tuple[CacheKey, ...]:
    try:
        return candidate_keys(located.mount, KeyOptions(args.id, args.uid, args.gid, args.mode))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_show(args: argparse.Namespace, connect_timeout: float) -> int:
    """`buildkit show MOUNT`: the mount opened like a local cache (its directory on this
    machine when it can, else a helper build; `--via`)."""
    image = chosen_image(args)
    try:
        located = locate_argument(args, connect_timeout)
        keyed = any(getattr(args, name) is not None for name in ("id", "uid", "gid", "mode"))
        via = choose_via(args.via, keyed)
        with show_mount(located, mount_keys(located, args), image, via, args.timeout) as shown:
            if args.json:
                print_json(shown.document)
                return EXIT_OK
            mount = located.mount
            how = (
                f"read from its directory {shown.document['read']['path']} in "
                f"{shown.seconds:.2f}s (no build, nothing changed)"
                if shown.via == "on-disk"
                else f"read by a helper build in {shown.seconds:.2f}s (its records removed)"
            )
            key = shown.key.describe() if shown.key is not None else "?"
            print_lines(
                [
                    f"cache mount {mount.id} of builder {located.resolved.info.name}: "
                    f"{mount.description}",
                    f"key: {key}; {how}",
                    "before this read: used "
                    + (counted(mount.usage_count, "time") if mount.usage_count is not None else "?")
                    + ","
                    f" last {mount.last_used_at.isoformat() if mount.last_used_at else '?'}",
                ]
            )
            print_cache(shown.model, title=f"{located.choice.label}")
            if FLAG_UNEXPANDED in mount.flags:
                print(
                    f"\nnote: target {mount.target} has an unexpanded variable (Engine < 23 "
                    "without `# syntax=`): uv most likely wrote its cache into the image "
                    "layer, at the expanded path, not into this mount"
                )
    except (HelperError, NotOnDisk) as exc:
        return fail(str(exc))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, connect_timeout: float) -> int:
    """`buildkit export MOUNT --to PATH`: FILE.tar or DIR, plus PATH.manifest.json."""
    if args.dockerfile is not None:
        return export_dockerfile(args, connect_timeout)
    if args.mount is None:
        raise UsageError("give MOUNT (a record ID, an ID prefix or a cache id) or --dockerfile")
    if args.build_arg:
        raise UsageError("--build-arg goes with --dockerfile")
    image = chosen_image(args)
    to = Path(args.to)
    check_destination(to)
    try:
        located = locate_argument(args, connect_timeout)
        result = export_mount(located, mount_keys(located, args), image, to)
    except HelperError as exc:
        return fail(str(exc))
    document = {
        "path": str(result.path),
        "manifest": str(result.manifest),
        "kind": result.kind,
        "entries": result.summary.entries,
        "bytes": result.summary.bytes,
        "key": result.key.to_json(),
        "mount": located.mount.to_json(),
        "seconds": round(result.run.seconds, 3),
        "helper_records_pruned": list(result.run.cleanup.pruned),
    }
    if args.json:
        print_json(document)
    else:
        print(
            f"Exported cache mount {located.mount.id} ({result.key.describe()}) to "
            f"{result.path}: {counted(result.summary.entries, 'entry')}, "
            f"{format_size(result.summary.bytes)} of file data, in {result.run.seconds:.2f}s; "
            f"manifest {result.manifest}"
        )
    return EXIT_OK


def _import_key(args: argparse.Namespace, source: ImportSource) -> CacheKey:
    """`--id/--uid/--gid/--mode`, else the manifest the export wrote next to SRC."""
    saved: dict[str, Any] = dict((source.manifest or {}).get("key") or {})
    if args.id is None and not saved.get("id"):
        raise UsageError(f"pass --id: {source.path} has no manifest naming its cache id")
    if args.id is not None:
        saved = {"id": args.id}
    for name in ("uid", "gid"):
        if getattr(args, name) is not None:
            saved[name] = getattr(args, name)
    if args.mode is not None:
        saved["mode"] = args.mode
    try:
        return key_from_json(saved)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_import(args: argparse.Namespace, connect_timeout: float) -> int:
    """`buildkit import SRC`: check, preview, confirm, (replace), import, verify."""
    if args.dockerfile is not None:
        return import_dockerfile(args, connect_timeout)
    if args.build_arg:
        raise UsageError("--build-arg goes with --dockerfile")
    if not args.dry_run:
        check_can_confirm(args.yes)
    image = chosen_image(args)
    try:
        source = prepare_source(Path(args.source))
    except UnsafeArchive as exc:
        raise UsageError(f"refused {args.source}: {exc}") from exc
    try:
        return _import(args, connect_timeout, image, source)
    finally:
        source.close()


def _import(
    args: argparse.Namespace, connect_timeout: float, image: str, source: ImportSource
) -> int:
    key = _import_key(args, source)
    try:
        resolved = ready_builder(args.builder, args.timeout, connect_timeout, os.environ)
        step = plan_step(source, key, resolved, args.replace, args.timeout, connect_timeout)
    except ReplaceRefused as exc:
        raise UsageError(str(exc)) from exc
    except HelperError as exc:
        return fail(str(exc))
    document = step.document(bool(args.dry_run))
    if args.dry_run:
        print_json(document) if args.json else print_lines(step.preview)
        return EXIT_OK
    ask(args, step.preview, f"Import into {key.describe()} on builder {step.builder}? [y/N]")
    try:
        document["prune_result"], result = run_step(step, resolved, image, args.timeout)
    except HelperError as exc:
        return fail(str(exc))
    document["result"] = result.to_json()
    if args.json:
        print_json(document)
    else:
        print(result_line(step, result))
    return EXIT_OK if result.ok else EXIT_FAILED


# --- parser ---------------------------------------------------------------------------


def register(
    subcommands: Any,
    add_timeouts: Callable[[argparse.ArgumentParser], None],
    wrap: Callable[[Handler], Callable[..., int]],
) -> None:
    """Add `show`, `export` and `import` to `buildkit`'s subcommands (`wrap` turns a
    handler into a command that gets the checked `--connect-timeout`)."""
    mount_help = "a record ID, a unique ID prefix (4+ characters) or a cache id"
    show = subcommands.add_parser(
        "show",
        help="open one cache mount like a local cache (a helper build reads it)",
        description="Read a cache mount with a throw-away helper build and show it as "
        "`show` does. The helper's records are removed afterwards.",
    )
    show.add_argument("mount", metavar="MOUNT", help=mount_help)
    show.add_argument(
        "--via",
        choices=VIAS,
        default=VIA_AUTO,
        help="disk: the mount's directory on this machine (no build); reader: a helper build; "
        "auto (default): disk when it opens a uv cache and no key option is given, else reader",
    )
    add_key_options(show, "the cache id to mount (default: the record's id, or its target)")
    add_timeouts(show)
    show.set_defaults(func=wrap(cmd_show))

    export = subcommands.add_parser(
        "export",
        help="copy one cache mount to FILE.tar or a DIR (for the next CI job)",
        description="Copy a cache mount out, keeping hardlinks, symlinks, modes and numeric "
        "owners, with a manifest at PATH.manifest.json; written under a temporary name.",
    )
    export.add_argument("mount", metavar="MOUNT", nargs="?", help=mount_help)
    export.add_argument(
        "--to",
        required=True,
        metavar="PATH",
        help="FILE.tar (a name ending in .tar) or a DIR; with --dockerfile, a DIR that gets "
        "one NAME.tar and NAME.tar.manifest.json per cache key",
    )
    add_key_options(export, "the cache id to mount (default: the record's id, or its target)")
    add_dockerfile_options(export, "export")
    add_timeouts(export)
    export.set_defaults(func=wrap(cmd_export))

    importing = subcommands.add_parser(
        "import",
        help="fill a cache id from a tar or a DIR (merging, or --replace)",
        description="Extract a tar (or a DIR) into the cache mount of --id with a helper "
        "build, then list the mount to check. Asks for confirmation unless --yes.",
    )
    importing.add_argument(
        "source",
        metavar="SRC",
        help="a tar (as exported) or a DIR; with --dockerfile, the DIR `export --dockerfile` "
        "wrote to",
    )
    add_key_options(importing, "the cache id to fill (default: from SRC.manifest.json)")
    add_dockerfile_options(importing, "import")
    importing.add_argument(
        "--replace",
        action="store_true",
        help="first delete every listed record of that id (previewed)",
    )
    importing.add_argument("--dry-run", action="store_true", help="only show the preview")
    importing.add_argument("-y", "--yes", action="store_true", help="do not ask")
    add_timeouts(importing)
    importing.set_defaults(func=wrap(cmd_import))
