"""JSON-ready views of the core's data, shared by `--json` output and tests."""

from __future__ import annotations

from typing import Any

from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.model import Location


def location_json(location: Location, allocated: int | None) -> dict[str, Any]:
    return {
        "kind": location.kind.value,
        "path": location.path,
        "source": location.source,
        "active": location.active,
        "is_cache": location.kind.is_cache,
        "allocated_bytes": allocated,
    }


def cache_json(model: CacheModel) -> dict[str, Any]:
    """The `show --json` document (schema in docs/json.md)."""
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
            for bucket in model.buckets
        ],
        "packages": [
            {
                "name": package.name,
                "versions": sorted(package.versions),
                "dirs": sorted(package.dirs),
                "archives": sorted(package.archive_ids),
                "allocated_bytes": sizes.allocated,
                "reclaimable_bytes": sizes.reclaimable,
            }
            for package in model.packages
            for sizes in [model.package_sizes(package)]
        ],
        "archives": [
            {
                "id": archive.archive_id,
                "label": archive.label,
                "environment": archive.is_environment,
                "referrers": list(archive.referrers),
                "dangling": not archive.referrers,
            }
            for archive in model.archives
        ],
        "environments": model.environments,
        "cachedir_tag": {
            "present": model.cachedir_tag.present,
            "valid": model.cachedir_tag.valid,
        },
        "lock": {"state": model.lock.state.value, "holders": list(model.lock.holders)},
        "problems": [problem.to_json() for problem in model.scan.problems.samples],
        "problem_counts": {
            kind.value: count for kind, count in model.scan.problems.counts.items()
        },
    }
