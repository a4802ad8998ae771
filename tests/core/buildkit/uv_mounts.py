"""Cache mounts filled by a real `uv sync` (offline wheels, `--network none`): one plain
mount, one made with uid/gid (the layout with a base layer), two left empty (plain and
uid/gid), one non-uv."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.core.buildkit.scenarios import PYPROJECT, default_builder, mounts_with
from tests.dockerenv import Engine, Tracker, token, wait_for
from tests.uvcache_factory import make_wheel
from uvcache_tui.core.buildkit.records import BuilderInfo, CacheMountRecord

DOCKERFILE_UV_MOUNTS = """\
FROM {base}
COPY pyproject.toml /build/
COPY wheels /build/wheels
WORKDIR /build
ENV UV_CACHE_DIR=/opt/uv-cache
RUN --mount=type=cache,id={token}-uv,target=/opt/uv-cache \\
    uv sync --offline --no-index --find-links /build/wheels && echo {token} plain
RUN --mount=type=cache,id={token}-uvown,uid=1000,gid=1000,target=/opt/uv-cache \\
    UV_PROJECT_ENVIRONMENT=/build/.venv2 uv sync --offline --no-index \\
    --find-links /build/wheels && echo {token} own
RUN --mount=type=cache,id={token}-empty,target=/root/.cache/uv echo {token} empty
RUN --mount=type=cache,id={token}-ownempty,uid=1000,gid=1000,target=/root/.cache/uv \
    echo {token} ownempty
RUN --mount=type=cache,id={token}-pip,target=/root/.cache/pip \\
    echo {token} > /root/.cache/pip/f && echo {token} pip
"""

PACKAGE = "uvcttiny"


@dataclass
class UvMounts:
    """The five mounts of DOCKERFILE_UV_MOUNTS, as listed right after the build."""

    token: str
    builder: BuilderInfo
    plain: CacheMountRecord
    own: CacheMountRecord
    empty: CacheMountRecord
    own_empty: CacheMountRecord
    pip: CacheMountRecord


def build_uv_mounts(tracker: Tracker, directory: Path) -> UvMounts:
    """Build DOCKERFILE_UV_MOUNTS on the tracker's engine and find its mounts."""
    engine = tracker.engine
    tok = token()
    directory.mkdir(parents=True, exist_ok=True)
    make_wheel(directory / "wheels", PACKAGE, "0.1.0", modules=3)
    (directory / "pyproject.toml").write_text(PYPROJECT.format(token=tok))
    (directory / "Dockerfile").write_text(
        DOCKERFILE_UV_MOUNTS.format(base=engine.base_image, token=tok)
    )
    tag = f"uvct-uvmounts-{tok}"
    tracker.images.append(tag)
    engine.build(directory, tag=tag)

    def listed() -> tuple[BuilderInfo, list[CacheMountRecord]] | None:
        builder = default_builder(engine)
        found = mounts_with(builder, tok)
        return (builder, found) if len(found) == 5 else None

    builder, found = wait_for(listed, "the five cache mounts to be listed", timeout=30)

    def one(word: str) -> CacheMountRecord:
        ending = f"echo {tok} {word}"
        (match,) = [m for m in found if m.description.split(" with id")[0].endswith(ending)]
        return match

    return UvMounts(
        tok, builder, one("plain"), one("own"), one("empty"), one("ownempty"), one("pip")
    )


def usage(engine: Engine, record_id: str) -> tuple[object, object]:
    """A record's UsageCount and LastUsedAt, as the engine lists them now."""
    (record,) = [r for r in engine.records() if r["ID"] == record_id]
    return record["UsageCount"], record["LastUsedAt"]
