"""The buildx path (used for non-docker drivers) run live against the docker-driver builders.

No docker-container/remote builder can be started offline, but `buildx du/prune` on the
current context's builder prints the same formats, so the parsers and the prune command
line are checked against the Engine API's view of the same records.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.buildkit.scenarios import build_mounts
from tests.dockerenv import Tracker
from uvcache_tui.core.buildkit.buildx import buildx_du, buildx_prune, buildx_version
from uvcache_tui.core.buildkit.proc import find_docker_cli
from uvcache_tui.core.buildkit.records import CACHE_MOUNT_TYPE, cache_mounts

pytestmark = pytest.mark.docker


def test_buildx_du_agrees_with_engine_api(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    env = engine.env()
    cli = find_docker_cli(env)
    assert cli is not None
    version = buildx_version(cli, env, 30)
    assert version is not None
    assert version[1] >= (0, 28, 0) if not engine.legacy else version[0] == "0.13.1"
    records = {r.id: r for r in buildx_du(cli, env, 30, "default", version[1])}
    api = {r["ID"]: r for r in engine.records()}
    assert set(records) == set(api)
    for record_id, record in records.items():
        assert record.type == (api[record_id]["Type"] or "regular")
        assert record.description.strip() == api[record_id]["Description"].strip()
        assert record.in_use == api[record_id]["InUse"]
        assert not record.size_exact and record.size_bytes is not None
        # go-units rounds to 4 significant digits
        assert (
            abs(record.size_bytes - api[record_id]["Size"])
            <= max(1, api[record_id]["Size"]) * 0.001
        )
    found = {m.id: m for m in cache_mounts(records.values())}
    assert found[mounts.pip.id].kind == "pip"
    assert found[mounts.pip.id].target == "/root/.cache/pip"
    assert found[mounts.apt.id].usage_count == api[mounts.apt.id]["UsageCount"]


def test_buildx_prune_one_mount(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    env = engine.env()
    cli = find_docker_cli(env)
    assert cli is not None
    before = engine.record_ids()
    response = buildx_prune(
        cli, env, 60, "default", {"id": f"^{mounts.apt.id}$", "type": CACHE_MOUNT_TYPE}, False
    )
    assert response.deleted == (mounts.apt.id,)
    assert engine.record_ids() == before - {mounts.apt.id}
    near = buildx_prune(
        cli, env, 60, "default", {"id": f"^{mounts.pip.id[:-1]}$", "type": CACHE_MOUNT_TYPE}, False
    )
    assert near.deleted == ()
    assert engine.record_ids() == before - {mounts.apt.id}
