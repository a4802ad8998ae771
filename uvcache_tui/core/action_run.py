"""Run a planned prune/clean through the user's uv, and measure what it really freed.

uv runs in its own process group (`uvproc`); every path is listed before and after, so the
result names each removed path and any the plan did not predict; an audit line is written
before uv starts and a final one whatever happens.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from uvcache_tui.core.actions import (
    DEFAULT_LOCK_TIMEOUT,
    ActionPlan,
    ActionRefused,
    mount_blockers,
)
from uvcache_tui.core.audit import AuditRecord, append_audit, now_iso
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.lock import LockState, probe_lock
from uvcache_tui.core.pathset import (
    PathListing,
    added_paths,
    list_paths,
    outermost,
    outside,
    removed_paths,
)
from uvcache_tui.core.reload import reload_cache
from uvcache_tui.core.scan.rescan import TreeChange
from uvcache_tui.core.units import format_size
from uvcache_tui.core.uvbin import UvBinary
from uvcache_tui.core.uvproc import run_uv_group
from uvcache_tui.core.words import counted, plural

_REMOVED_RE = re.compile(r"^Removed .*$", re.MULTILINE)
_LOCK_TIMEOUT_RE = re.compile(r"Timeout.*lock", re.IGNORECASE | re.DOTALL)

OutputCallback = Callable[[str], None]


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
    """Every path uv removed that the prediction did not cover (files, links, FIFOs … too)."""
    audit_path: str | None = None
    interrupted: bool = False
    """uv was stopped before it finished (a signal, Cancel, or its time limit)."""
    removed: list[str] = field(default_factory=list)
    """Every path that disappeared while uv ran, sorted."""
    audit_error: str | None = None
    """Why the audit log could not be written, if it could not."""
    full_rescan: str | None = None
    """Why `after` needed a full walk; None: only what uv changed was read again."""

    @property
    def ok(self) -> bool:
        return self.ran and self.uv_exit_code == 0 and not self.interrupted

    @property
    def predicted_bytes(self) -> int:
        return self.plan.prediction.totals.reclaimable

    @property
    def difference(self) -> int | None:
        if self.freed_bytes is None:
            return None
        return self.freed_bytes - self.predicted_bytes


def is_lock_timeout(exit_code: int, output: str) -> bool:
    """uv gave up waiting for the cache lock: another uv is running, nothing crashed."""
    return exit_code == 2 and bool(_LOCK_TIMEOUT_RE.search(output))


def _uv_env(uv: UvBinary, extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(uv.env if uv.env is not None else os.environ)
    env.pop("UV_CACHE_DIR", None)
    env["NO_COLOR"] = "1"
    env.update(extra)
    return env


def _still_present(plan: ActionPlan) -> list[str]:
    root = plan.cache
    return [e.path for e in plan.prediction.entries if os.path.lexists(os.path.join(root, e.path))]


def current_blockers(plan: ActionPlan) -> list[str]:
    """The plan's blockers, with mount points read again (one may have appeared since)."""
    fresh = mount_blockers(plan.prediction, plan.cache)
    return list(dict.fromkeys([*plan.blockers, *fresh]))


def _audit(
    plan: ActionPlan, env: Mapping[str, str] | None, **fields: object
) -> tuple[str | None, str | None]:
    """Append one audit line; (path, None) or (None, why it failed) — never raises."""
    record = AuditRecord(
        time=now_iso(),
        cache=plan.cache,
        command=plan.command,
        predicted_bytes=plan.prediction.totals.reclaimable,
        **fields,  # type: ignore[arg-type]
    )
    try:
        return append_audit(record, env), None
    except OSError as exc:
        return None, f"cannot write the audit log: {exc.strerror or exc}"


