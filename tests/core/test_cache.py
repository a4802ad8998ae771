"""The cache model built from a real uv cache: buckets, packages, archives, lock, tag."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RichCache
from tests.core import inode_oracle
from tests.uvcache_factory import UvEnv, make_wheel, uv_binary
from uvcache_tui.core.buckets import BucketStatus, table_for
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.cache_dir import NotACacheError, check_cache_dir
from uvcache_tui.core.lock import LockState, probe_lock


@pytest.fixture(scope="module")
def model(rich_cache_template: RichCache) -> CacheModel:
    return load_cache(str(rich_cache_template.cache), table_for("0.13.9"))


def test_buckets_are_classified(model: CacheModel) -> None:
    status = {bucket.name: bucket.status for bucket in model.buckets}
    assert status["wheels-v8"] is BucketStatus.CURRENT
    assert status["archive-v0"] is BucketStatus.CURRENT
    assert status["wheels-v5"] is BucketStatus.STALE
    assert status["not-a-bucket"] is BucketStatus.FOREIGN
    assert status["stray-file.txt"] is BucketStatus.FOREIGN
    assert status["CACHEDIR.TAG"] is BucketStatus.SCAFFOLD
    assert status[".lock"] is BucketStatus.SCAFFOLD


def test_bucket_sizes_match_oracle(model: CacheModel, rich_cache_template: RichCache) -> None:
    for bucket in model.buckets:
        path = rich_cache_template.cache / bucket.name
        assert bucket.sizes.allocated == inode_oracle.allocated([path]), bucket.name
        assert bucket.sizes.reclaimable == inode_oracle.reclaimable([path]), bucket.name


def test_packages_names_versions_and_archives(model: CacheModel) -> None:
    packages = {package.name: package for package in model.packages}
    assert set(packages) == {"alpha", "beta", "delta-pkg", "gamma"}
    assert packages["alpha"].versions == {"1.0", "2.0"}
    assert packages["gamma"].versions == {"3.1"}
    assert any(d.startswith("sdists-v11/") for d in packages["gamma"].dirs)
    assert {d.split("/")[0] for d in packages["beta"].dirs} == {"wheels-v8", "wheels-v5"}
    assert len(packages["alpha"].archive_ids) == 2


def test_package_sizes_match_oracle(model: CacheModel, rich_cache_template: RichCache) -> None:
    cache = rich_cache_template.cache
    for package in model.packages:
        paths = [cache / d for d in package.dirs]
        paths += [cache / "archive-v0" / a for a in package.archive_ids]
        sizes = model.package_sizes(package)
        assert sizes.allocated == inode_oracle.allocated(paths), package.name
        assert sizes.reclaimable == inode_oracle.reclaimable(paths), package.name


def test_hardlinked_package_is_not_reclaimable(model: CacheModel) -> None:
    beta = next(p for p in model.packages if p.name == "beta")
    sizes = model.package_sizes(beta)
    # beta's files are linked from the hardlinked venv and the cached environment.
    assert sizes.reclaimable < sizes.allocated / 2


def test_dangling_archives_and_environments(model: CacheModel) -> None:
    dangling = model.dangling_archives
    labels = sorted(a.label for a in dangling)
    assert labels == ["alpha-1.0", "environment"]
    assert [e.split("/")[0] for e in model.environments] == ["environments-v2"]
    referenced = [a for a in model.archives if a.referrers]
    assert all(r.startswith(("wheels-v8/", "sdists-v11/")) for a in referenced for r in a.referrers)


def test_cachedir_tag_and_free_lock(model: CacheModel) -> None:
    assert model.cachedir_tag.present and model.cachedir_tag.valid
    assert model.lock.state is LockState.FREE


def test_lock_held_by_running_uv(tmp_path: Path) -> None:
    env = UvEnv(tmp_path)
    make_wheel(env.links, "alpha", "1.0")
    script = tmp_path / "sleep.py"
    script.write_text("import time\ntime.sleep(30)\n")
    holder = subprocess.Popen(
        [uv_binary(), "run", "--no-project", "--python", sys.executable, str(script)],
        env=env.env(),
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 20
        probe = probe_lock(str(env.cache))
        while probe.state is not LockState.HELD and time.monotonic() < deadline:
            time.sleep(0.1)
            probe = probe_lock(str(env.cache))
        assert probe.state is LockState.HELD
        assert holder.pid in probe.holders
        assert f"pid {holder.pid} (uv)" in probe.description
    finally:
        holder.terminate()
        holder.wait(10)
    assert probe_lock(str(env.cache)).state is LockState.FREE


def test_check_cache_dir_rejects_bad_paths(tmp_path: Path, rich_cache_template: RichCache) -> None:
    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    for bad, words in [
        (tmp_path / "missing", "no such file"),
        (tmp_path / "file", "not a directory"),
        (tmp_path / "empty", "not a uv cache"),
        (rich_cache_template.hardlink_venv, "not a uv cache"),
    ]:
        with pytest.raises(NotACacheError, match=words):
            check_cache_dir(str(bad))
    assert check_cache_dir(str(rich_cache_template.cache)) == str(rich_cache_template.cache)
