"""JSON-ready views of the core's data, shared by `--json` output and tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from uvcache_tui.core.action_run import ActionResult
from uvcache_tui.core.actions import ActionPlan
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.contents.pythons import ManagedPython
from uvcache_tui.core.contents.to_json import contents_json, package_contents_json
from uvcache_tui.core.model import Location
from uvcache_tui.core.sorting import SortOrder, sort_rows


def location_json(
    location: Location, allocated: int | None, pythons: list[ManagedPython] | None = None
) -> dict[str, Any]:
    """One `ls --json` location; `pythons`: the installations in uv's python dir."""
    document: dict[str, Any] = {
        "kind": location.kind.value,
        "path": location.path,
        "source": location.source,
        "active": location.active,
        "is_cache": location.kind.is_cache,
        "allocated_bytes": allocated,
    }
    if pythons is not None:
        document["pythons"] = [python.to_json() for python in pythons]
    return document


def cache_json(model: CacheModel, order: SortOrder | None = None) -> dict[str, Any]:
    """The `show --json` document (schema in docs/json.md); buckets and packages by name
    unless `order` is given (`show --sort`)."""
    return materialized(cache_json_lazy(model, order))


def materialized(document: dict[str, Any]) -> dict[str, Any]:
    """A document whose top-level iterators (`cache_json_lazy`) are made lists."""
    return {
        key: list(value) if isinstance(value, Iterator) else value
        for key, value in document.items()
    }


def cache_json_lazy(model: CacheModel, order: SortOrder | None = None) -> dict[str, Any]:
    """`cache_json` with its two long lists, `packages` and `archives`, as iterators whose
    items are made as a writer reaches them (`cli.common.print_json`): the whole document
    (~23 MB of objects at 750k files) is never in memory. Iterate it once."""
    contents = model.compute_contents().read_all()
    buckets = model.buckets
    packages = model.packages
    if order is not None:
        buckets = sort_rows(buckets, order, name=lambda b: b.name, sizes=lambda b: b.sizes)
        packages = sort_rows(packages, order, name=lambda p: p.name, sizes=model.package_sizes)
    return {
        "path": model.path,
        "uv_version": model.uv_version,
        "bucket_table_exact": model.table.exact,
        "partial": model.scan.partial,
        "totals": model.totals.to_json(),
        "buckets": [
            {
                "name": bucket.name,
                "family": bucket.family,
                "version": bucket.version,
                "status": bucket.status.value,
                "is_dir": bucket.is_dir,
                "allocated_bytes": bucket.sizes.allocated,
                "apparent_bytes": bucket.sizes.apparent,
                "reclaimable_bytes": bucket.sizes.reclaimable,
                "files": bucket.sizes.files,
            }
            for bucket in buckets
        ],
        "packages": (
            {
                "name": package.name,
                "versions": sorted(package.versions),
                "dirs": sorted(package.dirs),
                "archives": sorted(package.archive_ids),
                "index_pages": sorted(package.index_pages),
                "allocated_bytes": sizes.allocated,
                "reclaimable_bytes": sizes.reclaimable,
                **package_contents_json(contents, package.name),
            }
            for package in packages
            for sizes in [model.package_sizes(package)]
        ),
        "archives": (
            {
                "id": archive.archive_id,
                "label": archive.label,
                "environment": archive.is_environment,
                "referrers": list(archive.referrers),
                "dangling": not archive.referrers,
            }
            for archive in model.archives
        ),
        "environments": model.environments,
        "mount_points": model.mount_points,
        "cachedir_tag": {
            "present": model.cachedir_tag.present,
            "valid": model.cachedir_tag.valid,
        },
        "lock": {"state": model.lock.state.value, "holders": list(model.lock.holders)},
        "problems": [problem.to_json() for problem in model.scan.problems.samples],
        "problem_counts": {kind.value: count for kind, count in model.scan.problems.counts.items()},
        **contents_json(contents),
    }


def plan_json(plan: ActionPlan) -> dict[str, Any]:
    """The `--dry-run --json` document: the prediction and the exact command."""
    prediction = plan.prediction
    return {
        "action": plan.action.value,
        "cache": plan.cache,
        "uv_version": plan.uv_version,
        "command": plan.command,
        "argv": plan.argv,
        "packages": prediction.packages,
        "entries": [
            {
                "path": entry.path,
                "kind": entry.kind,
                "label": entry.label,
                "is_dir": entry.is_dir,
                "allocated_bytes": entry.sizes.allocated,
                "reclaimable_bytes": entry.sizes.reclaimable,
                "files": entry.sizes.files,
            }
            for entry in prediction.entries
        ],
        "totals": {
            "allocated_bytes": prediction.totals.allocated,
            "reclaimable_bytes": prediction.totals.reclaimable,
            "shrink_bytes": prediction.shrink_bytes,
            "files": prediction.totals.files,
            "dirs": prediction.totals.dirs,
        },
        "lock": {"state": plan.lock.state.value, "holders": list(plan.lock.holders)},
        "warnings": plan.warnings,
        "confirm_reasons": plan.confirm_reasons,
        "blockers": plan.blockers,
        "notes": prediction.notes,
    }


def result_json(result: ActionResult) -> dict[str, Any]:
    """`plan_json` plus what happened when uv ran."""
    document = plan_json(result.plan)
    document.update(
        {
            "ran": result.ran,
            "lock_busy": result.lock_busy,
            "uv_exit_code": result.uv_exit_code,
            "uv_removed_line": result.removed_line,
            "freed_bytes": result.freed_bytes,
            "cache_shrink_bytes": result.cache_shrink_bytes,
            "difference_bytes": result.difference,
            "still_present": result.still_present,
            "unpredicted": result.unpredicted,
            "removed_paths": len(result.removed),
            "interrupted": result.interrupted,
            "audit_log": result.audit_path,
            "audit_error": result.audit_error,
        }
    )
    return document
