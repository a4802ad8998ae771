"""`docker buildx ls/du/prune` with timeouts, and parsers for each buildx version's output.

Formats differ by version (see docs/buildkit.md): `ls --format json` exists from 0.13,
repeats each builder once per node before 0.21 and has `Current` only from 0.24; `du`
prints `Key:\\tvalue` blocks with `--verbose` (`Parent:` before 0.28, `Parents:` + ` - id`
lines after) and NDJSON with human-readable strings from 0.28 (`--format json`).

Over 400 lines because each command (`ls`, `du`, `prune`) sits next to the parsers of every
buildx version's output of it: a format change is read and fixed in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from uvcache_tui.core.buildkit.engine import PruneResponse, check_filters
from uvcache_tui.core.buildkit.gc import GCRule, parse_gc_policy
from uvcache_tui.core.buildkit.records import BuildCacheRecord, not_reachable
from uvcache_tui.core.buildkit.values import (
    optional_int,
    parse_bool,
    parse_human_size,
    parse_timestamp,
)
from uvcache_tui.core.proc import (
    CommandNotFound,
    CommandResult,
    CommandTimeout,
    run_command,
)

Version = tuple[int, int, int]


class BuildxError(Exception):
    """A buildx call failed; `str()` is the message to show."""


@dataclass(frozen=True)
class BuildxNode:
    """One node of a builder as `buildx ls` reports it."""

    name: str
    endpoint: str | None = None
    status: str | None = None
    version: str | None = None
    platforms: tuple[str, ...] = ()
    gc_policy: tuple[GCRule, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class BuildxBuilder:
    """One builder as `buildx ls` reports it; `current` is None when buildx didn't say."""

    name: str
    driver: str
    current: bool | None = None
    nodes: tuple[BuildxNode, ...] = ()
    error: str | None = None


# --- running ---------------------------------------------------------------------------


_CONNECT_ERRORS = (
    "cannot connect to the docker daemon",
    "permission denied",
    "no such file or directory",
    "connection refused",
    "is the docker daemon running",
)


def error_from_output(result: CommandResult) -> str:
    """The last meaningful stderr line, worded as 'not reachable' for connection failures."""
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    message = lines[-1] if lines else f"exit status {result.returncode}"
    message = re.sub(r"^(ERROR|error):\s*", "", message)
    if any(marker in message.lower() for marker in _CONNECT_ERRORS):
        return not_reachable(message)
    return f"buildx: {message}"


def run_docker(
    docker_cli: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
) -> CommandResult:
    """Run `docker ARGS`; timeouts and a missing CLI become BuildxError."""
    try:
        return run_command([docker_cli, *args], timeout=timeout, env=env)
    except CommandTimeout as exc:
        raise BuildxError(not_reachable(str(exc))) from exc
    except CommandNotFound as exc:
        raise BuildxError(not_reachable(str(exc))) from exc


_VERSION_RE = re.compile(r"\bv?(\d+)\.(\d+)\.(\d+)")


def parse_buildx_version(text: str) -> tuple[str, Version] | None:
    """`github.com/docker/buildx v0.29.1 abc` or `... 0.13.1+ds1 ...` → ("0.29.1", (0, 29, 1))."""
    for line in text.splitlines():
        if "buildx" not in line:
            continue
        match = _VERSION_RE.search(line.split("buildx", 1)[1])
        if match:
            parts = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
            return ".".join(str(p) for p in parts), parts
    return None


def buildx_version(
    docker_cli: str, env: Mapping[str, str], timeout: float
) -> tuple[str, Version] | None:
    """The buildx plugin's version, or None when the plugin is not installed."""
    try:
        result = run_command([docker_cli, "buildx", "version"], timeout=timeout, env=env)
    except (CommandTimeout, CommandNotFound):
        return None
    if result.returncode != 0:
        return None
    return parse_buildx_version(result.stdout)


# --- ls --------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, (str, int, float)) and str(value) != "" else None


def _node_from_json(data: Mapping[str, Any]) -> BuildxNode:
    platforms = data.get("Platforms") or []
    return BuildxNode(
        name=str(data.get("Name") or ""),
        endpoint=_text(data.get("Endpoint")),
        status=_text(data.get("Status")),
        version=_text(data.get("Version")),
        platforms=tuple(str(p) for p in platforms) if isinstance(platforms, list) else (),
        gc_policy=parse_gc_policy(data.get("GCPolicy")),
        error=_text(data.get("Err")),
    )


