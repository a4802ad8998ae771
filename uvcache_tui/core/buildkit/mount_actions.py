"""uv maintenance inside a cache mount: `prune`, `prune --ci`, `clean [NAME…]`, previewed
and measured with the same rules as on a local cache.

1. ask the uv image which uv it runs (`uv_helper.probe_uv_version`);
2. read the mount fresh (its directory on this machine, or a reader build) into a model
   classified for *that* uv, and plan with `actions.plan_action`, the local planner: the
   same prediction, refusals, confirmations and package-name checks; the argv is rebuilt
   by `actions.build_argv` for the path the helper mounts the cache at;
3. refuse (or wait, bounded) while a record of the key is in use by a build;
4. run the argv in a uv helper build (`sharing=locked`, read-write), an audit line before
   and one whatever happens after;
5. read the mount again the same way and compare the paths that went with the prediction,
   as `action_run` does locally (`describe_result` and `result_json` print it).
"""

from __future__ import annotations

import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from uvcache_tui.core.action_run import ActionResult, is_lock_timeout
from uvcache_tui.core.actions import (
    DEFAULT_LOCK_TIMEOUT,
    ActionPlan,
    ActionRefused,
    build_argv,
    plan_action,
    valid_package_names,
)
from uvcache_tui.core.audit import AuditRecord, append_audit, now_iso
from uvcache_tui.core.buckets import BucketTable, table_for
from uvcache_tui.core.buildkit.buildx import BuildxError
from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.cleanup import list_records_patiently
from uvcache_tui.core.buildkit.engine import EngineError
from uvcache_tui.core.buildkit.helper_build import HelperError, HelperRun
from uvcache_tui.core.buildkit.mount_cache import open_mount_on_disk
from uvcache_tui.core.buildkit.mount_show import VIA_DISK, VIA_READER, NotOnDisk
from uvcache_tui.core.buildkit.mountref import LocatedMount, mounts_of_key
from uvcache_tui.core.buildkit.transfer import read_with_keys
from uvcache_tui.core.buildkit.uv_helper import (
    UvHelperRun,
    UvHelperStopped,
    UvInMount,
    probe_uv_version,
    run_uv_in_mount,
)
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.pathset import PathListing, list_paths, outermost, outside, removed_paths
from uvcache_tui.core.predict import ActionKind
from uvcache_tui.core.uvbin import UvBinary

READ_ON_DISK = "on-disk"
READ_BY_READER = "reader-build"
IN_HELPER_ENV = {"UV_NO_CONFIG": "1"}
"""The helper's uv reads no uv.toml: the user's configuration is not the image's."""
MAX_WAIT_FOR_BUILDS = 3600.0
_UV_IN_HELPER = UvBinary("uv")
"""The uv on the uv image's PATH."""


class MountInUse(HelperError):
    """A build is using a record of the key: nothing was run."""


@dataclass(frozen=True)
class MountSnapshot:
    """One read of the mount: its model (classified for the helper's uv) and every path."""

    model: CacheModel
    listing: PathListing
    key: CacheKey
    read: str
    """READ_ON_DISK or READ_BY_READER."""
    path: str | None
    """The mount's directory on this machine (on-disk reads only)."""
    seconds: float
    helper: HelperRun | None = None
    note: str | None = None
    """Why the fast path was not taken, when it was tried."""

    def to_json(self) -> dict[str, Any]:
        return {
            "via": self.read,
            "path": self.path,
            "seconds": round(self.seconds, 3),
            "fast_path_note": self.note,
        }


@contextmanager
def read_mount(
    located: LocatedMount,
    keys: tuple[CacheKey, ...],
    reader_image: str,
    via: str,
    table: BucketTable,
    timeout: float,
) -> Iterator[MountSnapshot]:
    """Read the mount `via` disk or a reader (auto: disk when it opens a uv cache); a
    reader's copy lives while the block runs (predictions look at the files)."""
    started = time.monotonic()
    note: str | None = None
    if via != VIA_READER:
        opened = open_mount_on_disk(located.choice, table, timeout)
        if opened.model is not None and opened.on_disk.path is not None:
            path = opened.on_disk.path
            yield MountSnapshot(
                opened.model,
                list_paths(path),
                keys[0],
                READ_ON_DISK,
                path,
                time.monotonic() - started,
            )
            return
        note = opened.message
        if via == VIA_DISK:
            raise NotOnDisk(note or "the fast path cannot open this mount")
    with tempfile.TemporaryDirectory(prefix="uvct-maint-") as tmp:
        into = Path(tmp) / "cache"
        into.mkdir()
        key, _summary, run = read_with_keys(located.resolved, keys, reader_image, into)
        model = load_cache(str(into), table, active=located.mount.kind == "uv", host_paths=False)
        yield MountSnapshot(
            model,
            list_paths(str(into)),
            key,
            READ_BY_READER,
            None,
            time.monotonic() - started,
            run,
            note,
        )


