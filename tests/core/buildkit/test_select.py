"""Which cache mount a MOUNT argument names (record ID, unique prefix, cache id)."""

from __future__ import annotations

import pytest

from uvcache_tui.core.buildkit.records import (
    BuildCacheRecord,
    BuilderInfo,
    BuildkitReport,
    cache_mounts,
)
from uvcache_tui.core.buildkit.select import MountNotFound, resolve_mount


def _builder(name: str, *records: tuple[str, str]) -> BuilderInfo:
    raw = tuple(
        BuildCacheRecord(
            id=rid, type="exec.cachemount", description=f"cached mount {target} from exec sh"
        )
        for rid, target in records
    )
    return BuilderInfo(
        name=name, driver="docker", endpoint=name, status="running", mounts=cache_mounts(raw)
    )


REPORT = BuildkitReport(
    builders=(
        _builder("one", ("abcdef0001", "/root/.cache/uv"), ("abcdef0002", "/root/.cache/pip")),
        _builder("two", ("zzzz000001", "/root/.cache/uv")),
    )
)


def test_full_id_prefix_and_cache_key() -> None:
    assert resolve_mount(REPORT, "abcdef0002").mount.target == "/root/.cache/pip"
    assert resolve_mount(REPORT, "zzzz").builder.name == "two"
    assert resolve_mount(REPORT, "/root/.cache/pip").mount.id == "abcdef0002"
    assert resolve_mount(REPORT, "/root/.cache/uv", builder="two").mount.id == "zzzz000001"


def test_ambiguous_and_unknown_name_the_candidates() -> None:
    with pytest.raises(MountNotFound) as ambiguous:
        resolve_mount(REPORT, "abcdef")
    assert len(ambiguous.value.candidates) == 2
    assert "one/abcdef0001" in str(ambiguous.value) and "one/abcdef0002" in str(ambiguous.value)
    with pytest.raises(MountNotFound, match="cache id of 2 cache mounts"):
        resolve_mount(REPORT, "/root/.cache/uv")
    with pytest.raises(MountNotFound, match="no cache mount 'nope' in any builder"):
        resolve_mount(REPORT, "nope")
    with pytest.raises(MountNotFound, match="no builder 'three'"):
        resolve_mount(REPORT, "zzzz", builder="three")
    # A prefix shorter than four characters names nothing.
    with pytest.raises(MountNotFound):
        resolve_mount(REPORT, "abc")