def parse_ls_json(text: str) -> list[BuildxBuilder]:
    """`buildx ls --format json` (NDJSON); duplicates (buildx < 0.21) are dropped by Name."""
    stripped = text.strip()
    objects: list[Any] = []
    if stripped.startswith("["):
        loaded = json.loads(stripped)
        objects = loaded if isinstance(loaded, list) else []
    else:
        objects = [json.loads(line) for line in stripped.splitlines() if line.strip()]
    builders: dict[str, BuildxBuilder] = {}
    for obj in objects:
        if not isinstance(obj, Mapping) or not obj.get("Name"):
            continue
        name = str(obj["Name"])
        if name in builders:
            continue
        nodes = obj.get("Nodes") or []
        builders[name] = BuildxBuilder(
            name=name,
            driver=str(obj.get("Driver") or ""),
            current=obj["Current"] if isinstance(obj.get("Current"), bool) else None,
            nodes=tuple(_node_from_json(n) for n in nodes if isinstance(n, Mapping)),
            error=_text(obj.get("Err")),
        )
    return list(builders.values())


_TABLE_COLUMNS = ("NAME/NODE", "DRIVER/ENDPOINT", "STATUS", "BUILDKIT", "PLATFORMS")


def parse_ls_table(text: str) -> list[BuildxBuilder]:
    """The `buildx ls` table (buildx < 0.13 has no --format): columns cut at header offsets.

    Builder rows carry the driver (`*` after the name = current); node rows start with
    ` \\_ ` (0.13+) or two spaces (older) and carry endpoint, status and BuildKit version.
    """
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.startswith("NAME/NODE")), None)
    if header_index is None:
        return []
    header = lines[header_index]
    starts = [header.find(col) for col in _TABLE_COLUMNS]
    present = [(col, pos) for col, pos in zip(_TABLE_COLUMNS, starts, strict=True) if pos >= 0]

    def cut(line: str) -> dict[str, str]:
        cells: dict[str, str] = {}
        for i, (col, pos) in enumerate(present):
            end = present[i + 1][1] if i + 1 < len(present) else len(line)
            cells[col] = line[pos:end].strip()
        return cells

    builders: list[dict[str, Any]] = []
    for line in lines[header_index + 1 :]:
        if not line.strip():
            continue
        is_node = line.startswith((" \\_", "  ")) or line.lstrip().startswith("\\_")
        cells = cut(line)
        if not is_node:
            name = cells.get("NAME/NODE", "")
            current = name.endswith("*")
            builders.append(
                {
                    "name": name.rstrip("*").strip(),
                    "driver": cells.get("DRIVER/ENDPOINT", ""),
                    "current": current,
                    "nodes": [],
                }
            )
        elif builders:
            node_name = cells.get("NAME/NODE", "").replace("\\_", "").strip()
            endpoint = cells.get("DRIVER/ENDPOINT", "").replace("\\_", "").strip()
            status = cells.get("STATUS", "")
            builders[-1]["nodes"].append(
                BuildxNode(
                    name=node_name,
                    endpoint=endpoint or None,
                    status=status or None,
                    version=cells.get("BUILDKIT") or None,
                    platforms=tuple(
                        p.strip() for p in cells.get("PLATFORMS", "").split(",") if p.strip()
                    ),
                )
            )
    return [
        BuildxBuilder(
            name=b["name"], driver=b["driver"], current=b["current"], nodes=tuple(b["nodes"])
        )
        for b in builders
    ]


def list_buildx_builders(
    docker_cli: str, env: Mapping[str, str], timeout: float, version: Version
) -> list[BuildxBuilder]:
    """Run `docker buildx ls` in the richest format this buildx supports."""
    use_json = version >= (0, 13, 0)
    args = ["buildx", "ls", "--format", "json"] if use_json else ["buildx", "ls"]
    result = run_docker(docker_cli, args, env=env, timeout=timeout)
    parse = parse_ls_json if use_json else parse_ls_table
    try:
        builders = parse(result.stdout)
    except ValueError as exc:
        raise BuildxError(f"buildx ls: unreadable output ({exc})") from exc
    if not builders and result.returncode != 0:
        raise BuildxError(error_from_output(result))
    return builders


# --- du --------------------------------------------------------------------------------


_DU_KEYS = {
    "ID",
    "Parent",
    "Parents",
    "Created at",
    "Mutable",
    "Reclaimable",
    "Shared",
    "Size",
    "Description",
    "Usage count",
    "Last used",
    "Type",
}
_DU_LINE_RE = re.compile(r"^(?P<key>[A-Za-z][A-Za-z ]*):\t*\s*(?P<value>.*)$")


def _record_from_du(
    fields: Mapping[str, str], parents: Sequence[str], size_value: object
) -> BuildCacheRecord:
    """Shared by the verbose and JSON du parsers."""
    size_text = str(size_value) if size_value is not None else None
    exact = isinstance(size_value, int) or (size_text is not None and size_text.isdigit())
    reclaimable = parse_bool(fields.get("Reclaimable"))
    last_used = fields.get("Last used")
    return BuildCacheRecord(
        id=fields.get("ID", "").rstrip("*"),
        type=fields.get("Type") or "regular",
        description=fields.get("Description", ""),
        size_bytes=optional_int(size_value) if exact else parse_human_size(size_text or ""),
        size_exact=exact,
        size_text=None if exact else size_text,
        created_at=parse_timestamp(fields.get("Created at")),
        last_used_at=parse_timestamp(last_used),
        last_used_text=last_used or None,
        usage_count=optional_int(fields.get("Usage count")),
        in_use=None if reclaimable is None else not reclaimable,
        shared=parse_bool(fields.get("Shared")),
        mutable=parse_bool(fields.get("Mutable")),
        parents=tuple(parents),
    )


