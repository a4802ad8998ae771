"""Bulk prunes (`--all-mounts`, `--unused-for`, the TUI's D) delete exactly the previewed
records: a cache mount created between the preview and the run survives and is reported.

Real engines (modern 28.5 and legacy 20.10). Each test snapshots the engine's records and
images right before the run and compares them afterwards: the only change allowed is the
disappearance of the previewed records.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.buildkit.scenarios import build_mounts, build_one_mount, settle
from tests.dockerenv import Engine, Tracker
from uvcache_tui.core.buildkit.prune import MODE_ALL, execute_prune, plan_prune
from uvcache_tui.core.buildkit.records import CACHE_MOUNT_TYPE

pytestmark = pytest.mark.docker


def images(engine: Engine) -> set[tuple[str, tuple[str, ...]]]:
    """Every image (intermediate ones too) with its tags, from the Engine API."""
    api = engine.client()
    try:
        return {(i["Id"], tuple(sorted(i.get("RepoTags") or ()))) for i in api.images(all=True)}
    finally:
        api.close()


def records(engine: Engine) -> dict[str, str]:
    """Record ID → type, from the Engine API."""
    return {r["ID"]: r["Type"] for r in engine.records()}


@pytest.mark.parametrize("mode", ["all-mounts", "unused-for"])
def test_mount_created_after_the_preview_survives(
    tracked: Tracker, tmp_path: Path, mode: str
) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    if mode == "all-mounts":
        plan = plan_prune(all_mounts=True, env=engine.env(), timeout=30)
    else:
        settle(engine, mounts.pip.id, min_age=4.0)
        plan = plan_prune(unused_for="2s", env=engine.env(), timeout=30)
    assert plan.error is None
    planned = [i.mount.id for i in plan.to_delete]
    assert mounts.ids <= set(planned)
    # the preview names every record it will delete, one anchored request each
    assert [r.ids for r in plan.requests] == [(i,) for i in planned]
    for request, record_id in zip(plan.requests, planned, strict=True):
        expected = {"id": f"^{record_id}$", "type": CACHE_MOUNT_TYPE}
        if mode == "unused-for":
            expected["until"] = "2s"
        assert dict(request.filters) == expected
        assert f'"id":["^{record_id}$"]' in request.call

    # between the preview and Run, a build creates a new cache mount ...
    late = build_one_mount(tracked, tmp_path / "late")
    if mode == "unused-for":
        # ... old enough that a broad `until=2s` filter would select it too
        settle(engine, late, min_age=4.0)
    before = records(engine)
    images_before = images(engine)
    assert before[late] == CACHE_MOUNT_TYPE and late not in planned

    result = execute_prune(plan)

    assert result.errors == () and result.unexpected == ()
    assert sorted(result.deleted) == sorted(planned)
    assert result.not_deleted == () and result.vanished == ()
    assert late in result.appeared  # reported, and left alone:
    after = records(engine)
    assert late in after
    assert after == {k: v for k, v in before.items() if k not in planned}
    assert images(engine) == images_before


def test_ids_mode_reports_no_appeared_records(tracked: Tracker, tmp_path: Path) -> None:
    """Naming IDs: other new records are none of the prune's business (not reported)."""
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    plan = plan_prune([mounts.own.id], env=engine.env(), timeout=30)
    late = build_one_mount(tracked, tmp_path / "late")
    before = records(engine)
    result = execute_prune(plan)
    assert result.deleted == (mounts.own.id,) and result.appeared == ()
    assert records(engine) == {k: v for k, v in before.items() if k != mounts.own.id}
    assert late in records(engine)
    assert plan.mode != MODE_ALL
