"""Build-cache records, cache mounts and builders: dataclasses plus pure parsing.

The Engine API and `docker buildx du` describe the same BuildKit records in different
shapes; both readers normalise into `BuildCacheRecord` here, so that description parsing,
classification and flags exist exactly once and can be tested on recorded outputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from uvcache_tui.core.buildkit.gc import GCRule
from uvcache_tui.core.buildkit.values import (
    go_unquote,
    iso,
)

CACHE_MOUNT_TYPE = "exec.cachemount"

KINDS = ("uv", "pip", "apt", "npm", "go", "cargo", "other")

SIZE_NOTE = "as last computed by BuildKit — often stale for cache mounts"

FLAG_UNEXPANDED = "unexpanded-variable"
FLAG_UNPARSED = "unparsed-description"


def not_reachable(reason: str) -> str:
    """The one error string shown when an engine or builder cannot be asked."""
    return f"Docker: not reachable — {reason}"


@dataclass(frozen=True)
class BuildCacheRecord:
    """One BuildKit build-cache record, whatever reported it.

    `size_exact` is False when the size was parsed back from a human string printed by
    buildx (`"382kB"`); `last_used_text` keeps buildx's "About a minute ago" when no
    timestamp is available.
    """

    id: str
    type: str
    description: str = ""
    size_bytes: int | None = None
    size_exact: bool = True
    size_text: str | None = None
    created_at: datetime | None = None
    last_used_at: datetime | None = None
    last_used_text: str | None = None
    usage_count: int | None = None
    in_use: bool | None = None
    shared: bool | None = None
    mutable: bool | None = None
    parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParsedDescription:
    """The parts of `cached mount <dest> from exec <cmd>[ with id "<ns>/<id>"]`."""

    target: str
    command: str
    cache_id: str | None
    namespace: str | None


@dataclass(frozen=True)
class CacheMountRecord:
    """An `exec.cachemount` record with its description parsed and classified."""

    id: str
    target: str | None
    cache_id: str | None
    namespace: str | None
    command: str | None
    description: str
    kind: str
    size_bytes: int | None
    size_exact: bool
    size_text: str | None
    created_at: datetime | None
    last_used_at: datetime | None
    last_used_text: str | None
    usage_count: int | None
    in_use: bool | None
    shared: bool | None
    flags: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `--json` output (documented in docs/buildkit.md)."""
        return {
            "id": self.id,
            "target": self.target,
            "cache_id": self.cache_id,
            "namespace": self.namespace,
            "command": self.command,
            "description": self.description,
            "kind": self.kind,
            "size_bytes": self.size_bytes,
            "size_exact": self.size_exact,
            "size_text": self.size_text,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "last_used_text": self.last_used_text,
            "usage_count": self.usage_count,
            "in_use": self.in_use,
            "shared": self.shared,
            "flags": list(self.flags),
        }


@dataclass(frozen=True)
class BuilderInfo:
    """A builder with its cache mounts, or with the error that kept us from reading it.

    `source` says where the records came from: `"engine-api"` (docker driver, exact bytes
    through docker-py) or `"buildx-du"` (other drivers, sizes parsed from human strings).
    `context`/`host` are set for docker-driver builders.
    """

    name: str
    driver: str
    endpoint: str | None = None
    status: str | None = None
    buildkit_version: str | None = None
    current: bool | None = None
    error: str | None = None
    source: str | None = None
    context: str | None = None
    host: str | None = None
    api_version: str | None = None
    engine_version: str | None = None
    gc_policy: tuple[GCRule, ...] = ()
    mounts: tuple[CacheMountRecord, ...] = ()
    records: tuple[BuildCacheRecord, ...] = ()
    listed: bool = False

    @property
    def size_exact(self) -> bool:
        """True when sizes are byte counts rather than parsed human strings."""
        return self.source == "engine-api"

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `--json` output (documented in docs/buildkit.md)."""
        known = [m.size_bytes for m in self.mounts if m.size_bytes is not None]
        return {
            "name": self.name,
            "driver": self.driver,
            "endpoint": self.endpoint,
            "status": self.status,
            "buildkit_version": self.buildkit_version,
            "current": self.current,
            "error": self.error,
            "source": self.source,
            "context": self.context,
            "host": self.host,
            "api_version": self.api_version,
            "engine_version": self.engine_version,
            "gc_policy": [rule.to_json() for rule in self.gc_policy],
            "size_note": SIZE_NOTE,
            "record_count": len(self.records) if self.listed else None,
            "mount_count": len(self.mounts) if self.listed else None,
            "mounts_size_bytes": sum(known) if self.listed else None,
            "mounts": [m.to_json() for m in self.mounts],
        }


@dataclass(frozen=True)
class BuildkitReport:
    """Every builder we found, plus what we learned about the tools on the way."""

    builders: tuple[BuilderInfo, ...]
    docker_cli: str | None = None
    buildx_version: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `buildkit ls --json`."""
        return {
            "docker_cli": self.docker_cli,
            "buildx_version": self.buildx_version,
            "warnings": list(self.warnings),
            "builders": [b.to_json() for b in self.builders],
        }


# --- description -----------------------------------------------------------------------

_DESCRIPTION_RE = re.compile(
    r'^cached mount (?P<dest>.+?) from exec (?P<cmd>.*?)(?: with id (?P<qid>"(?:[^"\\]|\\.)*"))?$',
    re.DOTALL,
)


