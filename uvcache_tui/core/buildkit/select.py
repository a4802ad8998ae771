"""Which cache mount a user means: a record ID, a unique prefix of one, or a cache id.

One rule for every command that takes a MOUNT (`buildkit show`, `export`, …). Pruning keeps
its stricter rule (full IDs, or every record of a cache id, `prune._check_ids`): a prefix is
fine for reading a mount, never for deleting one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from uvcache_tui.core.buildkit.builders import DOCKER_DRIVER
from uvcache_tui.core.buildkit.records import BuilderInfo, BuildkitReport, CacheMountRecord

MIN_PREFIX = 4
"""Shorter prefixes are refused: they name too many records to be meant."""


@dataclass(frozen=True)
class MountChoice:
    """A cache mount and the builder whose store holds it."""

    builder: BuilderInfo
    mount: CacheMountRecord

    @property
    def label(self) -> str:
        """`default/wzcoqv9h… (/root/.cache/pip, id jsonbase-pip)`: enough to tell two apart."""
        mount = self.mount
        key = mount.cache_id or mount.target or "?"
        return f"{self.builder.name}/{mount.id} ({mount.target or '?'}, id {key})"


class MountNotFound(LookupError):
    """No mount, or more than one, matches: the message names the candidates."""

    def __init__(self, message: str, candidates: tuple[MountChoice, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


def cache_key(mount: CacheMountRecord) -> str | None:
    """What BuildKit keys the mount by: its explicit id, else its target."""
    return mount.cache_id or mount.target


def shows_cache_ids(info: BuilderInfo) -> bool:
    """Do the builder's records print their cache id (` with id "…"`, BuildKit >= 0.12,
    Engine >= 25)? Before that an explicit id is invisible: its records cannot be found."""
    if any(m.cache_id is not None for m in info.mounts):
        return True
    if info.driver == DOCKER_DRIVER and info.engine_version:
        major = re.match(r"(\d+)", info.engine_version)
        return major is not None and int(major.group(1)) >= 25
    version = re.match(r"v?(\d+)\.(\d+)", info.buildkit_version or "")
    if version and (int(version.group(1)), int(version.group(2))) != (0, 0):
        return (int(version.group(1)), int(version.group(2))) >= (0, 12)
    return True


def records_of_cache_id(info: BuilderInfo, text: str) -> tuple[CacheMountRecord, ...]:
    """Every listed record whose cache key (id, else target) is `text`, in any namespace."""
    wanted = text.strip()
    return tuple(m for m in info.mounts if wanted and cache_key(m) == wanted)


def resolve_mount(report: BuildkitReport, text: str, builder: str | None = None) -> MountChoice:
    """The one mount `text` names, in `builder` or in any builder listed.

    Tried in order, the first rule that matches anything decides: the full record ID, a
    unique ID prefix (at least MIN_PREFIX characters), the cache key (id, or target).
    """
    wanted = text.strip()
    if not wanted:
        raise MountNotFound("no MOUNT given: pass a record ID, an ID prefix or a cache id")
    choices = [
        MountChoice(info, mount)
        for info in report.builders
        if builder is None or info.name == builder
        for mount in info.mounts
    ]
    if builder is not None and not any(info.name == builder for info in report.builders):
        names = ", ".join(info.name for info in report.builders) or "none"
        raise MountNotFound(f"no builder {builder!r} (builders: {names})")
    rules = (
        ("record ID", lambda c: c.mount.id == wanted),
        (
            "ID prefix",
            lambda c: len(wanted) >= MIN_PREFIX and c.mount.id.startswith(wanted),
        ),
        ("cache id", lambda c: cache_key(c.mount) == wanted),
    )
    for what, matches in rules:
        found = tuple(c for c in choices if matches(c))
        if len(found) == 1:
            return found[0]
        if found:
            listed = "; ".join(c.label for c in found)
            raise MountNotFound(
                f"{wanted!r} is the {what} of {len(found)} cache mounts: {listed}. "
                "Give a full record ID (or --builder)",
                found,
            )
    where = f"builder {builder}" if builder else "any builder"
    raise MountNotFound(
        f"no cache mount {wanted!r} in {where}"
        + (f" (cache mounts: {'; '.join(c.label for c in choices[:8])})" if choices else ""),
        (),
    )
