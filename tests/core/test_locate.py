"""Finding caches: uv's own answer, uv's precedence reproduced, and signature discovery."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import RichCache
from tests.uvcache_factory import uv_binary
from uvcache_tui.core.locate import default_cache_dir, discover, find_caches, resolve_cache_dir
from uvcache_tui.core.model import LocationKind
from uvcache_tui.core.uvbin import UvBinary


def _clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path / "home")}
    env.update(extra)
    return env


def test_precedence_env_then_config_then_default(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    env = _clean_env(tmp_path)
    assert resolve_cache_dir(env, str(project)).path == str(tmp_path / "home/.cache/uv")
    (project / "pyproject.toml").write_text('[tool.uv]\ncache-dir = "./rel-cache"\n')
    choice = resolve_cache_dir(env, str(project))
    assert choice.path == str(project / "rel-cache") and choice.source.startswith("config")
    env["UV_CACHE_DIR"] = "relcache"
    choice = resolve_cache_dir(env, str(project))
    assert choice.path == str(project / "relcache") and choice.source == "UV_CACHE_DIR"
    env["UV_NO_CACHE"] = "1"
    assert resolve_cache_dir(env, str(project)).path is None


def test_relative_xdg_is_ignored(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, XDG_CACHE_HOME="rel")
    assert default_cache_dir(env, "linux").path == str(tmp_path / "home/.cache/uv")
    env["XDG_CACHE_HOME"] = str(tmp_path / "x")
    assert default_cache_dir(env, "linux").path == str(tmp_path / "x/uv")


def test_our_precedence_agrees_with_uv(tmp_path: Path) -> None:
    """Without uv we must land where uv lands; check against the real binary."""
    project = tmp_path / "p"
    project.mkdir()
    cases = [
        _clean_env(tmp_path),
        _clean_env(tmp_path, XDG_CACHE_HOME=str(tmp_path / "xdg")),
        _clean_env(tmp_path, UV_CACHE_DIR="relative-cache"),
    ]
    for env in cases:
        uv = UvBinary(uv_binary(), cwd=str(project), env=env)
        assert resolve_cache_dir(env, str(project)).path == uv.cache_dir(), env


def test_discover_asks_uv_and_labels_data_dirs(tmp_path: Path) -> None:
    env = _clean_env(tmp_path, UV_CACHE_DIR=str(tmp_path / "c"))
    uv = UvBinary(uv_binary(), env=env)
    found = discover(uv, env=env, cwd=str(tmp_path))
    assert found.uv_version and found.uv_version[0].isdigit()
    active = found.active_cache
    assert active is not None and active.path == str(tmp_path / "c")
    assert active.source == "UV_CACHE_DIR"
    kinds = [loc.kind for loc in found.locations]
    assert LocationKind.PYTHON in kinds and LocationKind.TOOLS in kinds
    assert "data, not cache" in found.locations[1].label


def test_discover_asks_at_once_what_uv_answers_alone(tmp_path: Path) -> None:
    """The four queries started together give what each gives asked by itself."""
    env = _clean_env(tmp_path, XDG_DATA_HOME=str(tmp_path / "data"))
    uv = UvBinary(uv_binary(), env=env)
    found = discover(uv, env=env, cwd=str(tmp_path))
    assert found.notes == []
    assert found.uv_version == uv.version()
    paths = {loc.kind: loc.path for loc in found.locations}
    assert paths[LocationKind.CACHE] == uv.cache_dir()
    assert paths[LocationKind.PYTHON] == uv.python_dir() == str(tmp_path / "data/uv/python")
    assert paths[LocationKind.TOOLS] == uv.tool_dir() == str(tmp_path / "data/uv/tools")


def test_discover_without_uv_uses_precedence(tmp_path: Path) -> None:
    env = _clean_env(tmp_path)
    found = discover(None, env=env, cwd=str(tmp_path))
    assert found.active_cache is not None
    assert found.active_cache.path == str(tmp_path / "home/.cache/uv")
    assert any("no uv on PATH" in note for note in found.notes)


def test_find_caches_by_signature(tmp_path: Path, rich_cache_template: RichCache) -> None:
    root = rich_cache_template.env.base
    assert find_caches(str(root)) == [str(rich_cache_template.cache)]
    # A venv carries CACHEDIR.TAG too, but is not a cache.
    assert (rich_cache_template.hardlink_venv / "CACHEDIR.TAG").exists()
    found = discover(None, find_roots=[str(root)], env=_clean_env(tmp_path), cwd=str(tmp_path))
    assert [loc.path for loc in found.locations if loc.source.startswith("--find")] == [
        str(rich_cache_template.cache)
    ]
