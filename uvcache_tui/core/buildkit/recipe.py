"""The cache mounts of a Dockerfile's uv RUNs, as the keys a helper build mounts them with.

`buildkit export|import --dockerfile` (the CI recipe in two lines) reads the Dockerfile as
the builder will: BuildKit's parser, ARG/ENV scoping with the `--build-arg`s, and whether
this builder's frontend (or the `# syntax=` one) expands variables in `--mount`
(`dockerfile.mounts.mount_expansion`). The doctor's rule finds the RUNs that run uv; every
cache mount of those RUNs becomes a `CacheKey` (id, else target; uid/gid/mode;
`BUILDKIT_CACHE_MOUNT_NS`). Each key is exported to its own file, named from the key, with
its manifest; an import matches the files back by the key in their manifests.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvcache_tui.core.buildkit.builders import DOCKER_DRIVER
from uvcache_tui.core.buildkit.cachekey import NAMESPACE_ARG, CacheKey, key_from_json, key_of_mount
from uvcache_tui.core.buildkit.records import BuilderInfo
from uvcache_tui.core.dockerfile import mount_expansion, parse_dockerfile, plan_build
from uvcache_tui.core.dockerfile.mounts import MountSpec
from uvcache_tui.core.dockerfile.stages import BuildPlan, ImageConfig
from uvcache_tui.core.doctor.cachedir import find_accounts
from uvcache_tui.core.doctor.runs import uv_runs

SYNTAX_ARG = "BUILDKIT_SYNTAX"
EXPORT_SUFFIX = ".tar"
MANIFEST_SUFFIX = ".manifest.json"

ReadBases = Callable[[Sequence[str]], Mapping[str, ImageConfig]]
"""ENV, USER and WORKDIR of the base images the engine has (`doctor.image.read_base_images`)."""


@dataclass(frozen=True)
class RecipeMount:
    """One cache key used by the Dockerfile's uv RUNs, and where."""

    key: CacheKey
    lines: tuple[int, ...]
    target: str | None
    holds_uv_cache: bool
    """At least one of its RUNs keeps uv's cache dir in it (else: another tool's cache)."""

    @property
    def file_name(self) -> str:
        return export_name(self.key)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key.to_json(),
            "lines": list(self.lines),
            "target": self.target,
            "holds_uv_cache": self.holds_uv_cache,
            "file": self.file_name,
        }


@dataclass(frozen=True)
class SkippedMount:
    """A cache mount of a uv RUN that cannot be carried, and why."""

    line: int
    option: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "option": self.option, "reason": self.reason}


@dataclass(frozen=True)
class Recipe:
    """What `--dockerfile` exports or imports."""

    mounts: tuple[RecipeMount, ...]
    skipped: tuple[SkippedMount, ...]
    uv_lines: tuple[int, ...]
    """Lines of the RUNs that run uv with a cache (with or without a mount)."""
    expands: bool
    """Whether the builder (or `# syntax=`) expands variables in `--mount` options."""

    def to_json(self) -> dict[str, Any]:
        return {
            "mount_expansion": self.expands,
            "uv_run_lines": list(self.uv_lines),
            "mounts": [m.to_json() for m in self.mounts],
            "skipped": [s.to_json() for s in self.skipped],
        }


def builder_expands(info: BuilderInfo, syntax: str | None) -> bool:
    """The `--mount` expansion rule for this builder; an unknown frontend or version is
    taken as a current one (BuildKit >= 0.9 expands)."""
    engine = info.engine_version if info.driver == DOCKER_DRIVER else None
    known = mount_expansion(engine, syntax, info.buildkit_version)
    return True if known is None else known


def _skip_reason(spec: MountSpec) -> str | None:
    if spec.options.get("from") or spec.options.get("source"):
        return (
            "it starts from another stage's or image's files (from=/source=), which a "
            "helper build cannot mount the same way"
        )
    if not spec.cache_id:
        return "it has no id and no target"
    return None


