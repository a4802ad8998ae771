"""The keys `--dockerfile` carries: read as each engine generation reads the Dockerfile,
and matched back by key from an export directory."""

from __future__ import annotations

import json
from pathlib import Path

from tests.core.buildkit.scenarios import DOCKERFILE_16180
from uvcache_tui.core.buildkit.cachekey import CacheKey, key_from_json
from uvcache_tui.core.buildkit.recipe import (
    MANIFEST_SUFFIX,
    export_name,
    find_exports,
    match_exports,
    read_recipe,
)
from uvcache_tui.core.buildkit.records import BuilderInfo
from uvcache_tui.core.dockerfile.stages import ImageConfig

MODERN = BuilderInfo(name="default", driver="docker", engine_version="28.5.1",
                     buildkit_version="v0.25.1")  # fmt: skip
LEGACY = BuilderInfo(name="default", driver="docker", engine_version="20.10.24",
                     buildkit_version="v0.8.3")  # fmt: skip

NON_ROOT = """\
FROM python:3.12
ARG UV_ID=uvc
USER app
RUN --mount=type=cache,id=${UV_ID},target=/home/app/.cache/uv,uid=1000,gid=1000,mode=0755 \\
    --mount=type=cache,target=/var/cache/apt \\
    uv pip install --system x
RUN --mount=type=cache,from=base,target=/root/.cache/uv uv sync
RUN --mount=type=cache,target=/tmp/other make
"""


def test_the_16180_key_per_engine_generation() -> None:
    text = DOCKERFILE_16180.format(base="python:3.12", token="t")
    (modern,) = read_recipe(text, MODERN).mounts
    assert modern.key == CacheKey("/application/cache/uv") and modern.holds_uv_cache
    (legacy,) = read_recipe(text, LEGACY).mounts
    assert legacy.key == CacheKey("${UV_CACHE_DIR}") and not legacy.holds_uv_cache
    # A `# syntax=` line picks a frontend that expands, on either engine.
    (syntax,) = read_recipe("# syntax=docker/dockerfile:1\n" + text, LEGACY).mounts
    assert syntax.key == modern.key


def test_uid_gid_mode_build_args_namespace_and_skips() -> None:
    recipe = read_recipe(NON_ROOT, MODERN, {"UV_ID": "ci", "BUILDKIT_CACHE_MOUNT_NS": "ns"})
    uv, apt = recipe.mounts
    assert uv.key == CacheKey("ci", 1000, 1000, 0o755, "ns") and uv.holds_uv_cache
    assert apt.key == CacheKey("/var/cache/apt", namespace="ns") and not apt.holds_uv_cache
    assert recipe.uv_lines == (4, 7)  # `make` runs no uv: its mount is not carried
    (skipped,) = recipe.skipped
    assert skipped.line == 7 and "from=" in skipped.reason
    assert export_name(uv.key) != export_name(CacheKey("ci", namespace="ns"))


def test_base_image_env_sets_the_key() -> None:
    text = "FROM img\nRUN --mount=type=cache,target=$UV_CACHE_DIR uv sync\n"
    asked: list[tuple[str, ...]] = []

    def bases(names: object) -> dict[str, ImageConfig]:
        asked.append(tuple(names))  # type: ignore[arg-type]
        return {"img": ImageConfig(env={"UV_CACHE_DIR": "/uvc"}, user="", workdir="")}

    (mount,) = read_recipe(text, MODERN, read_bases=bases).mounts
    assert asked == [("img",)] and mount.key == CacheKey("/uvc")


def test_exports_match_back_by_key(tmp_path: Path) -> None:
    recipe = read_recipe(NON_ROOT, MODERN)
    uv, apt = recipe.mounts
    for key, name in ((uv.key, "renamed.tar"), (CacheKey("elsewhere"), export_name(CacheKey("x")))):
        (tmp_path / name).write_bytes(b"")
        (tmp_path / (name + MANIFEST_SUFFIX)).write_text(json.dumps({"key": key.to_json()}))
    (tmp_path / ("orphan.tar" + MANIFEST_SUFFIX)).write_text(json.dumps({"key": apt.key.to_json()}))
    (tmp_path / ("bad.tar" + MANIFEST_SUFFIX)).write_text("{")
    exports, problems = find_exports(tmp_path)
    assert len(problems) == 2 and any("orphan.tar is missing" in p for p in problems)
    pairs, unused = match_exports(recipe, exports)
    assert [(m.key, e.path.name if e else None) for m, e in pairs] == [
        (uv.key, "renamed.tar"),
        (apt.key, None),
    ]
    assert [e.key for e in unused] == [CacheKey("elsewhere")]
    assert key_from_json(uv.key.to_json()) == uv.key
