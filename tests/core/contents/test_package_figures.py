"""A package's figure, on a cache the real uv filled from a local index: its index pages are
part of it (uv cleans them with the package), so a package's row says what cleaning that one
package frees, the clean preview's own figure."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.deep_cache import DeepCache
from tests.uvcache_factory import uv_binary
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.predict import clean_packages_sizes, predict_clean_packages
from uvcache_tui.core.scan.tree import file_sizes
from uvcache_tui.core.uvbin import UvBinary


def test_a_package_counts_its_index_pages(deep_cache: DeepCache) -> None:
    version = UvBinary(uv_binary()).version()
    model = load_cache(str(deep_cache.cache), table_for(version))
    by_name = {p.name: p for p in model.packages}
    pages = {name: p.index_pages for name, p in by_name.items() if p.index_pages}
    # alpha and gamma came from the local index; the others from links, URLs, paths, git
    assert set(pages) == {"alpha", "gamma"}
    for name, paths in pages.items():
        assert [path.rsplit("/", 1)[1] for path in paths] == [f"{name}.rkyv"]
        without = model.selection_sizes(model.package_paths(by_name[name]))
        page = file_sizes(str(deep_cache.cache / paths[0]))
        assert page.allocated > 0
        assert model.package_sizes(by_name[name]).allocated == without.allocated + page.allocated
    for name, package in by_name.items():
        if any("/git/" in d for d in package.dirs):
            continue  # uv leaves the repository's (then empty) dir: 4 KiB the row holds
        row = model.package_sizes(package)
        preview = predict_clean_packages(model, [name])
        assert (row.allocated, row.reclaimable) == (
            preview.totals.allocated,
            preview.totals.reclaimable,
        ), name
        assert clean_packages_sizes(model, [name]) == preview.totals
    shown = subprocess.run(
        [sys.executable, "-m", "uvcache_tui", "show", "--json", str(deep_cache.cache)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr
    document = {p["name"]: p for p in json.loads(shown.stdout)["packages"]}
    for name, package in by_name.items():
        assert document[name]["index_pages"] == sorted(package.index_pages)
        assert document[name]["allocated_bytes"] == model.package_sizes(package).allocated
