"""`buildkit export --dockerfile PATH --to DIR` and `buildkit import --dockerfile PATH DIR`:
every cache mount of the Dockerfile's uv RUNs out of the builder after a build, and back
in before the next one (the CI recipe in two lines, docs/ci.md).

The keys come from `core/buildkit/recipe.py`; each goes to `DIR/<name from the key>.tar`
with its manifest, through the same export and import as one MOUNT. A key with no cache
on the builder (a stage not built) is reported and skipped; a key with no export in DIR
(the first CI run) is reported, not an error.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from uvcache_tui.cli.buildkit_import import (
    ImportStep,
    ReplaceRefused,
    ask,
    plan_step,
    result_line,
    run_step,
)
from uvcache_tui.cli.buildkit_options import chosen_image, fail, parse_build_args
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    UsageError,
    check_can_confirm,
    print_json,
    print_lines,
)
from uvcache_tui.core.buildkit.builders import ResolvedBuilder
from uvcache_tui.core.buildkit.helper_build import HelperError, NoSuchKey
from uvcache_tui.core.buildkit.mountref import mounts_of_key, ready_builder
from uvcache_tui.core.buildkit.recipe import (
    MANIFEST_SUFFIX,
    Recipe,
    RecipeMount,
    find_exports,
    match_exports,
    read_recipe,
)
from uvcache_tui.core.buildkit.tarsafe import UnsafeArchive
from uvcache_tui.core.buildkit.transfer import ImportSource, export_key, prepare_source
from uvcache_tui.core.dockerfile import DockerfileError
from uvcache_tui.core.doctor.image import read_base_images
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted

_SINGLE_OPTIONS = ("id", "uid", "gid", "mode")


def _check_form(args: argparse.Namespace, positional: str | None, name: str) -> None:
    """`--dockerfile` replaces MOUNT (export) and the key options (both)."""
    if positional is not None:
        raise UsageError(f"give {name} or --dockerfile, not both")
    given = [f"--{o}" for o in _SINGLE_OPTIONS if getattr(args, o) is not None]
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot go with --dockerfile: the keys come from the Dockerfile"
        )


def _recipe(args: argparse.Namespace, resolved: ResolvedBuilder) -> Recipe:
    path = Path(args.dockerfile)
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    build_args = parse_build_args(args.build_arg)
    try:
        return read_recipe(
            text,
            resolved.info,
            build_args,
            lambda names: read_base_images(names, args.timeout, os.environ),
        )
    except DockerfileError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise UsageError(f"{where}: {exc.reason}") from exc


def _no_mounts(args: argparse.Namespace, recipe: Recipe) -> str:
    if not recipe.uv_lines:
        return f"no RUN in {args.dockerfile} runs uv with a cache: nothing to carry"
    lines = ", ".join(str(n) for n in recipe.uv_lines)
    return (
        f"the RUNs that run uv in {args.dockerfile} (line {lines}) have no cache mount that "
        f"can be carried; `uvcache-tui doctor {args.dockerfile}` says why"
    )


def _mount_label(mount: RecipeMount) -> str:
    lines = ", ".join(str(n) for n in mount.lines)
    what = "uv's cache" if mount.holds_uv_cache else "not uv's cache dir"
    return f"{mount.key.describe()} (line {lines}, {mount.target}, {what})"


def _skipped_lines(recipe: Recipe) -> list[str]:
    return [f"skipped line {s.line} --mount={s.option}: {s.reason}" for s in recipe.skipped]


# --- export ----------------------------------------------------------------------------


def _check_export_dir(to: Path) -> None:
    """DIR is new, empty, or holds only exports and their manifests (they are replaced)."""
    if not to.exists():
        return
    if not to.is_dir() or to.is_symlink():
        raise UsageError(f"--to {to}: with --dockerfile, --to is a directory")
    names = {p.name for p in to.iterdir()}
    strangers = sorted(
        n
        for n in names
        if not (n.endswith(MANIFEST_SUFFIX) or n + MANIFEST_SUFFIX in names)
        and not (n.startswith(".") and ".partial" in n)
    )
    if strangers:
        raise UsageError(
            f"--to {to} holds files that are not exports ({', '.join(strangers[:5])}); "
            "choose an empty or new directory"
        )


def export_dockerfile(args: argparse.Namespace, connect_timeout: float) -> int:
    """Export every key of the recipe to DIR; exit 1 when none could be."""
    _check_form(args, args.mount, "MOUNT")
    image = chosen_image(args)
    to = Path(args.to).absolute()
    _check_export_dir(to)
    try:
        resolved = ready_builder(args.builder, args.timeout, connect_timeout, os.environ)
    except HelperError as exc:
        return fail(str(exc))
    recipe = _recipe(args, resolved)
    if not recipe.mounts:
        return fail(_no_mounts(args, recipe))
    try:
        to.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return fail(f"cannot create {to}: {exc.strerror or exc}")
    exports: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    lines = _skipped_lines(recipe)
    for mount in recipe.mounts:
        records = mounts_of_key(resolved, mount.key)
        extra = {"dockerfile": {"path": str(args.dockerfile), **mount.to_json()}}
        try:
            result = export_key(
                resolved,
                (mount.key,),
                image,
                to / mount.file_name,
                records[0] if len(records) == 1 else None,
                extra,
            )
        except NoSuchKey:
            missing.append(mount.to_json())
            lines.append(
                f"no cache {_mount_label(mount)} on builder {resolved.info.name}: not built "
                "yet (a stage the build skipped?); skipped"
            )
            continue
        except HelperError as exc:
            return fail(str(exc))
        exports.append(
            {
                **mount.to_json(),
                "path": str(result.path),
                "manifest": str(result.manifest),
                "entries": result.summary.entries,
                "bytes": result.summary.bytes,
                "seconds": round(result.run.seconds, 3),
                "helper_records_pruned": list(result.run.cleanup.pruned),
            }
        )
        lines.append(
            f"Exported {_mount_label(mount)} to {result.path}: {result.summary.entries} "
            f"entries, {format_size(result.summary.bytes)} of file data, in "
            f"{result.run.seconds:.2f}s"
        )
    if args.json:
        print_json(
            {
                "dockerfile": str(args.dockerfile),
                "builder": resolved.info.name,
                "to": str(to),
                "recipe": recipe.to_json(),
                "exports": exports,
                "missing": missing,
            }
        )
    else:
        print_lines(lines)
    if not exports:
        return fail(f"no cache mount of {args.dockerfile} exists on builder {resolved.info.name}")
    return EXIT_OK


# --- import ----------------------------------------------------------------------------


def _prepare(
    pairs: list[tuple[RecipeMount, Path]],
) -> list[tuple[RecipeMount, ImportSource]]:
    """Check every matched export before anything reaches a builder."""
    prepared: list[tuple[RecipeMount, ImportSource]] = []
    try:
        for mount, path in pairs:
            try:
                prepared.append((mount, prepare_source(path)))
            except UnsafeArchive as exc:
                raise UsageError(f"refused {path}: {exc}") from exc
    except BaseException:
        for _, source in prepared:
            source.close()
        raise
    return prepared


def import_dockerfile(args: argparse.Namespace, connect_timeout: float) -> int:
    """Import, into each key of the recipe, the export of that key found in DIR."""
    _check_form(args, None, "MOUNT")
    source_dir = Path(args.source)
    if source_dir.exists() and not source_dir.is_dir():
        raise UsageError(f"{source_dir} is not a directory (with --dockerfile, SRC is one)")
    if not args.dry_run:
        check_can_confirm(args.yes)
    image = chosen_image(args)
    # The first CI job has no saved directory yet: nothing to import, not an error.
    exports, problems = find_exports(source_dir) if source_dir.is_dir() else ((), ())
    try:
        resolved = ready_builder(args.builder, args.timeout, connect_timeout, os.environ)
    except HelperError as exc:
        return fail(str(exc))
    recipe = _recipe(args, resolved)
    if not recipe.mounts:
        return fail(_no_mounts(args, recipe))
    pairs, unused = match_exports(recipe, exports)
    found = [(mount, export.path) for mount, export in pairs if export is not None]
    absent = [mount for mount, export in pairs if export is None]
    prepared = _prepare(found)
    try:
        return _import_all(
            args,
            connect_timeout,
            image,
            resolved,
            recipe,
            prepared,
            absent,
            [
                *problems,
                *(
                    f"{e.path.name}: {e.key.describe()} is no cache mount of a uv RUN"
                    for e in unused
                ),
            ],
        )
    finally:
        for _, source in prepared:
            source.close()


def _import_all(
    args: argparse.Namespace,
    connect_timeout: float,
    image: str,
    resolved: ResolvedBuilder,
    recipe: Recipe,
    prepared: list[tuple[RecipeMount, ImportSource]],
    absent: list[RecipeMount],
    notes: list[str],
) -> int:
    try:
        steps: list[ImportStep] = [
            plan_step(source, mount.key, resolved, args.replace, args.timeout, connect_timeout)
            for mount, source in prepared
        ]
    except ReplaceRefused as exc:
        raise UsageError(str(exc)) from exc
    except HelperError as exc:
        return fail(str(exc))
    preview = [line for step in steps for line in step.preview]
    preview += [
        f"nothing to import for {_mount_label(m)}: no export of that key in {args.source}"
        for m in absent
    ]
    preview += _skipped_lines(recipe) + [f"not imported: {note}" for note in notes]
    documents = [step.document(bool(args.dry_run)) for step in steps]
    document: dict[str, Any] = {
        "dry_run": bool(args.dry_run),
        "dockerfile": str(args.dockerfile),
        "builder": resolved.info.name,
        "recipe": recipe.to_json(),
        "imports": documents,
        "not_found": [m.to_json() for m in absent],
        "notes": notes,
    }
    if args.dry_run or not steps:
        print_json(document) if args.json else print_lines(preview)
        return EXIT_OK
    ask(
        args,
        preview,
        f"Import {counted(len(steps), 'cache')} on builder {resolved.info.name}? [y/N]",
    )
    verified = True
    for step, step_document in zip(steps, documents, strict=True):
        try:
            step_document["prune_result"], result = run_step(step, resolved, image, args.timeout)
        except HelperError as exc:
            return fail(f"{step.key.describe()}: {exc}")
        step_document["result"] = result.to_json()
        verified = verified and result.ok
        if not args.json:
            print(f"{step.key.describe()}: {result_line(step, result)}")
    if args.json:
        print_json(document)
    return EXIT_OK if verified else EXIT_FAILED
