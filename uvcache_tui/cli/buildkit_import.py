"""One import into one cache key, in steps both `buildkit import SRC` and
`buildkit import --dockerfile PATH SRCDIR` take: plan (records of the key, `--replace`'s
prune plan, the preview), then run (prune, import, verify) after the confirmation."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from uvcache_tui.cli.common import confirm, print_lines
from uvcache_tui.core.buildkit.builders import ResolvedBuilder
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.helper_build import HelperError
from uvcache_tui.core.buildkit.mountref import mounts_of_key, shows_cache_ids
from uvcache_tui.core.buildkit.prune import PrunePlan, execute_prune, plan_prune
from uvcache_tui.core.buildkit.transfer import ImportResult, ImportSource, import_source
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted, plural

REPLACE_REFUSED = (
    "--replace refused: builder {builder} (BuildKit < 0.12, Engine < 25) does not show "
    "cache ids, so the records of this id cannot be listed; delete them by record ID with "
    "`uvcache-tui buildkit prune ID`, then import without --replace"
)


class ReplaceRefused(ValueError):
    """`--replace` on a builder whose records do not show cache ids (bad input, exit 2)."""


@dataclass
class ImportStep:
    """An import into `key`, planned and previewed, not yet run."""

    source: ImportSource
    key: CacheKey
    builder: str
    existing: list[str]
    plan: PrunePlan | None
    preview: list[str]

    def document(self, dry_run: bool) -> dict[str, Any]:
        """`buildkit import --json` before the run (`prune_result`/`result` are filled in)."""
        return {
            "dry_run": dry_run,
            "source": {"path": str(self.source.path), "kind": self.source.kind},
            "entries": self.source.summary.entries,
            "bytes": self.source.summary.bytes,
            "key": self.key.to_json(),
            "builder": self.builder,
            "existing_records": self.existing,
            "replace": self.plan.to_json() if self.plan else None,
            "prune_result": None,
            "result": None,
        }


def _preview(
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


def plan_step(
    source: ImportSource,
    key: CacheKey,
    resolved: ResolvedBuilder,
    replace: bool,
    timeout: float,
    connect_timeout: float,
) -> ImportStep:
    """Records of the key and, with `replace`, the plan that deletes them. Raises
    ReplaceRefused, or HelperError when a record is in use or the builder cannot be read."""
    name = resolved.info.name
    existing = [m.id for m in mounts_of_key(resolved, key)]
    if replace and not shows_cache_ids(resolved) and not existing:
        raise ReplaceRefused(REPLACE_REFUSED.format(builder=name))
    plan = None
    if replace and existing:
        plan = plan_prune(existing, builder=name, timeout=timeout, connect_timeout=connect_timeout)
        kept = [i.mount.id for i in plan.items if i.action == "keep"]
        if plan.error or kept:
            raise HelperError(plan.error or f"records in use by a running build: {', '.join(kept)}")
    preview = _preview(source, key, name, existing, plan, shows_cache_ids(resolved))
    return ImportStep(source, key, name, existing, plan, preview)


def ask(args: argparse.Namespace, preview: list[str], question: str) -> None:
    """Show the preview, then ask (UsageError when declined); with --yes only show it."""
    if not args.yes:
        print_lines(preview, sys.stderr if args.json else sys.stdout)
        sys.stdout.flush()
        confirm(question)
    elif not args.json:
        print_lines(preview)


def run_step(
    step: ImportStep, resolved: ResolvedBuilder, image: str, timeout: float
) -> tuple[dict[str, Any] | None, ImportResult]:
    """`--replace`'s prune (its JSON), then the import and its verification. HelperError
    when the prune or the import failed."""
    pruned_json = None
    if step.plan is not None:
        pruned = execute_prune(step.plan, timeout=max(timeout, 60.0))
        pruned_json = pruned.to_json()
        if not pruned.ok:
            raise HelperError(
                f"--replace: could not delete every record of the id: {pruned.errors}"
            )
    return pruned_json, import_source(resolved, step.key, image, step.source)


def result_line(step: ImportStep, result: ImportResult) -> str:
    """`Imported N entries in S s; …every one of them` (or what is missing)."""
    entries = counted(step.source.summary.entries, "entry")
    return f"Imported {entries} in {result.run.seconds:.2f}s; " + (
        "a listing of the mount afterwards has every one of them."
        if result.ok
        else f"{len(result.missing):,} {plural('is', len(result.missing), 'are')} missing from "
        "the mount afterwards, e.g. " + ", ".join(result.missing[:5])
    )
