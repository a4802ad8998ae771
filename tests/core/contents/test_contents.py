"""Deep contents of a cache the real uv wrote: each wheel's file name, tags and origin, sdist
revisions, git checkouts, interpreter queries and index pages."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import pytest

from tests.conftest import RichCache
from tests.core.contents.conftest import copy_cache
from tests.deep_cache import DeepCache
from tests.uvcache_factory import du_bytes
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.contents import CachedWheel, Contents


@pytest.fixture(scope="module")
def model(deep_cache: DeepCache) -> CacheModel:
    return load_cache(str(deep_cache.cache), table_for("0.13.9"))


@pytest.fixture(scope="module")
def contents(model: CacheModel) -> Contents:
    assert model.contents is not None, "load_cache reads the contents with the model"
    assert model.contents.packages == {}, "packages' wheels are read when asked for"
    return model.contents.read_all()


def only_wheel(contents: Contents, package: str) -> CachedWheel:
    wheels = contents.of(package).wheels
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_index_wheels_have_file_name_tags_url_and_index(
    contents: Contents, deep_cache: DeepCache
) -> None:
    wheels = {w.version: w for w in contents.of("alpha").wheels}
    assert set(wheels) == {"1.0", "2.0"}
    for version, wheel in wheels.items():
        assert wheel.filename == f"alpha-{version}-py3-none-any.whl"
        assert wheel.tags == "py3-none-any"
        assert not wheel.built
        assert wheel.origin.kind == "index"
        assert wheel.origin.index == deep_cache.index_url
        assert wheel.origin.url == f"{deep_cache.index_url}alpha/{wheel.filename}"
        assert wheel.current and wheel.linked


def test_wheel_archive_sizes_and_links_outside(model: CacheModel, contents: Contents) -> None:
    wheels = {w.version: w for w in contents.of("alpha").wheels}
    links = {link.referrer: link.archive_id for link in model.links}
    for wheel in wheels.values():
        assert wheel.archive_id == links[wheel.entry]
        sizes = model.selection_sizes([f"archive-v0/{wheel.archive_id}"])
        assert (wheel.allocated, wheel.reclaimable) == (sizes.allocated, sizes.reclaimable)
    # 1.0 is hardlinked into venv-kept; 2.0's only venv was deleted.
    assert wheels["1.0"].links_outside == 1
    assert wheels["1.0"].reclaimable < wheels["1.0"].allocated
    assert wheels["2.0"].links_outside == 0
    assert wheels["2.0"].reclaimable == wheels["2.0"].allocated
    assert wheels["1.0"].cached_at is not None


def test_sdist_build_is_marked_built_with_its_sdist_url(
    contents: Contents, deep_cache: DeepCache
) -> None:
    wheel = only_wheel(contents, "gamma")
    assert wheel.built and wheel.filename == "gamma-3.1-py3-none-any.whl"
    assert wheel.origin.kind == "index" and wheel.origin.index == deep_cache.index_url
    assert wheel.origin.url == f"{deep_cache.index_url}gamma/gamma-3.1.tar.gz"
    [revision] = contents.of("gamma").sdists
    assert revision.current is True and revision.version == "3.1"
    assert revision.wheels == ("gamma-3.1-py3-none-any.whl",)
    assert wheel.entry.startswith(revision.path + "/")


def test_direct_url_path_find_links_and_git_origins(
    contents: Contents, deep_cache: DeepCache
) -> None:
    direct = only_wheel(contents, "direct-pkg")
    assert direct.origin.kind == "url"
    assert direct.origin.url == f"{deep_cache.server_url}/direct/direct_pkg-0.3-py3-none-any.whl"
    assert only_wheel(contents, "localpkg").origin.kind == "path"
    assert only_wheel(contents, "flpkg").origin.kind == "find-links"
    git = only_wheel(contents, "gitpkg")
    assert git.built
    assert (git.origin.kind, git.origin.url) == ("git", f"file://{deep_cache.repo}")
    assert git.origin.commit == deep_cache.commit


def test_git_checkout_names_repository_and_commit(
    contents: Contents, deep_cache: DeepCache
) -> None:
    [checkout] = contents.git_checkouts
    assert checkout.repository == f"file://{deep_cache.repo}"
    assert checkout.commit == deep_cache.commit
    assert checkout.complete and checkout.allocated > 0


def test_interpreters_decoded_and_deleted_venv_is_stale(
    contents: Contents, deep_cache: DeepCache
) -> None:
    by_executable = {e.executable: e for e in contents.interpreters}
    kept = by_executable[str(deep_cache.kept_venv / "bin" / "python")]
    gone = by_executable[str(deep_cache.gone_venv / "bin" / "python")]
    assert kept.exists and not gone.exists
    for entry in (kept, gone):
        assert entry.is_virtualenv
        assert entry.implementation == sys.implementation.name
        assert entry.version == platform.python_version()
        assert entry.platform == f"{sys.platform}-{platform.machine()}"
    assert gone.prefix == str(deep_cache.gone_venv)
    assert contents.undecoded == []


def test_index_pages_counted_per_index(contents: Contents, model: CacheModel) -> None:
    [index] = contents.indexes
    assert index.label == index.url
    assert index.pages == 2
    node = model.scan.node(index.path)
    assert node is not None and index.allocated == node.sizes.allocated


def test_pypi_pages_are_labelled_pypi(deep_cache: DeepCache, tmp_path: Path) -> None:
    cache = copy_cache(deep_cache.cache, tmp_path / "cache")
    [index_dir] = (cache / "simple-v28" / "index").iterdir()
    index_dir.rename(cache / "simple-v28" / "pypi")
    contents = load_cache(str(cache), table_for("0.13.9")).contents
    assert contents is not None
    [index] = contents.indexes
    assert (index.label, index.digest, index.pages) == ("PyPI", None, 2)


def test_rich_cache_stale_generation_and_old_revision(rich_cache_template: RichCache) -> None:
    model = load_cache(str(rich_cache_template.cache), table_for("0.13.9"))
    assert model.contents is not None
    alpha = model.contents.of("alpha").wheels
    assert {(w.bucket, w.version) for w in alpha} == {
        (bucket, version) for bucket in ("wheels-v8", "wheels-v5") for version in ("1.0", "2.0")
    }
    assert all(w.current == (w.bucket == "wheels-v8") for w in alpha)
    revisions = model.contents.of("gamma").sdists
    assert sorted(r.current for r in revisions) == [False, True]
    assert all(r.origin.kind == "find-links" for r in revisions)
    # beta is hardlinked into venv-hard and into the cached environment: only the venv is
    # outside the cache.
    beta = [w for w in model.contents.of("beta").wheels if w.current]
    assert [w.links_outside for w in beta] == [1]
    assert model.totals.allocated == du_bytes(rich_cache_template.cache)


def test_contents_leave_totals_unchanged(model: CacheModel, deep_cache: DeepCache) -> None:
    assert model.totals.allocated == du_bytes(deep_cache.cache)
    assert os.path.isdir(deep_cache.cache / "interpreter-v5")


def test_show_decodes_the_records_read_during_the_scan(
    deep_cache: DeepCache, tmp_path: Path
) -> None:
    """`load_cache(read_records=True)` (`show`) reads every wheel pointer and sdist source
    dir before it returns (in a child once the workers are done, or in a thread while they
    walk): the contents are those, not the files' later state, and equal a read after the
    scan."""
    cache = copy_cache(deep_cache.cache, tmp_path / "cache")
    table = table_for("0.13.9")
    after = load_cache(str(cache), table, workers=2).compute_contents().read_all()
    model = load_cache(str(cache), table, workers=2, read_records=True)
    emptied_files = [*cache.glob("wheels-v8/**/*.http"), *cache.glob("sdists-v*/**/revision.*")]
    for pointer in emptied_files:
        pointer.write_bytes(b"")  # what the contents read from now on: nothing
    built = sorted(cache.glob("sdists-v*/**/*.whl"))
    assert built, "the deep cache has wheels built from sdists"
    for wheel in built:
        wheel.unlink()
    during = model.compute_contents().read_all()
    assert during.packages == after.packages
    assert during.undecoded == after.undecoded
    assert any(p.wheels for p in during.packages.values())
    assert any(w.built for p in during.packages.values() for w in p.wheels)
    assert any(r.current for p in during.packages.values() for r in p.sdists)
    emptied = load_cache(str(cache), table, workers=2).compute_contents().read_all()
    assert any(entry.reason == "empty file" for entry in emptied.undecoded)
    assert {e.path.rsplit("/", 1)[-1] for e in emptied.undecoded} >= {"revision.http"}
    assert not any(w.built for p in emptied.packages.values() for w in p.wheels)
