"""The checks: every RUN that runs uv, its cache dir against its cache mounts.

The finding constructors are in `rules`; `diagnose_plan` runs them over a BuildPlan whose mount
expansion is known (the caller runs it twice when the engine is not known).
"""

from __future__ import annotations

import uvcache_tui.core.doctor.rules as rules
from uvcache_tui.core.dockerfile.mounts import MountSpec
from uvcache_tui.core.dockerfile.stages import BuildPlan, RunStep
from uvcache_tui.core.doctor.cachedir import Account, find_accounts, is_root, is_within, link_mode
from uvcache_tui.core.doctor.findings import Finding
from uvcache_tui.core.doctor.runs import UvRun, uv_runs

__all__ = ["diagnose_plan", "uv_runs"]


def diagnose_plan(plan: BuildPlan) -> list[Finding]:
    """Every finding for a build whose mount expansion is known."""
    accounts = find_accounts(plan.runs)
    findings: list[Finding] = []
    first_by_dir: dict[str | None, UvRun] = {}
    for step in plan.runs:
        runs = uv_runs(step, accounts)
        reported: set[str] = set()
        for run in runs:
            findings.extend(_check_run(run, accounts, reported))
            if run.mount is not None:
                first = first_by_dir.setdefault(run.cache.path, run)
                if (
                    first is not run
                    and first.mount is not None
                    and (
                        (first.mount.cache_id, first.mount.base_key)
                        != (run.mount.cache_id, run.mount.base_key)
                    )
                ):
                    findings.append(rules.key_differs(run, first))
        for mount in step.mounts:
            if mount.is_cache and mount.literal_variables and mount.text not in reported:
                findings.append(rules.unexpanded(step, mount, None))
    return _once_per_stage(findings)


def _once_per_stage(findings: list[Finding]) -> list[Finding]:
    """A variable set once (UVD008) is reported at its stage's first uv RUN, not at each."""
    seen: set[tuple[str, object]] = set()
    kept: list[Finding] = []
    for finding in findings:
        if finding.code == "UVD008":
            key = (finding.stage, finding.details.get("variable"))
            if key in seen:
                continue
            seen.add(key)
        kept.append(finding)
    return kept


def _check_run(run: UvRun, accounts: list[Account], reported: set[str]) -> list[Finding]:
    step = run.step
    if run.cache.path is None:
        return []
    found: list[Finding] = []
    if run.mount is None:
        literal = [m for m in step.mounts if m.is_cache and m.literal_variables]
        if literal and _covering_when_expanded(step, literal, run.cache.path):
            reported.update(m.text for m in literal)
            found.extend(rules.unexpanded(step, m, run) for m in literal)
        elif run.cleans:
            found.append(rules.cache_clean(run))
        elif run.removes_cache:
            pass  # removed before the layer is committed: nothing baked
        elif any(m.is_cache and m.target for m in step.mounts):
            found.append(rules.misses(run, accounts))
        else:
            found.append(rules.baked(run))
        found.extend(rules.python_dirs(run))
        return found
    mount = run.mount
    if mount.sharing == "private":
        found.append(rules.private(run, mount))
    if not is_root(step.user) and not {"uid", "mode"} & mount.options.keys():
        found.append(rules.not_writable(run, mount, accounts))
    mode = link_mode(step, run.invocation)
    if run.invocation.links_into_environment:
        if mode == "symlink":
            found.append(rules.symlinks(run))
        elif mode != "copy":
            found.append(rules.link_copy(run, mode))
    if run.cleans:
        found.append(rules.cache_clean(run))
    found.extend(rules.python_dirs(run))
    return found


def _covering_when_expanded(step: RunStep, mounts: list[MountSpec], path: str) -> bool:
    for mount in mounts:
        target = rules.expanded_mount(step, mount).target
        if target and is_within(path, target):
            return True
    return False
