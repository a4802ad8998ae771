"""The same contents from caches written by older real uv releases (their records have other
shapes: `[id, hashes]` pointers and file-name keys in 0.5, `interpreter-v4`'s flat layout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deep_cache import build_deep_cache
from tests.uv_releases import AROUND_0_8_2X, OLD, release_binary
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache


@pytest.mark.parametrize("read_records", [False, True], ids=["after", "during-scan"])
@pytest.mark.parametrize("version", [OLD, AROUND_0_8_2X])
def test_older_release_cache_decodes(version: str, read_records: bool, tmp_path: Path) -> None:
    """Both ways: read when asked for (the TUI), and read ahead during the scan (`show`)."""
    deep = build_deep_cache(tmp_path, uv_path=release_binary(version))
    model = load_cache(str(deep.cache), table_for(version), workers=2, read_records=read_records)
    assert model.contents is not None
    contents = model.contents.read_all()
    assert contents.undecoded == []
    alpha = {w.version: w for w in contents.of("alpha").wheels}
    assert set(alpha) == {"1.0", "2.0"}
    for wheel in alpha.values():
        assert wheel.filename == f"alpha-{wheel.version}-py3-none-any.whl"
        assert wheel.origin.url == f"{deep.index_url}alpha/{wheel.filename}"
        assert wheel.origin.index == deep.index_url
        assert wheel.linked and wheel.current
    [gamma] = contents.of("gamma").wheels
    assert gamma.built and gamma.origin.url == f"{deep.index_url}gamma/gamma-3.1.tar.gz"
    [git] = contents.of("gitpkg").wheels
    assert (git.origin.url, git.origin.commit) == (f"file://{deep.repo}", deep.commit)
    stale = [e.executable for e in contents.interpreters if not e.exists]
    assert stale == [str(deep.gone_venv / "bin" / "python")]
    assert all(e.bucket == "interpreter-v4" for e in contents.interpreters)
    assert [(i.url, i.pages) for i in contents.indexes] == [(deep.index_url, 2)]
    [checkout] = contents.git_checkouts
    assert checkout.complete and checkout.commit == deep.commit
