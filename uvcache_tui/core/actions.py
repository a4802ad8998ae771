"""Plan prune/clean: the prediction, the safety checks and the exact argv, before uv runs.

uv does every deletion; this module decides whether to ask it to and says what it will do.
Running the plan and measuring what it freed is `action_run.py`.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from uvcache_tui.core.buckets import bucket_family, bucket_version, parse_version, table_for
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.cache_dir import NotACacheError, check_cache_dir
from uvcache_tui.core.locate import configured_link_mode
from uvcache_tui.core.lock import LockProbe, LockState, probe_lock
from uvcache_tui.core.mounts import covering_entry, mount_points_under
from uvcache_tui.core.packages import normalize_name
from uvcache_tui.core.predict import ActionKind, Prediction, predict
from uvcache_tui.core.units import format_size
from uvcache_tui.core.uvbin import UvBinary
from uvcache_tui.core.words import counted

DEFAULT_LOCK_TIMEOUT = 10
WAIT_LOCK_TIMEOUT = 300
"""uv's own default: how long "wait for uv" lets uv wait for the lock."""
_PACKAGE_NAME_RE = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")
"""A valid distribution name (PEP 508); uv refuses anything else."""
OWN_ENVIRONMENT = "uvcache-tui's own environment, running"


class ActionRefused(Exception):
    """The action must not run on this path at all (one-line reason)."""


@dataclass
class ActionPlan:
    """Everything the preview shows and the runner needs."""

    cache: str
    action: ActionKind
    prediction: Prediction
    argv: list[str]
    extra_env: dict[str, str]
    uv_version: str
    lock: LockProbe
    force: bool = False
    warnings: list[str] = field(default_factory=list)
    confirm_reasons: list[str] = field(default_factory=list)
    """Reasons the user must confirm explicitly, beyond the normal confirmation."""
    blockers: list[str] = field(default_factory=list)
    """Why this action must not run at all (shown in the preview; running it is refused)."""

    @property
    def command(self) -> str:
        """The exact command line, as a person would type it."""
        env = " ".join(f"{key}={value}" for key, value in sorted(self.extra_env.items()))
        return f"{env} {shlex.join(self.argv)}".strip()


def build_argv(
    uv: UvBinary, action: ActionKind, cache: str, packages: Iterable[str], force: bool
) -> list[str]:
    if action in (ActionKind.PRUNE, ActionKind.PRUNE_CI):
        argv = [uv.path, "cache", "prune", "--cache-dir", cache, "--verbose"]
        if action is ActionKind.PRUNE_CI:
            argv.append("--ci")
    else:
        argv = [uv.path, "cache", "clean", "--cache-dir", cache, "--verbose"]
    if force:
        argv.append("--force")
    if action is ActionKind.CLEAN_PACKAGES:
        # Names go after `--`: nothing a name says can become an option of uv.
        argv.append("--")
        argv.extend(valid_package_names(packages))
    return argv


def valid_package_names(names: Iterable[str]) -> list[str]:
    """Normalised (PEP 503) names, sorted; ActionRefused for anything that is not a name.

    Option-like strings (`--verbose`, `-v`), leading/trailing punctuation, spaces, newlines
    and non-ASCII letters are refused, so the argv shown is the argv run and uv never
    reads a name as a flag.
    """
    checked: set[str] = set()
    for name in names:
        if not _PACKAGE_NAME_RE.match(name) or "\n" in name:
            raise ActionRefused(
                f"{name!r} is not a package name (letters, digits, '.', '_', '-'; "
                "starting and ending with a letter or digit)"
            )
        checked.add(normalize_name(name))
    return sorted(checked)


def _newer_buckets(model: CacheModel, running_version: str) -> list[str]:
    """Buckets a newer uv uses that the running uv would delete as stale."""
    table = table_for(running_version)
    newer: list[str] = []
    for bucket in model.buckets:
        family = bucket_family(bucket.name)
        if family is None or bucket.name in table.names:
            continue
        current = table.family_name(family)
        version = bucket_version(bucket.name)
        current_version = bucket_version(current) if current else None
        if version is not None and (current_version is None or version > current_version):
            newer.append(bucket.name)
    return newer


FORCE_SINCE = {
    ActionKind.PRUNE: (0, 8, 24),
    ActionKind.PRUNE_CI: (0, 8, 24),
    ActionKind.CLEAN_PACKAGES: (0, 8, 20),
    ActionKind.CLEAR_ALL: (0, 8, 20),
}
"""First uv release whose `cache prune`/`cache clean` accepts `--force`."""

