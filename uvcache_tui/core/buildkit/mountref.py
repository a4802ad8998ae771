"""Which builder and which cache mount a command acts on, and the key to mount it with.

One place for `buildkit show/export/import` (and the TUI later): list, resolve MOUNT with
`select.resolve_mount` (its wording for unknown and ambiguous names), then resolve that
mount's builder so a helper build can reach it. The record kept is the one listed
*before* any helper build: every read bumps UsageCount and LastUsedAt.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from uvcache_tui.core.buildkit.budget import DEFAULT_TIMEOUT
from uvcache_tui.core.buildkit.builders import (
    ResolvedBuilder,
    list_builders,
    resolve_builder,
)
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.helper_build import HelperError
from uvcache_tui.core.buildkit.records import BuildkitReport, CacheMountRecord
from uvcache_tui.core.buildkit.select import MountChoice, cache_key, resolve_mount
from uvcache_tui.core.buildkit.select import shows_cache_ids as builder_shows_cache_ids


class BuilderUnavailable(HelperError):
    """The builder could not be listed (engine down, not answering, unknown builder)."""


@dataclass(frozen=True)
class KeyOptions:
    """What the user said about the key; None = take it from the record (or manifest)."""

    id: str | None = None
    uid: int | None = None
    gid: int | None = None
    mode: int | None = None


@dataclass(frozen=True)
class LocatedMount:
    """A cache mount as listed before any helper build, its builder ready to build on."""

    choice: MountChoice
    resolved: ResolvedBuilder
    warnings: tuple[str, ...] = ()

    @property
    def mount(self) -> CacheMountRecord:
        return self.choice.mount


def _unavailable(report: BuildkitReport, builder: str | None) -> str | None:
    """The builder's error when none of the builders asked for could be listed."""
    wanted = [b for b in report.builders if builder is None or b.name == builder]
    if wanted and not any(b.listed for b in wanted):
        return "; ".join(f"{b.name}: {b.error or 'could not be listed'}" for b in wanted)
    return None


def ready_builder(
    name: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> ResolvedBuilder:
    """The builder `name` (default: current), listed; BuilderUnavailable if it cannot be."""
    resolved = resolve_builder(name, timeout, env, connect_timeout)
    if resolved.info.error or not resolved.info.listed:
        raise BuilderUnavailable(
            f"builder {resolved.info.name}: {resolved.info.error or 'could not be listed'}"
        )
    return resolved


def locate_mount(
    text: str,
    builder: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    connect_timeout: float | None = None,
    env: Mapping[str, str] | None = None,
) -> LocatedMount:
    """The mount MOUNT names (record ID, unique prefix, cache id) and its builder.

    Raises select.MountNotFound (unknown, ambiguous) or BuilderUnavailable.
    """
    report = list_builders(timeout, builder, env, connect_timeout)
    problem = _unavailable(report, builder)
    if problem:
        raise BuilderUnavailable(problem)
    choice = resolve_mount(report, text, builder)
    resolved = ready_builder(choice.builder.name, timeout, connect_timeout, env)
    return LocatedMount(choice, resolved, report.warnings)


def candidate_keys(mount: CacheMountRecord | None, options: KeyOptions) -> tuple[CacheKey, ...]:
    """The keys to try, best first: the user's `--id/--uid/--gid/--mode`, else the
    record's id (or target). A record does not show uid/gid/mode: a mount written with
    them needs them.

    BuildKit < 0.12 prints no id, and its target is joined to WORKDIR while the key is
    the raw target (§5.1, §6): for `/build/${UV_CACHE_DIR}` the key is `${UV_CACHE_DIR}`,
    so the part from the first component with a `$` is tried second.
    """
    if options.id:
        ids = [options.id]
    elif mount is None or not cache_key(mount):
        raise ValueError("no cache id: pass --id (the record shows no id or target)")
    else:
        ids = [cache_key(mount) or ""]
        parts = (mount.target or "").split("/")
        dollar = next((i for i, part in enumerate(parts) if "$" in part), None)
        if mount.cache_id is None and dollar not in (None, 0):
            ids.append("/".join(parts[dollar:]))
    namespace = (mount.namespace or "") if mount is not None and not options.id else ""
    return tuple(
        CacheKey(cache_id, options.uid, options.gid, options.mode, namespace) for cache_id in ids
    )


def mounts_of_key(resolved: ResolvedBuilder, key: CacheKey) -> tuple[CacheMountRecord, ...]:
    """The listed records whose cache id (or, without one, target) is the key's id."""
    return tuple(
        m
        for m in resolved.info.mounts
        if cache_key(m) == key.id and (m.namespace or "") == key.namespace
    )


def shows_cache_ids(resolved: ResolvedBuilder) -> bool:
    """Do the builder's records print their cache id (`select.shows_cache_ids`)?"""
    return builder_shows_cache_ids(resolved.info)
