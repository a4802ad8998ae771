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
    commands = read_commands(step.command)
    cleans = any(i.cleans_cache for i in commands.invocations)
    runs: list[UvRun] = []
    seen: set[str | None] = set()
    for invocation in commands.invocations:
        if not invocation.uses_cache:
            continue
        cache = resolve_cache_dir(step, invocation, accounts)
        if cache.path in seen:
            continue
        seen.add(cache.path)
        mount = covering_mount(step, cache.path) if cache.path else None
        removes = bool(cache.path) and any(
            is_within(cache.path or "", posixpath.join(step.workdir, p).rstrip("/") or "/")
            for p in commands.removed_paths
        )
        runs.append(UvRun(step, invocation, cache, mount, cleans, removes))
    return runs
