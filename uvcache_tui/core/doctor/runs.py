"""The RUNs that run uv: each invocation's cache dir and the cache mount that holds it."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from uvcache_tui.core.dockerfile.mounts import MountSpec
from uvcache_tui.core.dockerfile.stages import RunStep
from uvcache_tui.core.doctor.cachedir import Account, CacheDir, is_within, resolve_cache_dir
from uvcache_tui.core.doctor.commands import UvInvocation, read_commands


@dataclass(frozen=True)
class UvRun:
    """A RUN, one uv invocation in it, the cache dir it uses and the mount that holds it."""

    step: RunStep
    invocation: UvInvocation
    cache: CacheDir
    mount: MountSpec | None
    cleans: bool
    removes_cache: bool


def covering_mount(step: RunStep, path: str) -> MountSpec | None:
    mounts = [m for m in step.mounts if m.is_cache and m.target and is_within(path, m.target)]
    return max(mounts, key=lambda m: len(m.target or "")) if mounts else None


def uv_runs(step: RunStep, accounts: list[Account]) -> list[UvRun]:
    """One UvRun per cache dir used in the RUN; of several invocations sharing one, the
    first that installs into an environment speaks for them (its link mode matters)."""
    commands = read_commands(step.command)
    cleans = any(i.cleans_cache for i in commands.invocations)
    by_dir: dict[str | None, UvRun] = {}
    for invocation in commands.invocations:
        if not invocation.uses_cache:
            continue
        cache = resolve_cache_dir(step, invocation, accounts)
        kept = by_dir.get(cache.path)
        if kept is not None and (
            kept.invocation.links_into_environment or not invocation.links_into_environment
        ):
            continue
        mount = covering_mount(step, cache.path) if cache.path else None
        removes = bool(cache.path) and any(
            is_within(cache.path or "", posixpath.join(step.workdir, p).rstrip("/") or "/")
            for p in commands.removed_paths
        )
        by_dir[cache.path] = UvRun(step, invocation, cache, mount, cleans, removes)
    return list(by_dir.values())