def parse_du_verbose(text: str) -> list[BuildCacheRecord]:
    """`buildx du --verbose` (any version): `Key:\\tvalue` blocks; summary block ignored."""
    records: list[BuildCacheRecord] = []
    fields: dict[str, str] = {}
    parents: list[str] = []
    last_key: str | None = None

    def flush() -> None:
        if fields.get("ID"):
            records.append(_record_from_du(fields, parents, fields.get("Size")))

    for raw in text.splitlines():
        line = raw.rstrip("\n")
        if not line.strip():
            flush()
            fields, parents, last_key = {}, [], None
            continue
        stripped = line.strip()
        if last_key == "Parents" and stripped.startswith("- "):
            parents.append(stripped[2:].strip())
            continue
        match = _DU_LINE_RE.match(line)
        if match and match.group("key") in _DU_KEYS:
            key, value = match.group("key"), match.group("value").strip()
            last_key = key
            if key == "Parent":
                parents.extend(p.strip() for p in value.split(",") if p.strip())
            elif key != "Parents":
                fields[key] = value
            elif value:
                parents.extend(p.strip() for p in value.split(",") if p.strip())
        elif last_key == "Description":
            fields["Description"] = fields.get("Description", "") + "\n" + line
    flush()
    return records


def parse_du_json(text: str) -> list[BuildCacheRecord]:
    """`buildx du --format json` (0.28+): one object per line, values mostly human strings."""
    records: list[BuildCacheRecord] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        if not isinstance(obj, Mapping) or not obj.get("ID"):
            continue
        fields = {
            "ID": str(obj["ID"]),
            "Type": str(obj.get("Type") or ""),
            "Description": str(obj.get("Description") or ""),
            "Created at": str(obj.get("CreatedAt") or ""),
            "Last used": str(obj.get("LastUsedAt") or ""),
            "Usage count": str(obj.get("UsageCount") if obj.get("UsageCount") is not None else ""),
            "Reclaimable": str(obj.get("Reclaimable", "")).lower(),
            "Shared": str(obj.get("Shared", "")).lower(),
            "Mutable": str(obj.get("Mutable", "")).lower(),
        }
        parents = obj.get("Parents") or []
        records.append(
            _record_from_du(
                fields,
                [str(p) for p in parents] if isinstance(parents, list) else [],
                obj.get("Size"),
            )
        )
    return records


def buildx_du(
    docker_cli: str,
    env: Mapping[str, str],
    timeout: float,
    builder: str,
    version: Version,
) -> list[BuildCacheRecord]:
    """All records of a (non-docker-driver) builder through `docker buildx du`."""
    if version >= (0, 28, 0):
        args = ["buildx", "du", "--builder", builder, "--format", "json"]
        parse = parse_du_json
    else:
        args = ["buildx", "du", "--builder", builder, "--verbose"]
        parse = parse_du_verbose
    result = run_docker(docker_cli, args, env=env, timeout=timeout)
    if result.returncode != 0:
        raise BuildxError(error_from_output(result))
    try:
        return parse(result.stdout)
    except ValueError as exc:
        raise BuildxError(f"buildx du: unreadable output ({exc})") from exc


# --- prune -----------------------------------------------------------------------------


def prune_args(builder: str, filters: Mapping[str, str], all_: bool) -> list[str]:
    """`buildx prune` arguments: one `--filter key=value` per key (ANDed by buildx)."""
    check_filters(filters)
    args = ["buildx", "prune", "--force", "--builder", builder]
    for key, value in filters.items():
        args += ["--filter", f"{key}={value}"]
    if all_:
        args.append("--all")
    return args


def parse_prune_output(text: str) -> PruneResponse:
    """Deleted IDs from `buildx prune` table rows, and the `Total:` line."""
    deleted: list[str] = []
    total: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("ID"):
            continue
        if stripped.startswith("Total:"):
            total = parse_human_size(stripped.split(":", 1)[1])
            continue
        first = stripped.split()[0].rstrip("*")
        if re.fullmatch(r"[a-z0-9]{10,}", first):
            deleted.append(first)
    return PruneResponse(deleted=tuple(deleted), space_reclaimed=total)


def buildx_prune(
    docker_cli: str,
    env: Mapping[str, str],
    timeout: float,
    builder: str,
    filters: Mapping[str, str],
    all_: bool,
) -> PruneResponse:
    """Run one `docker buildx prune --force` with the given filters."""
    result = run_docker(docker_cli, prune_args(builder, filters, all_), env=env, timeout=timeout)
    if result.returncode != 0:
        raise BuildxError(error_from_output(result))
    return parse_prune_output(result.stdout)