def parse_description(description: str) -> ParsedDescription | None:
    """Split a cache-mount description; None when it is not in the known format.

    The id suffix exists only on BuildKit >= 0.12 (Engine >= 25); its namespace is the part
    before the first `/` (empty unless BUILDKIT_CACHE_MOUNT_NS was set).
    """
    match = _DESCRIPTION_RE.match(description)
    if match is None:
        return None
    qid = match.group("qid")
    cache_id: str | None = None
    namespace: str | None = None
    if qid is not None:
        full = go_unquote(qid)
        namespace, sep, rest = full.partition("/")
        cache_id = rest if sep else full
        if not sep:
            namespace = None
    return ParsedDescription(
        target=match.group("dest"),
        command=match.group("cmd"),
        cache_id=cache_id,
        namespace=namespace,
    )


# --- classification --------------------------------------------------------------------

_VARIABLE_KINDS = (
    ("UV_CACHE_DIR", "uv"),
    ("PIP_CACHE_DIR", "pip"),
    ("GOMODCACHE", "go"),
    ("GOCACHE", "go"),
    ("GOPATH", "go"),
    ("CARGO_HOME", "cargo"),
    ("NPM_CONFIG_CACHE", "npm"),
)

_COMMAND_PATTERNS = (
    ("uv", re.compile(r"(?<![\w.-])(?:[\w./-]*/)?uvx?(?![\w.-])")),
    ("pip", re.compile(r"(?<![\w.-])(?:[\w./-]*/)?pip(?:3(?:\.\d+)?)?(?![\w.-])|-m\s+pip\b")),
    ("apt", re.compile(r"(?<![\w.-])(?:[\w./-]*/)?(?:apt-get|apt|aptitude)(?![\w.-])")),
    ("npm", re.compile(r"(?<![\w.-])(?:[\w./-]*/)?(?:npm|npx)(?![\w.-])")),
    (
        "go",
        re.compile(
            r"(?<![\w.-])(?:[\w./-]*/)?go\s+(?:build|mod|install|get|test|generate|run|vet)\b"
        ),
    ),
    ("cargo", re.compile(r"(?<![\w.-])(?:[\w./-]*/)?cargo(?![\w.-])")),
)


def _kind_from_path(path: str) -> str | None:
    """Recognise well-known cache directories (and unexpanded variable names) in a path."""
    upper = path.upper()
    for variable, kind in _VARIABLE_KINDS:
        if variable in upper:
            return kind
    lowered = path.lower().replace("\\", "/")
    if lowered.startswith(("/var/cache/apt", "/var/lib/apt")):
        return "apt"
    if "/pkg/mod" in lowered or lowered.endswith("pkg/mod"):
        return "go"
    components = [c for c in lowered.split("/") if c]
    for component in reversed(components):
        tokens = set(re.split(r"[-_.]", component)) - {""}
        if "uv" in tokens:
            return "uv"
        if tokens & {"pip", "pip3"}:
            return "pip"
        if "apt" in tokens:
            return "apt"
        if "npm" in tokens or component == "_cacache":
            return "npm"
        if component in ("go-build", "gocache", "gomodcache"):
            return "go"
        if "cargo" in tokens:
            return "cargo"
    return None


def _kind_from_command(command: str) -> str | None:
    """Guess the tool from the RUN command: uv wins, otherwise only an unambiguous match."""
    hits = [kind for kind, pattern in _COMMAND_PATTERNS if pattern.search(command)]
    if "uv" in hits:
        return "uv"
    return hits[0] if len(hits) == 1 else None


def classify(target: str | None, cache_id: str | None, command: str | None) -> str:
    """Which package manager's cache a mount holds: uv|pip|apt|npm|go|cargo|other.

    Paths are decisive (several mounts of one RUN share its command text); the command is
    only a fallback for mounts at unrecognised paths.
    """
    for path in (target, cache_id):
        if path:
            kind = _kind_from_path(path)
            if kind is not None:
                return kind
    if command:
        kind = _kind_from_command(command)
        if kind is not None:
            return kind
    return "other"


def mount_flags(target: str | None, cache_id: str | None, parsed: bool) -> tuple[str, ...]:
    """Warnings about a mount.

    A `$` in the target means the Dockerfile frontend did not expand the variable (Engine
    < 23): the mount landed on a literal path, and the cache most likely went into the
    image layer instead.
    """
    flags: list[str] = []
    if not parsed:
        flags.append(FLAG_UNPARSED)
    if (target and "$" in target) or (cache_id and "$" in cache_id):
        flags.append(FLAG_UNEXPANDED)
    return tuple(flags)


def mount_from_record(record: BuildCacheRecord) -> CacheMountRecord:
    """Turn an `exec.cachemount` record into a classified cache mount."""
    parsed = parse_description(record.description)
    target = parsed.target if parsed else None
    cache_id = parsed.cache_id if parsed else None
    command = parsed.command if parsed else None
    return CacheMountRecord(
        id=record.id,
        target=target,
        cache_id=cache_id,
        namespace=parsed.namespace if parsed else None,
        command=command,
        description=record.description,
        kind=classify(target, cache_id, command),
        size_bytes=record.size_bytes,
        size_exact=record.size_exact,
        size_text=record.size_text,
        created_at=record.created_at,
        last_used_at=record.last_used_at,
        last_used_text=record.last_used_text,
        usage_count=record.usage_count,
        in_use=record.in_use,
        shared=record.shared,
        flags=mount_flags(target, cache_id, parsed is not None),
    )


def cache_mounts(records: Iterable[BuildCacheRecord]) -> tuple[CacheMountRecord, ...]:
    """The cache mounts among `records`, most recently used first."""
    mounts = [mount_from_record(r) for r in records if r.type == CACHE_MOUNT_TYPE]
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    mounts.sort(key=lambda m: (m.last_used_at or m.created_at or epoch, m.id), reverse=True)
    return tuple(mounts)


# --- values ----------------------------------------------------------------------------
