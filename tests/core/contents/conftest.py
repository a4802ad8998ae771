"""The deep cache, built once per session by the real uv (tests that change it copy it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deep_cache import DeepCache, build_deep_cache


@pytest.fixture(scope="session")
def deep_cache(tmp_path_factory: pytest.TempPathFactory) -> DeepCache:
    return build_deep_cache(tmp_path_factory.mktemp("deep"))


def copy_cache(source: Path, dest: Path) -> Path:
    """A copy of a cache with its symlinks kept as links (relative ones stay valid)."""
    import shutil

    shutil.copytree(source, dest, symlinks=True)
    return dest
