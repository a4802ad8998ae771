"""Pruning on real engines: what the plan says is exactly what goes, nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.buildkit.scenarios import build_mounts, default_builder, mounts_with, settle
from tests.dockerenv import Engine, Tracker, token, wait_for
from uvcache_tui.core.buildkit.contexts import EngineEndpoint
from uvcache_tui.core.buildkit.engine import connect
from uvcache_tui.core.buildkit.engine import prune as engine_prune
from uvcache_tui.core.buildkit.prune import execute_prune, plan_prune
from uvcache_tui.core.buildkit.records import CACHE_MOUNT_TYPE

pytestmark = pytest.mark.docker


def test_prune_one_mount_leaves_everything_else(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    plan = plan_prune([mounts.pip.id], env=engine.env(), timeout=30)
    assert plan.error is None and plan.rejected == ()
    assert [(i.mount.id, i.action) for i in plan.items] == [(mounts.pip.id, "delete")]
    (request,) = plan.requests
    assert dict(request.filters) == {"id": f"^{mounts.pip.id}$", "type": CACHE_MOUNT_TYPE}
    assert request.all is False
    assert request.call == (
        f'POST /v{engine.api_version}/build/prune?filters={{"id":["^{mounts.pip.id}$"],'
        f'"type":["{CACHE_MOUNT_TYPE}"]}}'
    )
    result = execute_prune(plan)
    assert result.deleted == (mounts.pip.id,)
    assert result.not_deleted == () and result.unexpected == () and result.errors == ()
    assert result.ok
    assert engine.record_ids() == before - {mounts.pip.id}


@pytest.mark.parametrize("cut", ["prefix", "middle", "suffix"])
def test_near_miss_id_prunes_nothing(tracked: Tracker, tmp_path: Path, cut: str) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    full = mounts.apt.id
    near = {"prefix": full[:12], "middle": full[5:17], "suffix": full[-12:]}[cut]
    before = engine.record_ids()
    plan = plan_prune([near], env=engine.env(), timeout=30)
    (rejected,) = plan.rejected
    assert (rejected.reason, rejected.candidates) == ("near-miss", (full,))
    assert plan.requests == () and plan.items == ()
    result = execute_prune(plan)
    assert result.deleted == () and not result.ok
    # and the anchored filter itself, sent directly, matches nothing either
    client = connect(EngineEndpoint(context="t", host=engine.host), 30)
    try:
        response = engine_prune(client, {"id": f"^{near}$", "type": CACHE_MOUNT_TYPE}, False, 30)
    finally:
        client.close()
    assert response.deleted == ()
    assert engine.record_ids() == before


def test_unknown_and_invalid_ids(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    layer = next(r for r in default_builder(engine).records if r.type != CACHE_MOUNT_TYPE)
    unknown = "zz" + token()[4:] + "zzzzzzzzzzz"
    plan = plan_prune([unknown, "^.*$", layer.id, mounts.own.id], env=engine.env(), timeout=30)
    reasons = {r.id: r.reason for r in plan.rejected}
    assert reasons == {unknown: "unknown", "^.*$": "invalid", layer.id: "not-a-cache-mount"}
    assert [i.mount.id for i in plan.to_delete] == [mounts.own.id]
    result = execute_prune(plan)
    assert result.deleted == (mounts.own.id,)
    assert not result.ok  # some requested IDs were not pruned
    assert engine.record_ids() == before - {mounts.own.id}


def test_all_mounts_leaves_non_mount_records(tracked: Tracker, tmp_path: Path) -> None:
    """Deletes every unused cache mount of the engine (these engines are for tests only)."""
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    records = engine.records()
    non_mounts = {r["ID"] for r in records if r["Type"] != CACHE_MOUNT_TYPE}
    plan = plan_prune(all_mounts=True, env=engine.env(), timeout=30)
    planned = {i.mount.id for i in plan.to_delete}
    # one anchored request per previewed record, nothing broader
    assert [dict(r.filters) for r in plan.requests] == [
        {"id": f"^{i.mount.id}$", "type": CACHE_MOUNT_TYPE} for i in plan.to_delete
    ]
    assert mounts.ids <= planned
    result = execute_prune(plan)
    assert set(result.deleted) >= mounts.ids
    assert result.errors == ()
    after = engine.records()
    assert non_mounts <= {r["ID"] for r in after}
    assert all(r["InUse"] for r in after if r["Type"] == CACHE_MOUNT_TYPE)


def test_unused_for(tracked: Tracker, tmp_path: Path) -> None:
    """`until` keeps records used within the duration (lastUsedAt), on both API versions."""
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    plan = plan_prune(unused_for="1000d", env=engine.env(), timeout=30)
    ours = {i.mount.id: i for i in plan.items if i.mount.id in mounts.ids}
    assert {i.action for i in ours.values()} == {"keep"}
    result = execute_prune(plan)
    assert not (set(result.deleted) & mounts.ids)
    assert engine.record_ids() == before

    # once they are a few seconds old, a short duration selects them (preview only: a real
    # run would also delete other tests' mounts) ...
    settle(engine, mounts.pip.id, min_age=4.0)
    plan = plan_prune(unused_for="2s", env=engine.env(), timeout=30)
    assert mounts.ids <= {i.mount.id for i in plan.to_delete}
    assert [dict(r.filters) for r in plan.requests] == [
        {"id": f"^{i.mount.id}$", "type": CACHE_MOUNT_TYPE, "until": "2s"} for i in plan.to_delete
    ]
    # ... and the engine agrees, checked on one record with an added anchored id filter
    client = connect(EngineEndpoint(context="t", host=engine.host), 30)
    try:
        kept = engine_prune(
            client,
            {"id": f"^{mounts.pip.id}$", "type": CACHE_MOUNT_TYPE, "until": "86400s"},
            False,
            30,
        )
        gone = engine_prune(
            client,
            {"id": f"^{mounts.pip.id}$", "type": CACHE_MOUNT_TYPE, "until": "2s"},
            False,
            30,
        )
    finally:
        client.close()
    assert kept.deleted == ()
    assert gone.deleted == (mounts.pip.id,)


@pytest.fixture
def busy_mount(tracked: Tracker, tmp_path: Path) -> Iterator[tuple[Engine, str]]:
    """A cache mount held by a running build (killed at teardown)."""
    engine = tracked.engine
    tok = token()
    ctx = tmp_path / "busy"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text(
        f"FROM {engine.busybox_image}\n"
        f"RUN --mount=type=cache,id={tok},target=/var/cache/apt echo {tok} && sleep 120\n"
    )
    proc = subprocess.Popen(
        [engine.docker_bin, "build", "--network", "none", "--progress", "plain", str(ctx)],
        env=engine.env(DOCKER_BUILDKIT="1"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def busy() -> str | None:
            for mount in mounts_with(default_builder(engine), tok):
                if mount.in_use:
                    return mount.id
            return None

        yield engine, wait_for(busy, "the cache mount to be in use", timeout=90)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        wait_for(
            lambda: not any(m.in_use for m in mounts_with(default_builder(engine), tok)),
            "the build to release its mount",
            timeout=90,
        )


def test_in_use_mount_is_kept(busy_mount: tuple[Engine, str]) -> None:
    engine, mount_id = busy_mount
    plan = plan_prune([mount_id], env=engine.env(), timeout=30)
    (item,) = plan.items
    assert (item.action, item.reason) == ("keep", "in use by a running build")
    assert plan.requests == ()
    everything = plan_prune(all_mounts=True, env=engine.env(), timeout=30)
    assert ("keep", mount_id) in {(i.action, i.mount.id) for i in everything.items}
    # BuildKit itself skips in-use records even when asked by anchored ID
    client = connect(EngineEndpoint(context="t", host=engine.host), 30)
    try:
        response = engine_prune(client, {"id": f"^{mount_id}$"}, False, 30)
    finally:
        client.close()
    assert response.deleted == ()
    assert mount_id in engine.record_ids()
