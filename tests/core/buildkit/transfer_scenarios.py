"""A cache mount filled by a real `uv sync`, and a consumer that needs it (no wheels).

The writer is #16180's Dockerfile with a literal target and an explicit `id=` (so both
engines mount the same path); it locks and syncs from offline wheels. The consumer starts
from the writer's image with the wheels removed, so `uv sync --frozen --offline` can only
succeed from the cache mount.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.core.buildkit.scenarios import PYPROJECT
from tests.dockerenv import Engine, Tracker, token, wait_for
from tests.uvcache_factory import make_wheel

CACHE_TARGET = "/application/cache/uv"

WRITER = """\
FROM {base}
ENV UV_CACHE_DIR={target}
COPY pyproject.toml /build/
COPY wheels /build/wheels
WORKDIR /build
RUN --mount=type=cache,id={cache_id},target={target} \\
    uv lock --offline --no-index --find-links /build/wheels \\
    && uv sync --frozen --offline --no-index --find-links /build/wheels && echo {token}
"""

CONSUMER = """\
FROM {image}
ARG NONCE
RUN rm -rf /build/wheels/* /build/.venv
RUN --mount=type=cache,id={cache_id},target={target} \\
    echo "$NONCE {cache_id}" && uv sync --frozen --offline --no-index --find-links /build/wheels
"""


@dataclass
class UvMount:
    """A cache mount a real uv filled, on one engine."""

    engine: Engine
    token: str
    cache_id: str
    image: str
    record_id: str
    directory: Path


def build_uv_mount(tracker: Tracker, directory: Path) -> UvMount:
    """Build WRITER; returns its mount once the engine lists it."""
    engine = tracker.engine
    tok = token()
    cache_id = f"{tok}-uv"
    directory.mkdir(parents=True, exist_ok=True)
    make_wheel(directory / "wheels", "uvcttiny", "0.1.0", modules=2)
    (directory / "pyproject.toml").write_text(PYPROJECT.format(token=tok))
    (directory / "Dockerfile").write_text(
        WRITER.format(base=engine.base_image, cache_id=cache_id, target=CACHE_TARGET, token=tok)
    )
    tag = f"uvct-uvmount-{tok}"
    tracker.images.append(tag)
    engine.build(directory, tag=tag)

    def listed() -> str | None:
        for record in engine.records():
            if record["Type"] == "exec.cachemount" and f"echo {tok}" in record["Description"]:
                return str(record["ID"])
        return None

    record_id: str = wait_for(listed, "the uv cache mount to be listed", timeout=30)
    return UvMount(engine, tok, cache_id, tag, record_id, directory)


def consume(mount: UvMount, directory: Path) -> bool:
    """Does an offline `uv sync --frozen` without wheels succeed on the mount's id?"""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(
        CONSUMER.format(image=mount.image, cache_id=mount.cache_id, target=CACHE_TARGET)
    )
    engine = mount.engine
    result = engine.docker(
        "build",
        "--network",
        "none",
        "--progress",
        "plain",
        "--build-arg",
        f"NONCE={token()}",
        str(directory),
        check=False,
        env=engine.env(DOCKER_BUILDKIT="1"),
    )
    return result.returncode == 0


def mount_records(mount: UvMount) -> list[str]:
    """This id's cache-mount records: every description carries the test's token (the
    writer's and the consumer's commands, the importer's target `/.m/<id>`)."""
    return [
        str(record["ID"])
        for record in mount.engine.records()
        if record["Type"] == "exec.cachemount" and mount.token in record["Description"]
    ]
