"""The builder side: which builder a build would use, its versions, and the cache-mount
records that the Dockerfile's uv mounts map to (matched by BuildKit's key, as
`buildkit.select.cache_key` reads it from a record).

Records made before BuildKit 0.12 carry no id in their description: those are matched by
their mount point instead, which is what the key falls back to there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from uvcache_tui.core.buildkit.builders import resolve_builder
from uvcache_tui.core.buildkit.gc import describe_gc_policy, describe_gc_rule
from uvcache_tui.core.buildkit.records import BuilderInfo, CacheMountRecord
from uvcache_tui.core.buildkit.select import cache_key
from uvcache_tui.core.buildkit.texts import last_used, mount_size
from uvcache_tui.core.doctor.report import DockerfileDiagnosis, MountRef
from uvcache_tui.core.words import counted

EPHEMERAL_DRIVERS = ("kubernetes", "remote")


@dataclass(frozen=True)
class MountRecords:
    """The records on the builder for one cache mount of a uv RUN."""

    line: int
    mount: MountRef
    records: tuple[CacheMountRecord, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "target": self.mount.target,
            "cache_id": self.mount.cache_id,
            "records": [
                {
                    "id": r.id,
                    "target": r.target,
                    "command": r.command,
                    "size_bytes": r.size_bytes,
                    "size_exact": r.size_exact,
                    "usage_count": r.usage_count,
                    "last_used_at": r.last_used_at.isoformat() if r.last_used_at else None,
                    "in_use": r.in_use,
                }
                for r in self.records
            ],
        }


@dataclass(frozen=True)
class EngineCheck:
    """What the builder says, or why it could not be asked."""

    builder: BuilderInfo | None
    error: str | None
    mounts: tuple[MountRecords, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def engine_version(self) -> str | None:
        return self.builder.engine_version if self.builder else None

    @property
    def buildkit_version(self) -> str | None:
        return self.builder.buildkit_version if self.builder else None

    def to_json(self) -> dict[str, Any]:
        info = self.builder
        return {
            "builder": info.name if info else None,
            "driver": info.driver if info else None,
            "engine_version": self.engine_version,
            "buildkit_version": self.buildkit_version,
            "error": self.error,
            "gc_policy": [describe_gc_rule(rule) for rule in info.gc_policy] if info else [],
            "mounts": [m.to_json() for m in self.mounts],
            "notes": list(self.notes),
        }


def read_builder(
    name: str | None, timeout: float, env: Mapping[str, str] | None = None
) -> EngineCheck:
    """The builder a build would use (`name`, else the current one), read once."""
    try:
        info = resolve_builder(name, timeout=timeout, env=env, connect_timeout=timeout).info
    except ValueError as exc:
        return EngineCheck(None, str(exc))
    if info.error:
        return EngineCheck(info, info.error)
    return EngineCheck(info, None)


def _matches(record: CacheMountRecord, mount: MountRef) -> bool:
    key = cache_key(record)
    if record.cache_id is not None:
        return key == mount.cache_id
    return key == mount.target


def match_records(check: EngineCheck, diagnosis: DockerfileDiagnosis) -> EngineCheck:
    """The check with the records of every cache mount of every uv RUN, and its notes."""
    info = check.builder
    if info is None or check.error:
        return check
    found: list[MountRecords] = []
    seen: set[tuple[int, str]] = set()
    for run in diagnosis.runs:
        for mount in run.cache_mounts:
            if (run.line, mount.text) in seen:
                continue
            seen.add((run.line, mount.text))
            records = tuple(r for r in info.mounts if _matches(r, mount))
            found.append(MountRecords(run.line, mount, records))
    return EngineCheck(info, None, tuple(found), builder_notes(info))


def ephemeral_note(info: BuilderInfo) -> str | None:
    """Why the builder's cache mounts may not outlive the job, if its driver says so."""
    if info.driver in EPHEMERAL_DRIVERS or info.driver == "docker-container":
        return (
            f"builder {info.name} uses the {info.driver} driver: its cache mounts live only "
            "as long as the builder's state (a CI job on pods, a container without a "
            "persistent volume); export and import the cache to keep it between jobs"
        )
    return None


def gc_note(info: BuilderInfo) -> str | None:
    """The builder's GC policy in words, if it reports one."""
    if not info.gc_policy:
        return None
    rules = "; ".join(describe_gc_policy(info.gc_policy))
    return f"garbage collection on {info.name}: {rules} (cache mounts go first)"


def builder_notes(info: BuilderInfo) -> tuple[str, ...]:
    """What a builder's driver and GC policy mean for its cache mounts."""
    return tuple(note for note in (ephemeral_note(info), gc_note(info)) if note)


def describe_record(record: CacheMountRecord, now: datetime) -> str:
    """`record abc123 (4.2 MB, used 3 times, last used 2 hours ago)`."""
    parts = [mount_size(record)]
    if record.usage_count is not None:
        parts.append(f"used {counted(record.usage_count, 'time')}")
    parts.append(f"last used {last_used(record, now)}")
    return f"record {record.id[:12]} ({', '.join(parts)})"
