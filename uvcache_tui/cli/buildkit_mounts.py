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
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from uvcache_tui.cli.cache import print_cache
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    check_can_confirm,
    confirm,
    print_json,
    print_lines,
)
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.helper_build import (
    HELPER_IMAGE_ENV,
    HelperError,
    helper_image,
)
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
    mounts_of_key,
    ready_builder,
    shows_cache_ids,
)
from uvcache_tui.core.buildkit.prune import PrunePlan, execute_prune, plan_prune
from uvcache_tui.core.buildkit.records import FLAG_UNEXPANDED
from uvcache_tui.core.buildkit.select import MountNotFound
from uvcache_tui.core.buildkit.tarsafe import UnsafeArchive
from uvcache_tui.core.buildkit.transfer import (
    ImportSource,
    export_mount,
    import_source,
    manifest_path,
    prepare_source,
)
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted, plural


def _fail(message: str) -> int:
    """Something requested was not done: one line on stderr, exit 1."""
    print(f"uvcache-tui: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_FAILED


def _image(args: argparse.Namespace) -> str:
    try:
        return helper_image(args.helper_image, os.environ)
    except ValueError as exc:
        raise UsageError(f"--helper-image: {exc}") from exc


def _locate(args: argparse.Namespace, connect_timeout: float) -> LocatedMount:
    """MOUNT → record and builder; unknown or ambiguous is bad input (exit 2)."""
    try:
        return locate_mount(args.mount, args.builder, args.timeout, connect_timeout, env=os.environ)
    except MountNotFound as exc:
        raise UsageError(str(exc)) from exc


def _keys(located: LocatedMount, args: argparse.Namespace) -> tuple[CacheKey, ...]:
    try:
        return candidate_keys(located.mount, KeyOptions(args.id, args.uid, args.gid, args.mode))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def cmd_show(args: argparse.Namespace, connect_timeout: float) -> int:
    """`buildkit show MOUNT`: the mount opened like a local cache (its directory on this
    machine when it can, else a helper build; `--via`)."""
    image = _image(args)
    try:
        located = _locate(args, connect_timeout)
        keyed = any(getattr(args, name) is not None for name in ("id", "uid", "gid", "mode"))
        via = choose_via(args.via, keyed)
        with show_mount(located, _keys(located, args), image, via, args.timeout) as shown:
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
        return _fail(str(exc))
    return EXIT_OK


def _check_destination(to: Path) -> None:
    """Replace only a previous export (its manifest is next to it) or an empty dir."""
    if not (to.exists() or to.is_symlink()) or manifest_path(to).is_file():
        return
    if to.is_dir() and not to.is_symlink() and not any(to.iterdir()):
        return
    raise UsageError(
        f"{to} exists and is not a previous export (no {manifest_path(to).name} next to it); "
        "choose another --to"
    )


def cmd_export(args: argparse.Namespace, connect_timeout: float) -> int:
    """`buildkit export MOUNT --to PATH`: FILE.tar or DIR, plus PATH.manifest.json."""
    image = _image(args)
    to = Path(args.to)
    _check_destination(to)
    try:
        located = _locate(args, connect_timeout)
        result = export_mount(located, _keys(located, args), image, to)
    except HelperError as exc:
        return _fail(str(exc))
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
        saved = {}
    mode = args.mode if args.mode is not None else saved.get("mode")
    try:
        return CacheKey(
            args.id or str(saved["id"]),
            args.uid if args.uid is not None else saved.get("uid"),
            args.gid if args.gid is not None else saved.get("gid"),
            int(mode, 8) if isinstance(mode, str) else mode,
            str(saved.get("namespace") or ""),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _import_preview(
    source: ImportSource,
    key: CacheKey,
    builder: str,
    existing: list[str],
    plan: PrunePlan | None,
    shows_ids: bool,
) -> list[str]:
    summary = source.summary
    lines = [
        f"Import {source.path} ({source.kind}, {counted(summary.entries, 'entry')}, "
        f"{format_size(summary.bytes)} of file data) into {key.describe()} on builder {builder}"
    ]
    if plan is not None:
        lines.append(
            f"  --replace: first delete {counted(len(plan.to_delete), 'record')} of that id:"
        )
        lines += [f"    {item.mount.id}  {item.mount.description}" for item in plan.to_delete]
        lines += [f"    {request.call}" for request in plan.requests]
        lines += [f"    ({rejected.message})" for rejected in plan.rejected]
    elif existing:
        lines.append(f"  merged into the existing cache ({', '.join(existing)})")
    elif shows_ids:
        lines.append("  no record of that id is listed: a new cache is made")
    else:
        lines.append(
            "  merged into the cache of that id if there is one (this builder's records do "
            "not show cache ids), else a new cache is made"
        )
    return lines


def cmd_import(args: argparse.Namespace, connect_timeout: float) -> int:
    """`buildkit import SRC`: check, preview, confirm, (replace), import, verify."""
    if not args.dry_run:
        check_can_confirm(args.yes)
    image = _image(args)
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
    except HelperError as exc:
        return _fail(str(exc))
    existing = [m.id for m in mounts_of_key(resolved, key)]
    if args.replace and not shows_cache_ids(resolved) and not existing:
        raise UsageError(
            f"--replace refused: builder {resolved.info.name} (BuildKit < 0.12, Engine < 25) "
            "does not show cache ids, so the records of this id cannot be listed; delete them "
            "by record ID with `uvcache-tui buildkit prune ID`, then import without --replace"
        )
    plan = None
    if args.replace and existing:
        plan = plan_prune(
            existing,
            builder=resolved.info.name,
            timeout=args.timeout,
            connect_timeout=connect_timeout,
        )
        kept = [i.mount.id for i in plan.items if i.action == "keep"]
        if plan.error or kept:
            return _fail(plan.error or f"records in use by a running build: {', '.join(kept)}")
    preview = _import_preview(
        source, key, resolved.info.name, existing, plan, shows_cache_ids(resolved)
    )
    document: dict[str, Any] = {
        "dry_run": bool(args.dry_run),
        "source": {"path": str(source.path), "kind": source.kind},
        "entries": source.summary.entries,
        "bytes": source.summary.bytes,
        "key": key.to_json(),
        "builder": resolved.info.name,
        "existing_records": existing,
        "replace": plan.to_json() if plan else None,
        "prune_result": None,
        "result": None,
    }
    if args.dry_run:
        print_json(document) if args.json else print_lines(preview)
        return EXIT_OK
    if not args.yes:
        print_lines(preview, sys.stderr if args.json else sys.stdout)
        sys.stdout.flush()
        confirm(f"Import into {key.describe()} on builder {resolved.info.name}? [y/N]")
    elif not args.json:
        print_lines(preview)
    if plan is not None:
        pruned = execute_prune(plan, timeout=max(args.timeout, 60.0))
        document["prune_result"] = pruned.to_json()
        if not pruned.ok:
            return _fail(f"--replace: could not delete every record of the id: {pruned.errors}")
    try:
        result = import_source(resolved, key, image, source)
    except HelperError as exc:
        return _fail(str(exc))
    document["result"] = result.to_json()
    if args.json:
        print_json(document)
    else:
        print(
            f"Imported {counted(source.summary.entries, 'entry')} in {result.run.seconds:.2f}s; "
            + (
                "a listing of the mount afterwards has every one of them."
                if result.ok
                else f"{len(result.missing):,} {plural('is', len(result.missing), 'are')} "
                "missing from the mount afterwards, e.g. " + ", ".join(result.missing[:5])
            )
        )
    return EXIT_OK if result.ok else EXIT_FAILED


# --- parser ----------------------------------------------------------------------------


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


Handler = Callable[[argparse.Namespace, float], int]


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
    export.add_argument("mount", metavar="MOUNT", help=mount_help)
    export.add_argument(
        "--to", required=True, metavar="PATH", help="FILE.tar (a name ending in .tar) or a DIR"
    )
    add_key_options(export, "the cache id to mount (default: the record's id, or its target)")
    add_timeouts(export)
    export.set_defaults(func=wrap(cmd_export))

    importing = subcommands.add_parser(
        "import",
        help="fill a cache id from a tar or a DIR (merging, or --replace)",
        description="Extract a tar (or a DIR) into the cache mount of --id with a helper "
        "build, then list the mount to check. Asks for confirmation unless --yes.",
    )
    importing.add_argument("source", metavar="SRC", help="a tar (as exported) or a DIR")
    add_key_options(importing, "the cache id to fill (default: from SRC.manifest.json)")
    importing.add_argument(
        "--replace",
        action="store_true",
        help="first delete every listed record of that id (previewed)",
    )
    importing.add_argument("--dry-run", action="store_true", help="only show the preview")
    importing.add_argument("-y", "--yes", action="store_true", help="do not ask")
    add_timeouts(importing)
    importing.set_defaults(func=wrap(cmd_import))
