"""The model of a cache after an action: only what uv changed is read again (`scan.rescan`)."""

from __future__ import annotations

from uvcache_tui.core.cache import CacheModel, build_model, complete_model, load_cache
from uvcache_tui.core.scan.rescan import FullWalkNeeded, TreeChange, rescan_after


def reload_cache(before: CacheModel, change: TreeChange) -> tuple[CacheModel, str | None]:
    """The model after `change`: the scan before with the change applied (it takes over
    `before`'s scan), or a full `load_cache` where that cannot be exact; with the reason
    for a full walk, or None."""
    try:
        result = rescan_after(before.scan, change)
    except FullWalkNeeded as exc:
        return load_cache(before.path, before.table, active=before.active), str(exc)
    model = build_model(result, before.table)
    return complete_model(model, before.active, None, before.host_paths), None