@dataclass
class MountActionPlan:
    """The preview of one uv action inside a mount, and what running it needs."""

    located: LocatedMount
    plan: ActionPlan
    """The local planner's plan; `cache` and `argv` name the path inside the helper."""
    before: MountSnapshot
    uv_image: str
    reader_image: str
    probe: UvHelperRun
    timeout: float

    @property
    def key(self) -> CacheKey:
        return self.before.key

    @property
    def target(self) -> str:
        """`builder/record-ID (key)`: what the title and the audit log name."""
        info = self.located.resolved.info
        return f"{info.name}/{self.located.mount.id} ({self.key.describe()})"

    def to_json(self) -> dict[str, Any]:
        """What `buildkit uv-prune|uv-clean --json` adds to `prune --dry-run --json`."""
        info = self.located.resolved.info
        return {
            "mount": self.located.mount.to_json(),
            "builder": {"name": info.name, "driver": info.driver},
            "key": self.key.to_json(),
            "uv_image": self.uv_image,
            "read": self.before.to_json(),
            "helper_records_pruned": list(self.helper_pruned()),
            "helper_records_left": list(self.helper_left()),
        }

    def helper_runs(self) -> list[HelperRun]:
        return [run for run in (self.probe.run, self.before.helper) if run is not None]

    def helper_pruned(self) -> tuple[str, ...]:
        return tuple(i for run in self.helper_runs() for i in run.cleanup.pruned)

    def helper_left(self) -> tuple[str, ...]:
        return tuple(i for run in self.helper_runs() for i in run.cleanup.left)


def plan_mount_action(
    located: LocatedMount,
    keys: tuple[CacheKey, ...],
    action: ActionKind,
    packages: Iterable[str] = (),
    *,
    uv_image: str,
    reader_image: str,
    via: str,
    lock_timeout: int = DEFAULT_LOCK_TIMEOUT,
    timeout: float = 900.0,
) -> MountActionPlan:
    """Ask the uv image for its version, read the mount fresh, plan as locally.

    Raises ActionRefused (not a uv cache, bad names), HelperError and its kinds (uv image
    missing, no such key), NotOnDisk (`via` disk and the fast path cannot open it)."""
    if not keys:
        raise ActionRefused("no cache key to mount")
    packages = valid_package_names(packages)  # before anything reaches the builder
    uv_version, probe = probe_uv_version(located.resolved, uv_image)
    table = table_for(uv_version)
    with read_mount(located, keys, reader_image, via, table, timeout) as before:
        plan = plan_action(
            before.model,
            _UV_IN_HELPER,
            uv_version,
            action,
            packages,
            lock_timeout=lock_timeout,
            env=IN_HELPER_ENV,
            cwd=before.model.path,
            own_prefixes=(),
        )
    target = before.key.target
    plan = replace(
        plan,
        cache=target,
        argv=build_argv(_UV_IN_HELPER, action, target, plan.prediction.packages, False),
        extra_env={**plan.extra_env, **IN_HELPER_ENV},
    )
    return MountActionPlan(located, plan, before, uv_image, reader_image, probe, timeout)


def records_in_use(located: LocatedMount, key: CacheKey, timeout: float) -> list[str]:
    """The records of the mount (and of its key, where listed) a build holds right now."""
    ids = {located.mount.id} | {m.id for m in mounts_of_key(located.resolved, key)}
    try:
        records = list_records_patiently(located.resolved, timeout)
    except (EngineError, BuildxError) as exc:
        raise HelperError(str(exc)) from exc
    return sorted(r.id for r in records if r.id in ids and r.in_use)


def wait_until_free(
    located: LocatedMount, key: CacheKey, wait_seconds: float, timeout: float
) -> None:
    """Return when no record of the key is in use; MountInUse after `wait_seconds`."""
    deadline = time.monotonic() + min(max(wait_seconds, 0.0), MAX_WAIT_FOR_BUILDS)
    while True:
        busy = records_in_use(located, key, min(timeout, 60.0))
        if not busy:
            return
        if time.monotonic() >= deadline:
            waited = f" after waiting {wait_seconds:g}s" if wait_seconds > 0 else ""
            raise MountInUse(
                f"a build is using the cache mount ({', '.join(busy)}){waited}: nothing was "
                "run; try again when it finishes, or pass --wait-for-builds SECONDS"
            )
        time.sleep(1.0)


@dataclass
class MountActionResult:
    """The local result (for `describe_result`/`result_json`) plus the helper's side."""

    result: ActionResult
    uv: UvInMount | None
    after: MountSnapshot | None
    helper_runs: list[HelperRun] = field(default_factory=list)

    def to_json(self, planned: MountActionPlan) -> dict[str, Any]:
        """`planned.to_json()` plus the run's side; the helper records of every build."""
        runs = planned.helper_runs() + self.helper_runs
        return {
            **planned.to_json(),
            "uv_output_tail": self.uv.output if self.uv else None,
            "reread": self.after.to_json() if self.after else None,
            "helper_records_pruned": [i for r in runs for i in r.cleanup.pruned],
            "helper_records_left": [i for r in runs for i in r.cleanup.left],
        }