CACHE_LOCK_SINCE = (0, 8, 19)
"""First uv release that locks the cache (`.lock`): before it, a running uv cannot be seen."""
LOCK_TIMEOUT_SINCE = (0, 9, 16)
"""First uv release that reads UV_LOCK_TIMEOUT; earlier ones wait up to 300 s for the lock."""


def supports_force(uv_version: str, action: ActionKind) -> bool:
    version = parse_version(uv_version)
    return not version or version >= FORCE_SINCE[action]


def plan_action(
    model: CacheModel,
    uv: UvBinary,
    uv_version: str,
    action: ActionKind,
    packages: Iterable[str] = (),
    force: bool = False,
    lock_timeout: int = DEFAULT_LOCK_TIMEOUT,
    protected: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    own_prefixes: Iterable[str] | None = None,
) -> ActionPlan:
    """Check the target, predict the result, and say what could surprise the user.

    `own_prefixes`: the running tool's environment (default `sys.prefix`), which the action
    must never remove while the tool runs from it.
    """
    packages = valid_package_names(packages)
    if action is ActionKind.CLEAN_PACKAGES and not packages:
        raise ActionRefused("clean packages needs at least one package name")
    try:
        checked = check_cache_dir(model.path, active=model.active)
    except NotACacheError as exc:
        raise ActionRefused(str(exc)) from exc
    real = os.path.realpath(checked)
    if real != os.path.realpath(model.scan.root_path):
        raise ActionRefused(f"{model.path} now resolves to {real}, not to what was scanned")
    for data_dir in protected:
        if os.path.realpath(data_dir) == real:
            raise ActionRefused(f"{model.path} is uv data (Pythons or tools), not a cache")
    if force and not supports_force(uv_version, action):
        raise ActionRefused(
            f"uv {uv_version} has no --force for this command (added in uv 0.8.20/0.8.24)"
        )
    prediction = predict(model, action, packages)
    own = _label_own_environment(prediction, checked, own_prefixes)
    plan = ActionPlan(
        cache=checked,
        action=action,
        prediction=prediction,
        argv=build_argv(uv, action, checked, packages, force),
        extra_env={"UV_LOCK_TIMEOUT": str(lock_timeout)},
        uv_version=uv_version,
        lock=probe_lock(checked),
        force=force,
        blockers=list(prediction.blockers) + own + mount_blockers(prediction, checked),
    )
    newer = _newer_buckets(model, uv_version)
    if newer and action is not ActionKind.CLEAN_PACKAGES:
        plan.confirm_reasons.append(
            f"uv {uv_version} does not know {', '.join(newer)}, which a newer uv uses: "
            "it will delete them as stale"
        )
    if model.table.uv_version != uv_version:
        plan.warnings.append(
            f"the cache was classified for uv {model.table.uv_version}, but uv {uv_version} runs"
        )
    if not model.table.exact:
        plan.warnings.append(
            f"uv {uv_version} is newer than the releases this tool knows: its bucket names "
            "are taken from the newest known one"
        )
    plan.warnings.extend(lock_warnings(uv_version))
    link_mode = configured_link_mode(env, cwd)
    if link_mode and link_mode[0] == "symlink":
        plan.warnings.append(
            f"link mode is symlink ({link_mode[1]}): venvs made that way point into the cache "
            "and break when their entries are removed"
        )
    if plan.lock.held_by_our_parent:
        plan.warnings.append(
            f"the cache lock is {plan.lock.description}, the uv that started uvcache-tui; "
            "it only waits for uvcache-tui to exit, so waiting "
            "can never succeed and forcing is safe here — or install the tool with "
            "`uv tool install`, which holds no lock"
        )
    elif plan.lock.state is LockState.HELD:
        plan.warnings.append(f"the cache is in use: its lock is {plan.lock.description}")
    if force:
        plan.warnings.append(
            "--force ignores the lock: a uv process using the cache right now may fail"
        )
    return plan


def lock_warnings(uv_version: str) -> list[str]:
    """What an older uv's locking means for this action (checked on real releases)."""
    version = parse_version(uv_version)
    if not version:
        return []
    if version < CACHE_LOCK_SINCE:
        return [
            f"uv {uv_version} does not lock the cache: whether uv is running cannot be seen, "
            "and one that is may fail; close other uv commands first"
        ]
    if version < LOCK_TIMEOUT_SINCE:
        return [
            f"uv {uv_version} ignores UV_LOCK_TIMEOUT: if uv is running, it waits up to 300 s "
            "for the lock"
        ]
    return []


