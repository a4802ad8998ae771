"""Parsers on outputs recorded from the real engines by `scripts/test-docker.sh record-fixtures`.

The recording built `Dockerfile.recorded` (the #16180 ENV target, a plain uv mount, a pip
mount with 200 kB, an `id=mycache,sharing=private,uid=1000,gid=1000` mount, a layer) on
Engine 20.10.24 (API 1.41, buildx 0.13.1) and Engine 28.5 (API 1.51, buildx 0.29).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from uvcache_tui.core.buildkit.buildx import (
    parse_du_json,
    parse_du_verbose,
    parse_ls_json,
    parse_ls_table,
)
from uvcache_tui.core.buildkit.engine import parse_system_df
from uvcache_tui.core.buildkit.records import (
    FLAG_UNEXPANDED,
    BuildCacheRecord,
    CacheMountRecord,
    cache_mounts,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "buildkit"

LEGACY_TARGETS = {
    "/${UV_CACHE_DIR}": "uv",
    "/root/.cache/uv": "uv",
    "/root/.cache/pip": "pip",
    "/cache": "other",
}
MODERN_TARGETS = {
    "/application/cache/uv": "uv",
    "/root/.cache/uv": "uv",
    "/root/.cache/pip": "pip",
    "/cache": "other",
}


def fixture(name: str) -> str:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"recorded fixture {name} missing (scripts/test-docker.sh record-fixtures)")
    return path.read_text()


def by_target(
    records: tuple[BuildCacheRecord, ...] | list[BuildCacheRecord],
) -> dict[str, CacheMountRecord]:
    mounts = cache_mounts(records)
    assert all(m.target for m in mounts)
    return {str(m.target): m for m in mounts}


def api_records(name: str) -> tuple[BuildCacheRecord, ...]:
    records = parse_system_df(json.loads(fixture(name)))
    assert records is not None
    return records


def check_legacy(mounts: dict[str, CacheMountRecord]) -> None:
    assert {t: m.kind for t, m in mounts.items()} == LEGACY_TARGETS
    assert mounts["/${UV_CACHE_DIR}"].flags == (FLAG_UNEXPANDED,)
    assert all(m.cache_id is None for m in mounts.values())  # BuildKit 0.8: no ` with id`
    assert all(m.flags == () for t, m in mounts.items() if t != "/${UV_CACHE_DIR}")


def check_modern(mounts: dict[str, CacheMountRecord]) -> None:
    assert {t: m.kind for t, m in mounts.items()} == MODERN_TARGETS
    assert all(m.flags == () for m in mounts.values())
    assert mounts["/application/cache/uv"].cache_id == "/application/cache/uv"
    assert mounts["/root/.cache/uv"].cache_id == "/root/.cache/uv"
    assert (mounts["/cache"].namespace, mounts["/cache"].cache_id) == ("", "mycache")


def test_api_141() -> None:
    records = api_records("api-1.41-system-df.json")
    mounts = by_target(records)
    check_legacy(mounts)
    assert all(m.size_exact for m in mounts.values())
    # the uid/gid mount has a `Parent` (the directory created with that owner)
    ids = {r.id: r for r in records}
    assert ids[mounts["/cache"].id].parents
    raw = json.loads(fixture("api-1.41-system-df.json"))
    assert all("Parent" in item for item in raw["BuildCache"])


def test_api_151_parents_key_with_leading_space() -> None:
    raw = json.loads(fixture("api-1.51-system-df.json"))
    assert any(" Parents" in item for item in raw["BuildCache"])
    records = api_records("api-1.51-system-df.json")
    mounts = by_target(records)
    check_modern(mounts)
    ids = {r.id: r for r in records}
    assert ids[mounts["/cache"].id].parents
    typed = api_records("api-1.51-system-df-build-cache.json")
    assert {r.id for r in typed} == set(ids)


def test_buildx_013_du_verbose_matches_api() -> None:
    records = parse_du_verbose(fixture("buildx-0.13.1-du-verbose.txt"))
    mounts = by_target(records)
    check_legacy(mounts)
    api = {r.id: r for r in api_records("api-1.41-system-df.json")}
    assert {r.id for r in records} == set(api)
    for record in records:
        assert not record.size_exact and record.size_bytes is not None
        exact = api[record.id].size_bytes or 0
        assert abs(record.size_bytes - exact) <= max(exact * 0.001, 1)


@pytest.mark.parametrize("name", ["buildx-0.29-du.json", "buildx-0.29-du-verbose.txt"])
def test_buildx_029_du_matches_api(name: str) -> None:
    text = fixture(name)
    records = parse_du_json(text) if name.endswith(".json") else parse_du_verbose(text)
    mounts = by_target(records)
    check_modern(mounts)
    api = {r.id: r for r in api_records("api-1.51-system-df.json")}
    assert {r.id for r in records} == set(api)
    for record in records:
        assert record.parents == api[record.id].parents
        exact = api[record.id].size_bytes or 0
        assert record.size_bytes is not None
        assert abs(record.size_bytes - exact) <= max(exact * 0.001, 1)


def test_buildx_013_ls_json_repeats_builders() -> None:
    text = fixture("buildx-0.13.1-ls.json")
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    builders = parse_ls_json(text)
    names = [b.name for b in builders]
    assert len(lines) > len(builders) and len(set(names)) == len(names)
    assert {"uvct-modern", "uvct-legacy"} <= set(names)
    assert all(b.current is None for b in builders)  # no `Current` before buildx 0.24
    legacy = next(b for b in builders if b.name == "uvct-legacy")
    assert (legacy.driver, legacy.nodes[0].endpoint) == ("docker", "uvct-legacy")
    assert legacy.nodes[0].version == "v0.8+unknown"


def test_buildx_029_ls_json() -> None:
    builders = {b.name: b for b in parse_ls_json(fixture("buildx-0.29-ls.json"))}
    assert builders["uvct-modern"].current is True
    assert builders["uvct-legacy"].current is False
    rules = builders["uvct-modern"].nodes[0].gc_policy
    assert rules and rules[0].never_matches  # Engine 28.5's comma-joined (ANDed) rule 0
    assert rules[0].keep_duration_seconds == 48 * 3600
    assert builders["uvct-legacy"].nodes[0].gc_policy == ()


@pytest.mark.parametrize(
    ("name", "current"),
    [("buildx-0.13.1-ls-table.txt", "uvct-legacy"), ("buildx-0.29-ls-table.txt", "uvct-modern")],
)
def test_ls_tables(name: str, current: str) -> None:
    builders = {b.name: b for b in parse_ls_table(fixture(name))}
    assert {"uvct-modern", "uvct-legacy"} <= set(builders)
    assert [n for n, b in builders.items() if b.current] == [current]
    for context in ("uvct-modern", "uvct-legacy"):
        node = builders[context].nodes[0]
        assert (builders[context].driver, node.endpoint, node.status) == (
            "docker",
            context,
            "running",
        )
