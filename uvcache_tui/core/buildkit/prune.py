"""Plan and execute cache-mount prunes so that the preview is what happens.

Rules from the BuildKit reference: the `id` filter is an unanchored regex, so one request
per ID with `^ID$`; never `label`/`dangling` (ignored → unfiltered prune) and never several
values per key; in-use records are skipped silently by BuildKit, so they are shown as kept;
unknown IDs and near-misses (a substring of another ID) are not sent at all.

Every mode, `--all-mounts` and `--unused-for` included, sends one anchored request per
previewed record and nothing broader: a cache mount created between the preview and the
run is never named, so it cannot be deleted. Right before sending, the builder is listed
again and such mounts are reported (`PruneResult.appeared`).

Over 400 lines because the plan and the sending share one request shape and one ID rule;
apart, the preview and what is sent could drift.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from uvcache_tui.core.buildkit.budget import DEFAULT_TIMEOUT
from uvcache_tui.core.buildkit.builders import ResolvedBuilder, resolve_builder
from uvcache_tui.core.buildkit.buildx import BuildxError, buildx_du, buildx_prune, prune_args
from uvcache_tui.core.buildkit.engine import (
    EngineError,
    PruneResponse,
    api_version,
    connect,
    describe_prune_call,
    list_engine,
)
from uvcache_tui.core.buildkit.engine import prune as engine_prune
from uvcache_tui.core.buildkit.records import (
    CACHE_MOUNT_TYPE,
    SIZE_NOTE,
    BuildCacheRecord,
    BuilderInfo,
    CacheMountRecord,
    cache_mounts,
)
from uvcache_tui.core.buildkit.select import records_of_cache_id, shows_cache_ids
from uvcache_tui.core.buildkit.values import (
    MAX_DURATION_SECONDS,
    go_duration,
    parse_ago,
    parse_duration,
)
from uvcache_tui.core.words import counted

MODE_IDS = "ids"
MODE_ALL = "all-mounts"
MODE_UNUSED = "unused-for"

# BuildKit's default prune (all=false) skips internal/frontend and "shared" records only;
# the type filter already excludes the first two, and a cache mount is never part of an
# image layer chain, so `all` adds nothing for cache mounts. It is not sent.
SEND_ALL = False

_ID_RE = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class PlanItem:
    """A cache mount and what the prune will do with it."""

    mount: CacheMountRecord
    action: str  # "delete" | "keep"
    reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `buildkit prune --json`."""
        return {**self.mount.to_json(), "action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class RejectedId:
    """A requested ID that will not be sent, and why."""

    id: str
    reason: str  # "unknown" | "near-miss" | "invalid" | "not-a-cache-mount"
    message: str
    candidates: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `buildkit prune --json`."""
        return {
            "id": self.id,
            "reason": self.reason,
            "message": self.message,
            "candidates": list(self.candidates),
        }


@dataclass(frozen=True)
class PruneRequest:
    """One call that `execute_prune` will make, described exactly."""

    filters: tuple[tuple[str, str], ...]
    all: bool
    call: str
    ids: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `buildkit prune --json`."""
        return {
            "filters": {k: [v] for k, v in self.filters},
            "all": self.all,
            "call": self.call,
            "ids": list(self.ids),
        }


@dataclass(frozen=True)
class PrunePlan:
    """What a prune would delete and keep, and the exact requests it would send."""

    builder: BuilderInfo
    mode: str
    items: tuple[PlanItem, ...]
    requests: tuple[PruneRequest, ...]
    rejected: tuple[RejectedId, ...] = ()
    unused_for_seconds: float | None = None
    via: str | None = None
    error: str | None = None
    target: ResolvedBuilder | None = field(default=None, repr=False, compare=False)
    cache_ids: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Each cache id given instead of a record ID, with the records it named."""

    @property
    def to_delete(self) -> tuple[PlanItem, ...]:
        """Items that will be deleted."""
        return tuple(i for i in self.items if i.action == "delete")

    @property
    def bytes_to_delete(self) -> int:
        """Sum of the (stale) sizes of the items to delete."""
        return sum(i.mount.size_bytes or 0 for i in self.to_delete)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `buildkit prune --json` (documented in docs/buildkit.md)."""
        return {
            "builder": self.builder.name,
            "driver": self.builder.driver,
            "via": self.via,
            "mode": self.mode,
            "unused_for_seconds": self.unused_for_seconds,
            "error": self.error,
            "size_note": SIZE_NOTE,
            "size_exact": self.builder.size_exact,
            "bytes_to_delete": self.bytes_to_delete,
            "items": [i.to_json() for i in self.items],
            "rejected": [r.to_json() for r in self.rejected],
            "requests": [r.to_json() for r in self.requests],
            # only when a cache id was given: the JSON of a prune by record IDs is unchanged
            **({"cache_ids": {k: list(v) for k, v in self.cache_ids}} if self.cache_ids else {}),
        }


@dataclass(frozen=True)
class PruneResult:
    """What the engine reported after executing a plan.

    `appeared`: cache mounts listed right before sending that the preview did not show
    (created meanwhile); they were not named in any request, so they are left alone.
    `vanished`: planned records that were already gone at that moment.
    """

    plan: PrunePlan
    deleted: tuple[str, ...] = ()
    space_reclaimed: int | None = None
    not_deleted: tuple[str, ...] = ()
    unexpected: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    appeared: tuple[str, ...] = ()
    vanished: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Everything planned went, nothing failed and no requested ID was rejected."""
        return not (self.errors or self.not_deleted or self.plan.rejected or self.plan.error)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `buildkit prune --json` (documented in docs/buildkit.md)."""
        return {
            "deleted": list(self.deleted),
            "space_reclaimed": self.space_reclaimed,
            "not_deleted": list(self.not_deleted),
            "unexpected": list(self.unexpected),
            "errors": list(self.errors),
            "appeared": list(self.appeared),
            "vanished": list(self.vanished),
        }


def describe_requests(plan: PrunePlan) -> str:
    """What the plan's requests do, in words: the CLI and the TUI preview print this."""
    count = len(plan.requests)
    if not count:
        return "Nothing to prune: no request will be sent."
    text = (
        f"{counted(count, 'request')}, one per record, each naming it with an "
        "anchored ^ID$ filter (BuildKit's id filter is a regex); nothing else is sent. "
        "Records in use by a running build are skipped by BuildKit and shown as kept."
    )
    if plan.mode != MODE_IDS:
        text += (
            " Cache mounts created after this preview are not named, so they are left "
            "alone; the builder is listed again right before sending and they are reported."
        )
    if plan.mode == MODE_UNUSED:
        text += (
            " Each request also carries `until`, so a record that a build used after this "
            "preview is kept by BuildKit."
        )
    return text


def _no_cache_ids(raw: str, info: BuilderInfo, reason: str) -> RejectedId:
    """Neither a record ID nor, on a builder whose records show no ids, usable as a cache
    id: say so, and what to do instead."""
    same_target = tuple(m.id for m in info.mounts if m.target == raw)
    hint = (
        f"; records with target {raw}: {', '.join(same_target)} (the target is not the id "
        "when the Dockerfile gave `id=`): delete those by record ID if they are the ones"
        if same_target
        else "; delete them by record ID (`buildkit ls` shows each record's target)"
    )
    return RejectedId(
        raw,
        reason,
        f"no record {raw} in builder {info.name}; as a cache id it cannot be used: the "
        "builder (BuildKit < 0.12, Engine < 25) does not show cache ids, so the records of "
        f"one cannot be listed{hint}. Nothing pruned",
        same_target,
    )


def _check_ids(
    ids: Sequence[str], info: BuilderInfo
) -> tuple[list[CacheMountRecord], list[RejectedId], dict[str, tuple[str, ...]]]:
    """Exact record IDs, or a cache id (every record of it, where the builder shows ids);
    everything else is rejected with a reason. The third value: each cache id given and
    the records it named."""
    mounts = {m.id: m for m in info.mounts}
    all_ids = {r.id: r.type for r in info.records} or {m: "exec.cachemount" for m in mounts}
    found: list[CacheMountRecord] = []
    rejected: list[RejectedId] = []
    by_cache_id: dict[str, tuple[str, ...]] = {}
    shows_ids = shows_cache_ids(info)
    for raw in dict.fromkeys(i.strip() for i in ids):
        of_id = records_of_cache_id(info, raw) if shows_ids and raw not in mounts else ()
        if of_id:
            by_cache_id[raw] = tuple(m.id for m in of_id)
            found += [m for m in of_id if m not in found]
        elif not _ID_RE.match(raw) and not shows_ids:
            rejected.append(_no_cache_ids(raw, info, "invalid"))
        elif not _ID_RE.match(raw):
            rejected.append(
                RejectedId(
                    raw,
                    "invalid",
                    f"{raw!r} is neither a BuildKit record ID nor a cache id of builder "
                    f"{info.name}; nothing pruned",
                )
            )
        elif raw in mounts:
            if mounts[raw] not in found:
                found.append(mounts[raw])
        elif raw in all_ids:
            rejected.append(
                RejectedId(
                    raw,
                    "not-a-cache-mount",
                    f"{raw} is a {all_ids[raw]} record, not a cache mount; nothing pruned",
                )
            )
        else:
            near = tuple(sorted(i for i in all_ids if raw in i or i in raw))
            if near:
                rejected.append(
                    RejectedId(
                        raw,
                        "near-miss",
                        f"{raw} is not a record ID, but part of {', '.join(near)}; "
                        "give the full ID. Nothing pruned",
                        near,
                    )
                )
            elif not shows_ids:
                rejected.append(_no_cache_ids(raw, info, "unknown"))
            else:
                rejected.append(
                    RejectedId(
                        raw,
                        "unknown",
                        f"no record {raw} in builder {info.name}, nor a cache id; nothing pruned",
                    )
                )
    return found, rejected, by_cache_id


def _describe(target: ResolvedBuilder, filters: Mapping[str, str], all_: bool) -> str:
    """The exact call: HTTP request for docker-driver builders, command line otherwise."""
    if target.info.source == "engine-api":
        return describe_prune_call(target.info.api_version, filters, all_)
    return "docker " + shlex.join(prune_args(target.info.name, filters, all_))


def _request(
    target: ResolvedBuilder, filters: Mapping[str, str], ids: Sequence[str] = ()
) -> PruneRequest:
    return PruneRequest(
        filters=tuple(filters.items()),
        all=SEND_ALL,
        call=_describe(target, filters, SEND_ALL),
        ids=tuple(ids),
    )


def _age_seconds(mount: CacheMountRecord, now: datetime) -> float | None:
    if mount.last_used_at is not None:
        return (now - mount.last_used_at).total_seconds()
    return parse_ago(mount.last_used_text)


def plan_prune(
    ids: Sequence[str] = (),
    *,
    all_mounts: bool = False,
    unused_for: str | float | None = None,
    builder: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
    connect_timeout: float | None = None,
) -> PrunePlan:
    """Read the builder and plan exactly one of: IDs, all cache mounts, mounts unused for.

    `unused_for` is seconds or a duration string (`7d`, `12h`). Raises ValueError for an
    invalid selection; Docker problems end up in `PrunePlan.error`. Whatever the mode, the
    plan holds one request per record to delete, naming it with an anchored `^ID$` filter.
    """
    chosen = sum([bool(ids), all_mounts, unused_for is not None])
    if chosen != 1:
        raise ValueError("choose exactly one of: IDs, all_mounts, unused_for")
    seconds: float | None = None
    if unused_for is not None:
        seconds = parse_duration(unused_for) if isinstance(unused_for, str) else float(unused_for)
        if not 0 < seconds <= MAX_DURATION_SECONDS:
            raise ValueError("unused_for must be positive and at most 100 years")
    mode = MODE_IDS if ids else MODE_ALL if all_mounts else MODE_UNUSED
    target = resolve_builder(builder, timeout, env, connect_timeout)
    info = target.info
    via = "engine-api" if info.source == "engine-api" else "buildx"
    if info.error or not info.listed:
        return PrunePlan(
            builder=info,
            mode=mode,
            items=(),
            requests=(),
            unused_for_seconds=seconds,
            via=via,
            error=info.error or f"builder {info.name} could not be listed",
            target=target,
        )

    items: list[PlanItem] = []
    requests: list[PruneRequest] = []
    rejected: list[RejectedId] = []
    by_cache_id: dict[str, tuple[str, ...]] = {}
    if mode == MODE_IDS:
        found, rejected, by_cache_id = _check_ids(ids, info)
        for mount in found:
            if mount.in_use:
                items.append(PlanItem(mount, "keep", "in use by a running build"))
                continue
            items.append(PlanItem(mount, "delete"))
            filters = {"id": f"^{mount.id}$", "type": CACHE_MOUNT_TYPE}
            requests.append(_request(target, filters, [mount.id]))
    else:
        clock = now or datetime.now(timezone.utc)
        for mount in info.mounts:
            if mount.in_use:
                items.append(PlanItem(mount, "keep", "in use by a running build"))
                continue
            if seconds is not None:
                age = _age_seconds(mount, clock)
                if age is not None and age < seconds:
                    items.append(PlanItem(mount, "keep", "used more recently"))
                    continue
            items.append(PlanItem(mount, "delete"))
            # Exactly this record: a mount created after the preview is never named. With
            # --unused-for, `until` is sent too, so that BuildKit keeps the record if a
            # build used it after the preview.
            filters = {"id": f"^{mount.id}$", "type": CACHE_MOUNT_TYPE}
            if seconds is not None:
                filters["until"] = go_duration(seconds)
            requests.append(_request(target, filters, [mount.id]))
    return PrunePlan(
        builder=info,
        mode=mode,
        items=tuple(items),
        requests=tuple(requests),
        rejected=tuple(rejected),
        unused_for_seconds=seconds,
        via=via,
        target=target,
        cache_ids=tuple(by_cache_id.items()),
    )


@dataclass
class _Sent:
    """What `_send` learned: the listing right before sending, responses, errors."""

    listed: tuple[BuildCacheRecord, ...] | None = None
    responses: list[PruneResponse] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _send(plan: PrunePlan, timeout: float) -> _Sent:
    """List the builder again, then send every request of the plan; errors are collected.

    When the builder cannot be listed again, nothing is sent.
    """
    target = plan.target
    sent = _Sent()
    responses, errors = sent.responses, sent.errors
    if target is None or not plan.requests:
        return sent
    if target.info.source == "engine-api":
        if target.engine is None:
            errors.append(f"builder {target.info.name}: no engine endpoint")
            return sent
        try:
            client = connect(target.engine, timeout)
        except EngineError as exc:
            errors.append(str(exc))
            return sent
        try:
            if target.info.api_version and api_version(client) != target.info.api_version:
                errors.append(
                    f"API version changed since the preview ({target.info.api_version} → "
                    f"{api_version(client)})"
                )
            try:
                sent.listed = list_engine(client, target.engine.host, timeout).records
            except EngineError as exc:
                errors.append(f"could not list the builder again before pruning: {exc}")
                return sent
            for request in plan.requests:
                try:
                    responses.append(
                        engine_prune(client, dict(request.filters), request.all, timeout)
                    )
                except EngineError as exc:
                    errors.append(str(exc))
        finally:
            client.close()
        return sent
    tools = target.tools
    if tools.docker_cli is None or tools.buildx is None:
        errors.append("docker buildx not found")
        return sent
    try:
        sent.listed = tuple(
            buildx_du(tools.docker_cli, tools.env, timeout, target.info.name, tools.buildx[1])
        )
    except BuildxError as exc:
        errors.append(f"could not list the builder again before pruning: {exc}")
        return sent
    for request in plan.requests:
        try:
            responses.append(
                buildx_prune(
                    tools.docker_cli,
                    tools.env,
                    timeout,
                    target.info.name,
                    dict(request.filters),
                    request.all,
                )
            )
        except BuildxError as exc:
            errors.append(str(exc))
    return sent


def execute_prune(plan: PrunePlan, timeout: float = 60.0) -> PruneResult:
    """List the builder again, send the plan's requests (one per record, anchored), and
    compare what went with what was planned and with what exists now."""
    if plan.error:
        return PruneResult(plan=plan, errors=(plan.error,))
    sent = _send(plan, timeout)
    responses = sent.responses
    deleted = tuple(dict.fromkeys(d for r in responses for d in r.deleted))
    sizes = [r.space_reclaimed for r in responses if r.space_reclaimed is not None]
    planned = [i.mount.id for i in plan.to_delete]
    appeared: tuple[str, ...] = ()
    vanished: tuple[str, ...] = ()
    if sent.listed is not None:
        previewed = {i.mount.id for i in plan.items} | {m.id for m in plan.builder.mounts}
        now_ids = {r.id for r in sent.listed}
        if plan.mode != MODE_IDS:
            appeared = tuple(m.id for m in cache_mounts(sent.listed) if m.id not in previewed)
        vanished = tuple(i for i in planned if i not in now_ids)
    return PruneResult(
        plan=plan,
        deleted=deleted,
        space_reclaimed=sum(sizes) if sizes else None,
        not_deleted=tuple(i for i in planned if i not in deleted),
        unexpected=tuple(d for d in deleted if d not in planned),
        errors=tuple(sent.errors),
        appeared=appeared,
        vanished=vanished,
    )