def own_environment_paths(cache: str, own_prefixes: Iterable[str] | None = None) -> list[str]:
    """Where the running tool's environment lies inside `cache` (relative paths), if it does.

    Under `uvx` the environment is a cached environment whose files live in `archive-v0`:
    both the unresolved and the resolved prefix count.
    """
    prefixes = [sys.prefix] if own_prefixes is None else list(own_prefixes)
    real_cache = os.path.realpath(cache)
    found: set[str] = set()
    for prefix in prefixes:
        for candidate in {os.path.abspath(prefix), os.path.realpath(prefix)}:
            for root in {os.path.abspath(cache), real_cache}:
                if candidate.startswith(root.rstrip("/") + "/"):
                    found.add(os.path.relpath(candidate, root))
    return sorted(found)


def _label_own_environment(
    prediction: Prediction, cache: str, own_prefixes: Iterable[str] | None
) -> list[str]:
    """Relabel the entries that hold the running tool's environment; one blocker if any."""
    own = own_environment_paths(cache, own_prefixes)
    if not own:
        return []
    real_own = {os.path.realpath(os.path.join(cache, path)) for path in own}
    hit: list[str] = []
    for index, entry in enumerate(prediction.entries):
        target = os.path.realpath(os.path.join(cache, entry.path))
        if any(covering_entry(path, [entry.path]) for path in own) or any(
            p == target or p.startswith(target + "/") for p in real_own
        ):
            prediction.entries[index] = replace(entry, label=f"{OWN_ENVIRONMENT} ({entry.path})")
            hit.append(entry.path)
    if not hit:
        return []
    return [
        f"this would remove {OWN_ENVIRONMENT} ({', '.join(hit)}): uvcache-tui was started by "
        "`uvx` from this cache and would break while it runs. Install it outside the cache "
        "with `uv tool install uvcache-tui` (or run it from a project venv) and act from there"
    ]


def mount_blockers(prediction: Prediction, cache: str) -> list[str]:
    """A mount point at or below a removed entry: uv would delete another filesystem's files."""
    mounts = mount_points_under(cache) or []
    paths = [entry.path for entry in prediction.entries]
    blockers: list[str] = []
    for mount in mounts:
        entry = covering_entry(mount, paths)
        if entry is not None:
            blockers.append(
                f"{os.path.join(cache, mount)} is a mount point (another filesystem) inside "
                f"{entry}, which this action removes: uv would delete the mounted files too; "
                "unmount it first"
            )
    return blockers


def adjust_plan(plan: ActionPlan, *, force: bool = False, wait: bool = False) -> ActionPlan:
    """The same plan with the user's choices from the preview: uv --force, or a long wait."""
    if force and not supports_force(plan.uv_version, plan.action):
        raise ActionRefused(f"uv {plan.uv_version} has no --force for this command")
    extra_env = dict(plan.extra_env)
    warnings = list(plan.warnings)
    if wait:
        current = int(extra_env.get("UV_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
        extra_env["UV_LOCK_TIMEOUT"] = str(max(current, WAIT_LOCK_TIMEOUT))
    if force and not plan.force:
        warnings.append("--force ignores the lock: a uv process using the cache right now may fail")
    argv = build_argv(
        UvBinary(plan.argv[0]), plan.action, plan.cache, plan.prediction.packages, force
    )
    return replace(plan, argv=argv, extra_env=extra_env, force=force, warnings=warnings)


def describe_plan_title(plan: ActionPlan) -> str:
    """`Prune: /root/.cache/uv (uv 0.13.9)`: the heading of every preview."""
    return f"{plan.action.display_name}: {plan.cache} (uv {plan.uv_version})"


def describe_plan_totals(plan: ActionPlan) -> str:
    """What the preview's entries add up to, and what that frees: the one sentence the CLI
    prints and the TUI shows under its table."""
    totals = plan.prediction.totals
    return (
        f"Will remove {counted(len(plan.prediction.entries), 'entry')}, "
        f"{format_size(totals.allocated)} allocated, {counted(totals.files, 'file')}. "
        f"Frees {format_size(totals.reclaimable)}; the rest stays linked from venvs or tools."
    )
