"""Run prune/clean through the user's uv, after a prediction and the safety checks.

uv does every deletion; this module decides whether to ask it to, shows what it will do,
and measures what it actually freed.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from uvcache_tui.core.audit import AuditRecord, append_audit, now_iso
from uvcache_tui.core.buckets import bucket_family, bucket_version, parse_version, table_for
from uvcache_tui.core.cache import CacheModel, NotACacheError, check_cache_dir, load_cache
from uvcache_tui.core.locate import configured_link_mode
from uvcache_tui.core.lock import LockProbe, LockState, probe_lock
from uvcache_tui.core.predict import ActionKind, Prediction, predict
from uvcache_tui.core.uvbin import UvBinary

DEFAULT_LOCK_TIMEOUT = 10
WAIT_LOCK_TIMEOUT = 300
"""uv's own default: how long "wait for uv" lets uv wait for the lock."""
_REMOVED_RE = re.compile(r"^Removed .*$", re.MULTILINE)
_LOCK_TIMEOUT_RE = re.compile(r"Timeout.*lock", re.IGNORECASE | re.DOTALL)

OutputCallback = Callable[[str], None]


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

    @property
    def command(self) -> str:
        """The exact command line, as a person would type it."""
        env = " ".join(f"{key}={value}" for key, value in sorted(self.extra_env.items()))
        return f"{env} {shlex.join(self.argv)}".strip()


@dataclass
class ActionResult:
    plan: ActionPlan
    ran: bool
    uv_exit_code: int | None
    uv_output: str
    removed_line: str | None
    """uv's own `Removed N files (X)` line, which overstates freed bytes with hardlinks."""
    lock_busy: bool
    freed_bytes: int | None
    """Disk given back: how much the cache shrank, minus the bytes of removed files that are
    still linked from outside the cache (venvs, tools), which deleting cannot free."""
    after: CacheModel | None
    cache_shrink_bytes: int | None = None
    """Allocated bytes before minus after, as `du` sees the cache."""
    still_present: list[str] = field(default_factory=list)
    """Predicted entries uv left in place."""
    unpredicted: list[str] = field(default_factory=list)
    """Directories uv removed that the prediction did not list."""
    audit_path: str | None = None

    @property
    def ok(self) -> bool:
        return self.ran and self.uv_exit_code == 0

    @property
    def predicted_bytes(self) -> int:
        return self.plan.prediction.totals.reclaimable

    @property
    def difference(self) -> int | None:
        if self.freed_bytes is None:
            return None
        return self.freed_bytes - self.predicted_bytes


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
        argv.extend(packages)
    return argv


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
) -> ActionPlan:
    """Check the target, predict the result, and say what could surprise the user."""
    packages = list(packages)
    if action is ActionKind.CLEAN_PACKAGES and not packages:
        raise ActionRefused("clean packages needs at least one package name")
    try:
        checked = check_cache_dir(model.path)
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
    plan = ActionPlan(
        cache=checked,
        action=action,
        prediction=prediction,
        argv=build_argv(uv, action, checked, packages, force),
        extra_env={"UV_LOCK_TIMEOUT": str(lock_timeout)},
        uv_version=uv_version,
        lock=probe_lock(checked),
        force=force,
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
            f"bucket names for uv {uv_version} are interpolated from nearby releases"
        )
    link_mode = configured_link_mode(env, cwd)
    if link_mode and link_mode[0] == "symlink":
        plan.warnings.append(
            f"link mode is symlink ({link_mode[1]}): venvs made that way point into the cache "
            "and break when their entries are removed"
        )
    if plan.lock.held_by_our_parent:
        plan.warnings.append(
            f"the cache lock is held by the `uv run` that started uvcache-tui "
            f"({plan.lock.description}); it only waits for uvcache-tui, so forcing is safe "
            "here — or run uvcache-tui with `uvx --from . uvcache-tui` / `uv tool install .`"
        )
    elif plan.lock.state is LockState.HELD:
        plan.warnings.append(f"uv is running: the cache lock is {plan.lock.description}")
    if force:
        plan.warnings.append(
            "--force ignores the lock: a uv process using the cache right now may fail"
        )
    return plan


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


