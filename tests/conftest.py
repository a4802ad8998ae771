"""Shared fixtures: real uv caches built by the real uv binary (see uvcache_factory)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.dockerenv import docker_env, engine, tracked
from tests.uvcache_factory import UvEnv, add_history, make_sdist, make_wheel
from uvcache_tui.core.snapshot import DIR_VARIABLE as SNAPSHOT_DIR_VARIABLE

# The real Docker engines' fixtures, for every test package (see tests/dockerenv.py).
__all__ = ["docker_env", "engine", "tracked"]


@dataclass
class RichCache:
    """A cache with hardlinked, copied and symlinked venvs, an sdist build, a stale bucket,
    a foreign file and dir, and a uvx-like cached environment."""

    env: UvEnv
    hardlink_venv: Path
    copy_venv: Path
    symlink_venv: Path

    @property
    def cache(self) -> Path:
        return self.env.cache


def build_rich_cache(base: Path) -> RichCache:
    env = UvEnv(base)
    make_wheel(env.links, "alpha", "1.0")
    make_wheel(env.links, "alpha", "2.0", modules=4)
    make_wheel(env.links, "beta", "0.5", modules=12, module_bytes=9000)
    make_wheel(env.links, "delta-pkg", "0.1.0", modules=2)
    make_sdist(env.links, "gamma", "3.1")
    hard = env.venv("venv-hard")
    env.install(hard, "alpha==1.0", "beta", "gamma")
    copy = env.venv("venv-copy")
    env.install(copy, "alpha==2.0", link_mode="copy")
    sym = env.venv("venv-sym")
    env.install(sym, "delta-pkg", link_mode="symlink")
    add_history(env, hard)
    # A symlink inside the cache pointing at a directory outside it.
    outside = base / "outside-target"
    outside.mkdir()
    (outside / "precious.txt").write_text("must survive")
    simple = next(env.cache.glob("simple-v*"), None) or env.cache / "interpreter-v5"
    (simple / "outside-link").symlink_to(outside)
    # A stale generation next to the current one, as an older uv would have left it.
    shutil.copytree(env.cache / "wheels-v8", env.cache / "wheels-v5", symlinks=True)
    (env.cache / "stray-file.txt").write_text("not uv's\n" * 500)
    (env.cache / "not-a-bucket").mkdir()
    (env.cache / "not-a-bucket" / "data.bin").write_bytes(b"\0" * 20000)
    return RichCache(env, hard, copy, sym)


@pytest.fixture(autouse=True)
def own_snapshot_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test its own scan snapshots (the TUI's last figures), never the user's."""
    directory = tmp_path / "snapshots"
    monkeypatch.setenv(SNAPSHOT_DIR_VARIABLE, str(directory))
    return directory


@pytest.fixture(scope="session")
def rich_cache_template(tmp_path_factory: pytest.TempPathFactory) -> RichCache:
    """Built once per session; tests that modify a cache use `rich_cache` (a fresh copy)."""
    return build_rich_cache(tmp_path_factory.mktemp("rich"))


@pytest.fixture()
def rich_cache(tmp_path: Path) -> Iterator[RichCache]:
    yield build_rich_cache(tmp_path)
