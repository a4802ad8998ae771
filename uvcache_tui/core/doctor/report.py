"""The doctor on a Dockerfile: read it, decide how the engine treats `--mount` variables,
run the checks (twice, and merge, when that cannot be decided), and say what was checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from uvcache_tui.core.dockerfile import mount_expansion, parse_dockerfile, plan_build
from uvcache_tui.core.dockerfile.mounts import FIRST_EXPANDING_ENGINE
from uvcache_tui.core.dockerfile.stages import BuildPlan, ImageConfig
from uvcache_tui.core.doctor.cachedir import find_accounts
from uvcache_tui.core.doctor.checks import diagnose_plan, uv_runs
from uvcache_tui.core.doctor.findings import (
    EXPANSION_ANY,
    EXPANSION_EXPANDED,
    EXPANSION_LITERAL,
    Finding,
)

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class MountRef:
    """A cache mount of a uv RUN as the engine applies it: where, and its key."""

    target: str | None
    cache_id: str | None
    text: str
    holds_cache: bool
    """The mount covers the cache dir uv uses in this RUN."""

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "cache_id": self.cache_id,
            "option": self.text,
            "holds_cache": self.holds_cache,
        }


@dataclass(frozen=True)
class UvRunSummary:
    """A RUN that runs uv: where its cache goes and which mount holds it."""

    line: int
    stage: str
    user: str
    command: str
    cache_dir: str | None
    cache_dir_source: str
    mount_target: str | None
    cache_id: str | None
    cache_mounts: tuple[MountRef, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "stage": self.stage,
            "user": self.user,
            "command": self.command,
            "cache_dir": self.cache_dir,
            "cache_dir_source": self.cache_dir_source,
            "mount_target": self.mount_target,
            "cache_id": self.cache_id,
            "cache_mounts": [m.to_json() for m in self.cache_mounts],
        }


@dataclass(frozen=True)
class DockerfileDiagnosis:
    syntax: str | None
    engine_version: str | None
    mount_expansion: bool | None
    """True/False: the engine (or `# syntax=` frontend) does or does not expand variables in
    --mount options; None: unknown, findings say which case they hold in."""
    expansion_reason: str
    runs: tuple[UvRunSummary, ...]
    findings: tuple[Finding, ...]
    bases: tuple[str, ...] = ()
    """The images the stages start from."""
    bases_read: tuple[str, ...] = ()
    """Those whose ENV, USER and WORKDIR were known (read from the engine)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "syntax": self.syntax,
            "engine_version": self.engine_version,
            "mount_expansion": self.mount_expansion,
            "expansion_reason": self.expansion_reason,
            "base_images": list(self.bases),
            "base_images_read": list(self.bases_read),
            "uv_runs": [run.to_json() for run in self.runs],
            "findings": [finding.to_json() for finding in self.findings],
        }


def _reason(
    engine: str | None, syntax: str | None, expands: bool | None, buildkit: str | None
) -> str:
    if syntax:
        if expands is None:
            return f"`# syntax={syntax}` names a frontend whose rules are not known here"
        return (
            f"`# syntax={syntax}` selects a frontend that "
            f"{'expands' if expands else 'does not expand'} variables in --mount options"
        )
    if engine is None:
        return (
            f"engine version unknown: findings that depend on it say so (Engine < "
            f"{FIRST_EXPANDING_ENGINE} keeps variables in --mount options literal)"
        )
    if expands is None:
        return f"engine version {engine!r} not understood"
    if expands:
        return f"Engine {engine} expands variables in --mount options"
    return (
        f"Engine {engine} (built-in frontend before 1.3, no `# syntax=` line) keeps "
        "variables in --mount options literal"
    )


def _summaries(plan: BuildPlan) -> tuple[UvRunSummary, ...]:
    accounts = find_accounts(plan.runs)
    summaries = []
    for step in plan.runs:
        for run in uv_runs(step, accounts):
            summaries.append(
                UvRunSummary(
                    line=step.line,
                    stage=step.stage,
                    user=step.user,
                    command=" ".join(run.invocation.argv),
                    cache_dir=run.cache.path,
                    cache_dir_source=run.cache.source,
                    mount_target=run.mount.target if run.mount else None,
                    cache_id=run.mount.cache_id if run.mount else None,
                    cache_mounts=tuple(
                        MountRef(m.target, m.cache_id, m.text, m is run.mount)
                        for m in step.mounts
                        if m.is_cache
                    ),
                )
            )
    return tuple(summaries)


def _merge(literal: list[Finding], expanded: list[Finding]) -> list[Finding]:
    """Findings of both cases hold always; the others are marked with their case."""
    in_expanded = {f.identity: f for f in expanded}
    in_literal = {f.identity for f in literal}
    merged = [f if f.identity in in_expanded else f.under(EXPANSION_LITERAL) for f in literal]
    merged += [f.under(EXPANSION_EXPANDED) for f in expanded if f.identity not in in_literal]
    return merged


def _sorted(findings: list[Finding]) -> tuple[Finding, ...]:
    return tuple(sorted(findings, key=lambda f: (f.line, SEVERITY_ORDER[f.severity], f.code)))


def diagnose_dockerfile(
    text: str,
    engine_version: str | None = None,
    build_args: Mapping[str, str] | None = None,
    buildkit_version: str | None = None,
    base_images: Mapping[str, ImageConfig] | None = None,
) -> DockerfileDiagnosis:
    """Findings for a Dockerfile's text; DockerfileError when it does not parse."""
    source = parse_dockerfile(text)
    syntax = (build_args or {}).get("BUILDKIT_SYNTAX") or source.syntax
    expands = mount_expansion(engine_version, syntax, buildkit_version)
    reason = _reason(engine_version, syntax, expands, buildkit_version)
    if expands is None:
        literal = plan_build(source, False, build_args, base_images)
        expanded = plan_build(source, True, build_args, base_images)
        findings = _merge(diagnose_plan(literal), diagnose_plan(expanded))
        runs = _summaries(expanded)
        bases = expanded.external_bases
    else:
        plan = plan_build(source, expands, build_args, base_images)
        findings = diagnose_plan(plan)
        runs = _summaries(plan)
        bases = plan.external_bases
    assert all(
        f.expansion in (EXPANSION_ANY, EXPANSION_LITERAL, EXPANSION_EXPANDED) for f in findings
    )
    read = tuple(b for b in bases if b in (base_images or {}))
    return DockerfileDiagnosis(
        syntax, engine_version, expands, reason, runs, _sorted(findings), bases, read
    )