def _audit(
    planned: MountActionPlan, env: Mapping[str, str] | None, **fields: Any
) -> tuple[str | None, str | None]:
    """One audit line; (path, None) or (None, why not) — never raises."""
    plan = planned.plan
    record = AuditRecord(
        time=now_iso(),
        cache=f"buildkit {planned.target}",
        command=f"{plan.command} (in {planned.uv_image})",
        predicted_bytes=plan.prediction.totals.reclaimable,
        **fields,
    )
    try:
        return append_audit(record, env), None
    except OSError as exc:
        return None, f"cannot write the audit log: {exc.strerror or exc}"


def compare(
    plan: ActionPlan, before: MountSnapshot, after: MountSnapshot, uv: UvInMount | None
) -> ActionResult:
    """What went against what was predicted, as `action_run._measure` says it locally;
    `uv` None: its build was stopped before uv reported (`interrupted`)."""
    removed = removed_paths(before.listing, after.listing)
    predicted = [entry.path for entry in plan.prediction.entries]
    shrink = before.model.totals.allocated - after.model.totals.allocated
    held_elsewhere = plan.prediction.shrink_bytes - plan.prediction.totals.reclaimable
    exit_code = uv.exit_code if uv is not None else None
    output = uv.output if uv is not None else ""
    freed = max(shrink - held_elsewhere, 0) if exit_code == 0 else shrink
    removed_lines = [line for line in output.splitlines() if line.startswith("Removed ")]
    return ActionResult(
        plan=plan,
        ran=True,
        interrupted=uv is None,
        uv_exit_code=exit_code,
        uv_output=output,
        removed_line=removed_lines[-1] if removed_lines else None,
        lock_busy=exit_code is not None and is_lock_timeout(exit_code, output),
        freed_bytes=freed,
        after=after.model,
        cache_shrink_bytes=shrink,
        still_present=[p for p in predicted if _listed(after.listing, p)],
        unpredicted=outside(removed, predicted),
        removed=removed,
    )


def _listed(listing: PathListing, path: str) -> bool:
    parent, _, name = path.rpartition("/")
    return name in listing.entries(parent)


def run_mount_action(
    planned: MountActionPlan,
    *,
    wait_for_builds: float = 0.0,
    audit_env: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
) -> MountActionResult:
    """Run the planned argv inside the mount, read it again, compare with the preview;
    `cancel` set stops uv's build, and what went until then is measured (`interrupted`).
    Raises MountInUse before anything runs, ActionRefused for a blocked plan, HelperError
    (uv image, no such key, the builder) — the audit log has a final line either way."""
    plan = planned.plan
    if plan.blockers:
        raise ActionRefused(plan.blockers[0])
    wait_until_free(planned.located, planned.key, wait_for_builds, planned.timeout)
    audit_path, audit_error = _audit(
        planned, audit_env, freed_bytes=None, uv_exit_code=None, status="started"
    )
    status = "interrupted"
    outcome: MountActionResult | None = None
    uv_code: int | None = None
    try:
        uv: UvInMount | None = None
        try:
            uv = run_uv_in_mount(
                planned.located.resolved,
                planned.key,
                planned.uv_image,
                plan.argv,
                {**plan.extra_env, "NO_COLOR": "1"},
                planned.timeout,
                cancel.is_set if cancel is not None else None,
            )
            uv_code, status = uv.exit_code, "failed"
            runs = [uv.helper.run]
        except UvHelperStopped as stopped:
            runs = [stopped.run]  # measured all the same: uv may have removed a part
        table = planned.before.model.table
        via = VIA_DISK if planned.before.read == READ_ON_DISK else VIA_READER
        with read_mount(
            planned.located, (planned.key,), planned.reader_image, via, table, planned.timeout
        ) as after:
            result = compare(plan, planned.before, after, uv)
        runs += [after.helper] if after.helper else []
        outcome = MountActionResult(result, uv, after, runs)
        if uv is not None:
            status = "done" if uv.exit_code == 0 else "failed"
        return outcome
    except HelperError:
        status = "failed"
        raise
    finally:
        result_now = outcome.result if outcome else None
        removed = result_now.removed if result_now else []
        path, error = _audit(
            planned,
            audit_env,
            freed_bytes=result_now.freed_bytes if result_now else None,
            uv_exit_code=uv_code,
            status=status,
            removed_paths=len(removed),
            removed=tuple(outermost(removed)[:200]),
            unpredicted=tuple(outermost(result_now.unpredicted)[:200]) if result_now else (),
        )
        if result_now is not None:
            result_now.audit_path = path or audit_path
            result_now.audit_error = error or audit_error