def run_action(
    plan: ActionPlan,
    before: CacheModel,
    uv: UvBinary,
    on_output: OutputCallback | None = None,
    audit_env: Mapping[str, str] | None = None,
    wait: bool = False,
    cancel: threading.Event | None = None,
) -> ActionResult:
    """Run the planned uv command unless uv is running, then measure what really went.

    `before` is the model the plan was made from; once uv ran, its scan becomes the scan
    after (`ActionResult.after`, see `scan.rescan`) and it is not to be read again.

    With `wait`, a held lock does not stop us: uv waits for it up to UV_LOCK_TIMEOUT.
    Setting `cancel` (or KeyboardInterrupt) stops uv's process group; what was removed
    until then is still measured and logged. A `started` audit line is written before uv
    runs and a final one whatever happens after.
    """
    blockers = current_blockers(plan)
    if blockers:
        raise ActionRefused(blockers[0])
    probe = probe_lock(plan.cache)
    if probe.state is LockState.HELD and not plan.force and not wait:
        return ActionResult(plan, False, None, "", None, True, None, None)
    timeout = int(plan.extra_env.get("UV_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT)) + 600
    root_before = _identity(plan.cache)
    listing_before = list_paths(plan.cache)
    audit_path, audit_error = _audit(
        plan, audit_env, freed_bytes=None, uv_exit_code=None, status="started"
    )
    status = "interrupted"
    result: ActionResult | None = None
    removed: list[str] = []
    unpredicted: list[str] = []
    code: int | None = None
    freed: int | None = None
    try:
        run = run_uv_group(plan.argv, _uv_env(uv, plan.extra_env), on_output, timeout, cancel)
        code = run.exit_code
        listing_after = list_paths(plan.cache)
        removed = removed_paths(listing_before, listing_after)
        predicted_paths = [e.path for e in plan.prediction.entries]
        unpredicted = outside(removed, predicted_paths)
        change = _change(plan.cache, root_before, listing_before, listing_after, removed)
        result = _measure(plan, before, run.exit_code, run.output, change, unpredicted)
        result.interrupted = run.stopped is not None
        freed = result.freed_bytes
        status = "interrupted" if result.interrupted else ("done" if code == 0 else "failed")
        return result
    finally:
        path, error = _audit(
            plan,
            audit_env,
            freed_bytes=freed,
            uv_exit_code=code,
            status=status,
            removed_paths=len(removed),
            removed=tuple(outermost(removed)[:200]),
            unpredicted=tuple(outermost(unpredicted)[:200]),
        )
        if result is not None:
            result.audit_path = path or audit_path
            result.audit_error = error or audit_error


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _change(
    root: str,
    root_before: tuple[int, int] | None,
    before: PathListing,
    after: PathListing,
    removed: list[str],
) -> TreeChange:
    """What uv did to the cache, for the rescan (`scan.rescan`)."""
    return TreeChange(
        removed=tuple(removed),
        added=tuple(added_paths(before, after)),
        root_replaced=root_before is None or _identity(root) != root_before,
        unlisted_after=bool(after.unlisted),
    )


def _measure(
    plan: ActionPlan,
    before: CacheModel,
    code: int,
    output: str,
    change: TreeChange,
    unpredicted: list[str],
) -> ActionResult:
    """Rescan what changed in the cache and compare it with the prediction."""
    lock_busy = is_lock_timeout(code, output)
    removed_lines = _REMOVED_RE.findall(output)
    after: CacheModel | None = None
    full_rescan: str | None = None
    allocated_before = before.totals.allocated
    if os.path.isdir(plan.cache):
        # The rescan takes over the scan before (`scan.rescan`): its figures are read first.
        after, full_rescan = reload_cache(before, change)
        shrink = allocated_before - after.totals.allocated
    else:
        shrink = allocated_before
    predicted = plan.prediction.totals
    held_elsewhere = plan.prediction.shrink_bytes - predicted.reclaimable
    freed = max(shrink - held_elsewhere, 0) if code == 0 else shrink
    return ActionResult(
        plan=plan,
        ran=True,
        uv_exit_code=code,
        uv_output=output,
        removed_line=removed_lines[-1] if removed_lines else None,
        lock_busy=lock_busy,
        freed_bytes=freed,
        after=after,
        cache_shrink_bytes=shrink,
        still_present=_still_present(plan),
        unpredicted=unpredicted,
        removed=list(change.removed),
        full_rescan=full_rescan,
    )


def describe_result(result: ActionResult) -> list[str]:
    """The result in a few lines: the one text the CLI prints and the TUI shows."""
    if result.lock_busy:
        # The lock's phrase has parentheses of its own (`pid 12 (uv)`): never wrapped in more.
        return [
            f"The cache is in use, its lock {result.plan.lock.description}: nothing was "
            "deleted. Try again when it finishes."
        ]
    lines: list[str] = []
    if result.interrupted:
        how = (
            f"uv was interrupted and has exited (code {result.uv_exit_code})"
            if result.uv_exit_code is not None
            else "uv's helper build was stopped before uv reported"
        )
        lines.append(
            f"Stopped: {how}; {counted(len(result.removed), 'path')} "
            f"{plural('was', len(result.removed), 'were')} removed before it stopped."
        )
    else:
        lines.append(f"uv exited with {result.uv_exit_code}")
    lines.append(
        f"Freed {format_size(result.freed_bytes)} (predicted {format_size(result.predicted_bytes)}); "
        f"the cache shrank by {format_size(result.cache_shrink_bytes)}"
    )
    if result.removed_line:
        lines.append(f"uv says: {result.removed_line}")
    if result.difference and not result.interrupted:
        lines.append(f"Difference from the prediction: {format_size(abs(result.difference))}")
    if result.still_present and not result.interrupted:
        lines.append(_listing("Predicted but still there", result.still_present))
    if result.unpredicted:
        lines.append(_listing("Removed but not predicted", outermost(result.unpredicted)))
    if result.audit_path:
        lines.append(f"Logged to {result.audit_path}")
    if result.audit_error:
        lines.append(f"Warning: {result.audit_error}")
    return lines


def _listing(title: str, paths: list[str], shown: int = 10) -> str:
    more = f" … and {len(paths) - shown} more" if len(paths) > shown else ""
    return f"{title} ({len(paths)}): {', '.join(paths[:shown])}{more}"
