"""List a builder's records, and remove what a helper build left, by anchored ID.

A helper build leaves records (buildkit-cache.md §7.5): its exec layer (`mount / from
exec … <nonce> …`), a cache-mount record when the key did not exist (it carries the nonce
too), the `fileop target` / `[internal] setting cache mount permissions` record under a
uid/gid/mode mount it created, and `local source for context` records (the importer's
hold a full copy of the tarball). Each is pruned with its own `^ID$` request, never a
broader filter; records of anything else, even if created meanwhile, are left alone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from uvcache_tui.core.buildkit.builders import ResolvedBuilder
from uvcache_tui.core.buildkit.buildx import BuildxError, buildx_du, buildx_prune
from uvcache_tui.core.buildkit.engine import EngineError, connect, list_engine
from uvcache_tui.core.buildkit.engine import prune as engine_prune
from uvcache_tui.core.buildkit.records import CACHE_MOUNT_TYPE, BuildCacheRecord

LOCAL_SOURCE = "local source for "
CLEANUP_SECONDS = 15.0
"""How long to retry records still held for a moment after the build returned."""


@dataclass(frozen=True)
class CleanupResult:
    """What a helper's cleanup found: pruned IDs, IDs it could not remove, and the cache
    mounts the helper created (the reader's key did not exist; the importer's new cache)."""

    pruned: tuple[str, ...] = ()
    left: tuple[str, ...] = ()
    created_mounts: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def list_records(resolved: ResolvedBuilder, timeout: float) -> tuple[BuildCacheRecord, ...]:
    """Every build-cache record of the builder now; raises EngineError or BuildxError."""
    if resolved.info.source == "engine-api":
        if resolved.engine is None:
            raise EngineError(f"builder {resolved.info.name}: no engine endpoint")
        client = connect(resolved.engine, timeout)
        try:
            return list_engine(client, resolved.engine.host, timeout).records
        finally:
            client.close()
    tools = resolved.tools
    if tools.docker_cli is None or tools.buildx is None:
        raise BuildxError("docker buildx not found")
    return tuple(
        buildx_du(tools.docker_cli, tools.env, timeout, resolved.info.name, tools.buildx[1])
    )


BUSY = "already running"
"""dockerd answers `/system/df` with HTTP 500 "a disk usage operation is already running"
while another listing runs: worth asking again a moment later."""


def list_records_patiently(
    resolved: ResolvedBuilder, timeout: float, seconds: float = CLEANUP_SECONDS
) -> tuple[BuildCacheRecord, ...]:
    """`list_records`, asked again while the engine is busy with another listing."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return list_records(resolved, timeout)
        except (EngineError, BuildxError) as exc:
            if BUSY not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.5)


def prune_ids(resolved: ResolvedBuilder, ids: list[str], timeout: float) -> set[str]:
    """One anchored request per ID (no type filter: exec layers are `regular`)."""
    deleted: set[str] = set()
    if not ids:
        return deleted
    if resolved.info.source == "engine-api":
        if resolved.engine is None:
            raise EngineError(f"builder {resolved.info.name}: no engine endpoint")
        client = connect(resolved.engine, timeout)
        try:
            for record_id in ids:
                response = engine_prune(client, {"id": f"^{record_id}$"}, False, timeout)
                deleted.update(response.deleted)
        finally:
            client.close()
        return deleted
    tools = resolved.tools
    if tools.docker_cli is None:
        raise BuildxError("docker CLI not found")
    for record_id in ids:
        response = buildx_prune(
            tools.docker_cli,
            tools.env,
            timeout,
            resolved.info.name,
            {"id": f"^{record_id}$"},
            False,
        )
        deleted.update(response.deleted)
    return deleted


def helper_records(
    records: tuple[BuildCacheRecord, ...], before: set[str], nonce: str, keep_mounts: bool
) -> tuple[list[str], list[str]]:
    """(IDs to prune, children first; cache mounts the helper created)."""
    new = {r.id: r for r in records if r.id not in before}
    marked = [r for r in new.values() if nonce in r.description]
    mounts = [r.id for r in marked if r.type == CACHE_MOUNT_TYPE]
    kept = set(mounts) if keep_mounts else set()
    targets = [r.id for r in marked if r.id not in kept]
    queue = [r for r in marked if r.id not in kept]
    while queue:  # a new base record under a pruned one (uid/gid/mode mkdir) goes too
        record = queue.pop()
        for parent in record.parents:
            # a shared parent is an image's layers (`FROM <uv image>`): the image keeps it
            shared = parent in new and new[parent].shared
            if parent in new and parent not in targets and parent not in kept and not shared:
                targets.append(parent)
                queue.append(new[parent])
    targets += [
        r.id for r in new.values() if r.description.startswith(LOCAL_SOURCE) and r.id not in targets
    ]
    return targets, mounts


def cleanup_helper(
    resolved: ResolvedBuilder,
    before: set[str],
    nonce: str,
    timeout: float,
    keep_mounts: bool = False,
) -> CleanupResult:
    """Prune the records a helper build carrying `nonce` left; retried for a few seconds
    while BuildKit still holds them. Never raises for Docker problems (see `errors`)."""
    deadline = time.monotonic() + CLEANUP_SECONDS
    pruned: set[str] = set()
    created: list[str] = []
    errors: list[str] = []
    remaining: list[str] = []
    while True:
        try:
            records = list_records_patiently(resolved, timeout)
        except (EngineError, BuildxError) as exc:
            errors.append(f"could not list the builder to remove the helper's records: {exc}")
            break
        targets, mounts = helper_records(records, before, nonce, keep_mounts)
        created = sorted(set(created) | set(mounts))
        remaining = [t for t in targets if t not in pruned]
        if not remaining or time.monotonic() > deadline:
            break
        try:
            pruned |= prune_ids(resolved, remaining, timeout) & set(remaining)
        except (EngineError, BuildxError) as exc:
            errors.append(f"could not remove the helper's records: {exc}")
            break
        if all(t in pruned for t in remaining):
            remaining = []
            # parents freed by this round are found by listing again
            continue
        time.sleep(0.3)
    return CleanupResult(
        pruned=tuple(sorted(pruned)),
        left=tuple(sorted(set(remaining) - pruned)),
        created_mounts=tuple(created),
        errors=tuple(errors),
    )