def _collect(plan: BuildPlan, namespace: str) -> Recipe:
    accounts = find_accounts(plan.runs)
    found: dict[CacheKey, RecipeMount] = {}
    skipped: list[SkippedMount] = []
    uv_lines: list[int] = []
    for step in plan.runs:
        runs = uv_runs(step, accounts)
        if not runs:
            continue
        uv_lines.append(step.line)
        holding = {id(run.mount) for run in runs if run.mount is not None}
        for spec in step.mounts:
            if not spec.is_cache:
                continue
            reason = _skip_reason(spec)
            key = None
            if reason is None:
                try:
                    key = key_of_mount(spec.cache_id or "", spec.options, namespace)
                except ValueError as exc:
                    reason = str(exc)
            if key is None:
                skipped.append(SkippedMount(step.line, spec.text, reason or "?"))
                continue
            seen = found.get(key)
            holds = id(spec) in holding
            if seen is None:
                found[key] = RecipeMount(key, (step.line,), spec.target, holds)
            else:
                found[key] = RecipeMount(
                    key,
                    tuple(dict.fromkeys((*seen.lines, step.line))),
                    seen.target,
                    seen.holds_uv_cache or holds,
                )
    return Recipe(tuple(found.values()), tuple(skipped), tuple(uv_lines), plan.expands_mounts)


def read_recipe(
    text: str,
    info: BuilderInfo,
    build_args: Mapping[str, str] | None = None,
    read_bases: ReadBases | None = None,
) -> Recipe:
    """The cache keys of the uv RUNs of a Dockerfile's text, as `info`'s builder would key
    them with these build args. DockerfileError when it does not parse."""
    args = dict(build_args or {})
    source = parse_dockerfile(text)
    expands = builder_expands(info, args.get(SYNTAX_ARG) or source.syntax)
    plan = plan_build(source, expands, args)
    if read_bases is not None and plan.external_bases:
        bases = read_bases(plan.external_bases)
        if bases:
            plan = plan_build(source, expands, args, bases)
    return _collect(plan, args.get(NAMESPACE_ARG, ""))


def export_name(key: CacheKey) -> str:
    """`root_.cache_uv-1a2b3c4d.tar`: readable, and distinct for keys that differ only in
    uid/gid/mode/namespace (the hash is of the whole key)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key.id).strip("._") or "cache"
    digest = hashlib.sha256(json.dumps(key.to_json(), sort_keys=True).encode()).hexdigest()
    return f"{slug[:60]}-{digest[:8]}{EXPORT_SUFFIX}"


@dataclass(frozen=True)
class FoundExport:
    """An export in a directory: the tar (or dir) and the key its manifest names."""

    path: Path
    key: CacheKey


def find_exports(directory: Path) -> tuple[tuple[FoundExport, ...], tuple[str, ...]]:
    """Every export in `directory` whose manifest names a key, and the problems met
    (a manifest that does not parse, a manifest without its export)."""
    exports: list[FoundExport] = []
    problems: list[str] = []
    for manifest in sorted(directory.glob("*" + MANIFEST_SUFFIX)):
        data = manifest.with_name(manifest.name[: -len(MANIFEST_SUFFIX)])
        try:
            document = json.loads(manifest.read_text())
            key = key_from_json(document["key"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            problems.append(f"{manifest.name}: not an export's manifest ({exc})")
            continue
        if not data.exists():
            problems.append(f"{manifest.name}: {data.name} is missing")
            continue
        exports.append(FoundExport(data, key))
    return tuple(exports), tuple(problems)


def match_exports(
    recipe: Recipe, exports: Sequence[FoundExport]
) -> tuple[tuple[tuple[RecipeMount, FoundExport | None], ...], tuple[FoundExport, ...]]:
    """Each mount of the recipe with the export of its key (None: none there), and the
    exports no mount of the recipe uses. Two exports of one key: the recipe's own file name
    wins, else the first by name."""
    by_key: dict[CacheKey, list[FoundExport]] = {}
    for export in exports:
        by_key.setdefault(export.key, []).append(export)
    pairs = []
    for mount in recipe.mounts:
        candidates = by_key.get(mount.key, [])
        named = [e for e in candidates if e.path.name == mount.file_name]
        chosen = named or candidates
        pairs.append((mount, chosen[0] if chosen else None))
    used = {m.key for m in recipe.mounts}
    unused = tuple(e for e in exports if e.key not in used)
    return tuple(pairs), unused