def _run_streaming(
    argv: list[str], env: dict[str, str], on_output: OutputCallback | None, timeout: float
) -> tuple[int, str]:
    """Run uv, feeding each stderr/stdout line to `on_output` as it arrives."""
    process = subprocess.Popen(
        argv,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    lines: list[str] = []
    timer = threading.Timer(timeout, process.kill)
    timer.start()
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if on_output is not None:
                on_output(line.rstrip("\n"))
        code = process.wait()
    finally:
        timer.cancel()
    return code, "".join(lines)


def is_lock_timeout(exit_code: int, output: str) -> bool:
    """uv gave up waiting for the cache lock: another uv is running, nothing crashed."""
    return exit_code == 2 and bool(_LOCK_TIMEOUT_RE.search(output))


def _uv_env(uv: UvBinary, extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(uv.env if uv.env is not None else os.environ)
    env.pop("UV_CACHE_DIR", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def _compare(
    before: CacheModel, after: CacheModel | None, plan: ActionPlan
) -> tuple[list[str], list[str]]:
    root = plan.cache
    still = [e.path for e in plan.prediction.entries if os.path.lexists(os.path.join(root, e.path))]
    if after is None:
        return still, []
    predicted = [e.path for e in plan.prediction.entries]
    unpredicted: list[str] = []
    stack = [before.scan.root]
    while stack:
        node = stack.pop()
        for child in node.iter_children():
            relpath = child.relpath()
            if after.scan.node(relpath) is not None:
                stack.append(child)
                continue
            if not any(relpath == p or relpath.startswith(p + "/") for p in predicted):
                unpredicted.append(relpath)
    return still, sorted(unpredicted)


def run_action(
    plan: ActionPlan,
    before: CacheModel,
    uv: UvBinary,
    on_output: OutputCallback | None = None,
    audit_env: Mapping[str, str] | None = None,
    wait: bool = False,
) -> ActionResult:
    """Run the planned uv command unless uv is running, then measure what really went.

    With `wait`, a held lock does not stop us: uv waits for it up to UV_LOCK_TIMEOUT.
    """
    probe = probe_lock(plan.cache)
    if probe.state is LockState.HELD and not plan.force and not wait:
        return ActionResult(plan, False, None, "", None, True, None, None)
    timeout = int(plan.extra_env.get("UV_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)) + 600
    code, output = _run_streaming(plan.argv, _uv_env(uv, plan.extra_env), on_output, timeout)
    lock_busy = is_lock_timeout(code, output)
    removed = _REMOVED_RE.findall(output)
    after: CacheModel | None = None
    if os.path.isdir(plan.cache):
        after = load_cache(plan.cache, before.table)
        shrink = before.totals.allocated - after.totals.allocated
    else:
        shrink = before.totals.allocated
    predicted = plan.prediction.totals
    held_elsewhere = plan.prediction.shrink_bytes - predicted.reclaimable
    freed = max(shrink - held_elsewhere, 0) if code == 0 else shrink
    still, unpredicted = _compare(before, after, plan)
    result = ActionResult(
        plan=plan,
        ran=True,
        uv_exit_code=code,
        uv_output=output,
        removed_line=removed[-1] if removed else None,
        lock_busy=lock_busy,
        freed_bytes=freed,
        after=after,
        cache_shrink_bytes=shrink,
        still_present=still,
        unpredicted=unpredicted,
    )
    result.audit_path = append_audit(
        AuditRecord(
            time=now_iso(),
            cache=plan.cache,
            command=plan.command,
            predicted_bytes=plan.prediction.totals.reclaimable,
            freed_bytes=freed,
            uv_exit_code=code,
        ),
        audit_env,
    )
    return result
