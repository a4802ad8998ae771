"""Listing cache mounts on real engines: Engine 28.5 (API 1.51) and 20.10 (API 1.41)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.core.buildkit.scenarios import (
    build_16180,
    build_mounts,
    default_builder,
    mounts_with,
)
from tests.dockerenv import DockerEnv, Engine, Tracker, base_environ, token
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.records import FLAG_UNEXPANDED

pytestmark = pytest.mark.docker


def test_16180_dockerfile(tracked: Tracker, tmp_path: Path) -> None:
    """ENV-based target: expanded on modern engines, literal (and baked in) on 20.10."""
    engine = tracked.engine
    tok, tag = build_16180(tracked, tmp_path / "ctx")
    builder = default_builder(engine)
    (mount,) = mounts_with(builder, tok)
    assert mount.kind == "uv"
    assert mount.size_exact and mount.size_bytes is not None
    assert mount.created_at is not None and mount.last_used_at is not None
    assert mount.in_use is False
    assert mount.command is not None and "uv sync --offline" in mount.command
    listing = engine.docker(
        "run", "--rm", "--network", "none", tag, "sh", "-c",
        'ls -A /application/cache/uv 2>/dev/null; echo "--"; literal="/build/\\${UV_CACHE_DIR}";'
        ' if [ -d "$literal" ]; then echo literal-dir; ls -A "$literal"; fi',
    ).stdout  # fmt: skip
    in_image, _, literal_dir = listing.partition("--\n")
    if engine.legacy:
        assert mount.target == "/build/${UV_CACHE_DIR}"
        assert mount.flags == (FLAG_UNEXPANDED,)
        assert mount.cache_id is None  # BuildKit 0.8 prints no ` with id` suffix
        # the mount landed on the literal dir; uv wrote into the image layer instead
        assert "CACHEDIR.TAG" in in_image.split()
        assert literal_dir.split() == ["literal-dir"]  # empty: only the mount point is left
    else:
        assert mount.target == "/application/cache/uv"
        assert mount.flags == ()
        assert (mount.namespace, mount.cache_id) == ("", "/application/cache/uv")
        assert in_image.strip() == ""
        assert literal_dir.strip() == ""


def test_id_sharing_uid_pip_apt(tracked: Tracker, tmp_path: Path) -> None:
    mounts = build_mounts(tracked, tmp_path / "ctx")
    tok = mounts.token
    assert (mounts.pip.kind, mounts.apt.kind, mounts.own.kind) == ("pip", "apt", "other")
    assert mounts.own.target == f"/cache-{tok}"
    assert mounts.pip.target == "/root/.cache/pip"
    assert mounts.apt.target == "/var/cache/apt"
    for mount in (mounts.own, mounts.pip, mounts.apt):
        assert mount.flags == ()
        assert mount.usage_count is not None and mount.usage_count >= 1
    if tracked.engine.legacy:
        assert mounts.own.cache_id is None
    else:
        assert mounts.own.cache_id == f"{tok}-own"
        assert mounts.pip.cache_id == f"{tok}-pip"
    # a uid/gid mount sits on top of a record that creates the directory with that owner
    records = {r.id: r for r in default_builder(tracked.engine).records}
    assert records[mounts.own.id].parents
    assert not records[mounts.pip.id].parents


def test_multi_context_lists_both_engines(docker_env: DockerEnv, tmp_path: Path) -> None:
    """Two contexts, one docker-driver builder each, read through their own hosts."""
    legacy = docker_env.legacy
    tracker = Tracker(engine=legacy, before=legacy.record_ids())
    try:
        mounts = build_mounts(tracker, tmp_path / "ctx")
        report = list_builders(timeout=30, env=docker_env.multi_env())
        by_name = {b.name: b for b in report.builders}
        modern_b = by_name[docker_env.modern.context]
        legacy_b = by_name[legacy.context]
        for builder, eng in ((modern_b, docker_env.modern), (legacy_b, legacy)):
            assert builder.error is None and builder.listed
            assert builder.driver == "docker"
            assert builder.host == eng.host
            assert builder.source == "engine-api"
        assert modern_b.current is True and legacy_b.current is False
        assert legacy_b.api_version == "1.41"
        assert {m.id for m in mounts_with(legacy_b, mounts.token)} == mounts.ids
        assert mounts_with(modern_b, mounts.token) == []
        if "default" in by_name and not Path("/var/run/docker.sock").exists():
            assert by_name["default"].error is not None
            assert by_name["default"].error.startswith("Docker: not reachable — ")
        only = list_builders(timeout=30, builder=legacy.context, env=docker_env.multi_env())
        assert [b.name for b in only.builders] == [legacy.context]
        missing = list_builders(timeout=30, builder="nosuch", env=docker_env.multi_env())
        assert missing.builders[0].error == 'no builder "nosuch" found'
    finally:
        tracker.cleanup()


def test_multi_context_with_buildx_013(docker_env: DockerEnv, tmp_path: Path) -> None:
    """buildx 0.13.1 repeats builders and has no `Current`: deduplicated, current from config."""
    config = tmp_path / "config"
    shutil.copytree(docker_env.values["UVCT_MULTI_DOCKER_CONFIG"], config, symlinks=True)
    plugin = config / "cli-plugins" / "docker-buildx"
    plugin.unlink()
    legacy_plugin = Path(docker_env.legacy.docker_config) / "cli-plugins" / "docker-buildx"
    plugin.symlink_to(legacy_plugin.resolve())
    env = docker_env.multi_env(DOCKER_CONFIG=str(config))
    report = list_builders(timeout=30, env=env)
    assert report.buildx_version == "0.13.1"
    names = [b.name for b in report.builders]
    assert len(names) == len(set(names))
    by_name = {b.name: b for b in report.builders}
    assert by_name[docker_env.modern.context].current is True
    assert by_name[docker_env.legacy.context].listed
    assert by_name[docker_env.legacy.context].buildkit_version == "v0.8+unknown"


def test_without_buildx_or_cli(engine: Engine, tmp_path: Path) -> None:
    """No buildx plugin, then no docker CLI at all: the engine is still read via docker-py."""
    no_plugins = engine.env(DOCKER_CONFIG=str(tmp_path))
    report = list_builders(timeout=30, env=no_plugins)
    assert report.buildx_version is None
    assert any("buildx not found" in w for w in report.warnings)
    (builder,) = report.builders
    assert builder.listed and builder.error is None and builder.name == "default"
    no_cli = {**base_environ(), "DOCKER_HOST": engine.host, "PATH": str(tmp_path)}
    report = list_builders(timeout=30, env=no_cli)
    assert report.docker_cli is None
    (builder,) = report.builders
    assert builder.listed and builder.api_version == engine.api_version


def test_builder_filter_by_name(engine: Engine) -> None:
    report = list_builders(timeout=30, builder="default", env=engine.env())
    assert [b.name for b in report.builders] == ["default"]
    name = token()
    report = list_builders(timeout=30, builder=name, env=engine.env())
    assert report.builders[0].error == f'no builder "{name}" found'
