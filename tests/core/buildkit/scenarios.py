"""Build contexts shared by the docker tests (core and CLI): #16180 and a few cache mounts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tests.dockerenv import Engine, Tracker, token, wait_for
from tests.uvcache_factory import make_wheel
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.records import BuilderInfo, CacheMountRecord
from uvcache_tui.core.buildkit.values import parse_timestamp

# astral-sh/uv#16180, adapted: offline wheels, `--network none`, a test token in the command.
DOCKERFILE_16180 = """\
FROM {base}
ENV SERVICE_NAME=application
ENV UV_CACHE_DIR=/${{SERVICE_NAME}}/cache/uv
COPY pyproject.toml /build/
COPY wheels /build/wheels
WORKDIR /build
RUN --mount=type=cache,target=${{UV_CACHE_DIR}} \\
    uv sync --offline --no-index --find-links /build/wheels && echo {token}
"""

PYPROJECT = """\
[project]
name = "app-{token}"
version = "0.1.0"
requires-python = ">=3.9"
dependencies = ["uvcttiny"]
"""

# The two targets the #16180 mount gets: expanded (Engine >= 23) or literal (20.10).
TARGETS_16180 = ("/application/cache/uv", "/build/${UV_CACHE_DIR}")

DOCKERFILE_MOUNTS = """\
FROM {busybox}
RUN --mount=type=cache,id={token}-own,sharing=private,uid=1000,gid=1000,target=/cache-{token} \\
    echo {token} own > /cache-{token}/f
RUN --mount=type=cache,id={token}-pip,target=/root/.cache/pip echo {token} pip > /root/.cache/pip/f
RUN --mount=type=cache,id={token}-apt,target=/var/cache/apt echo {token} apt > /var/cache/apt/f
RUN echo {token} layer > /layer
"""


@dataclass
class Mounts:
    """The three mounts of DOCKERFILE_MOUNTS on one engine."""

    token: str
    own: CacheMountRecord
    pip: CacheMountRecord
    apt: CacheMountRecord

    @property
    def ids(self) -> set[str]:
        return {self.own.id, self.pip.id, self.apt.id}


def default_builder(engine: Engine) -> BuilderInfo:
    """The engine's docker-driver builder as `list_builders` sees it (must be readable)."""
    report = list_builders(timeout=30, env=engine.env())
    (builder,) = [b for b in report.builders if b.name == "default"]
    assert builder.error is None, builder.error
    assert builder.listed
    return builder


def mounts_with(builder: BuilderInfo, marker: str) -> list[CacheMountRecord]:
    """Cache mounts whose description mentions `marker` (the test's token)."""
    return [m for m in builder.mounts if marker in m.description]


def build_16180(tracker: Tracker, directory: Path) -> tuple[str, str]:
    """Build the #16180 Dockerfile; returns (token, image tag).

    Earlier records with the same cache id would be reused without a new description, so
    leftovers of this very scenario (identified by their target) are pruned first.
    """
    engine = tracker.engine
    stale = [
        r["ID"]
        for r in engine.records()
        if r["Type"] == "exec.cachemount"
        and any(f"cached mount {t} from" in r["Description"] for t in TARGETS_16180)
        and not r["InUse"]
    ]
    engine.prune_ids(stale)
    tok = token()
    directory.mkdir(parents=True, exist_ok=True)
    make_wheel(directory / "wheels", "uvcttiny", "0.1.0", modules=2)
    (directory / "pyproject.toml").write_text(PYPROJECT.format(token=tok))
    (directory / "Dockerfile").write_text(
        DOCKERFILE_16180.format(base=engine.base_image, token=tok)
    )
    tag = f"uvct-16180-{tok}"
    tracker.images.append(tag)
    engine.build(directory, tag=tag)
    return tok, tag


def build_mounts(tracker: Tracker, directory: Path) -> Mounts:
    """Build DOCKERFILE_MOUNTS and find its three mounts through `list_builders`."""
    engine = tracker.engine
    tok = token()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(
        DOCKERFILE_MOUNTS.format(busybox=engine.busybox_image, token=tok)
    )
    tag = f"uvct-mounts-{tok}"
    tracker.images.append(tag)
    engine.build(directory, tag=tag)
    found = mounts_with(default_builder(engine), tok)
    deadline = time.monotonic() + 15
    while len(found) < 3 and time.monotonic() < deadline:
        # The engine can list a build's records a moment after the build returns.
        time.sleep(0.5)
        found = mounts_with(default_builder(engine), tok)

    def one(word: str) -> CacheMountRecord:
        matches = [m for m in found if f"echo {tok} {word} " in m.description]
        assert len(matches) == 1, f"expected one {word} mount, found {matches} in {found}"
        return matches[0]

    return Mounts(token=tok, own=one("own"), pip=one("pip"), apt=one("apt"))


DOCKERFILE_ONE_MOUNT = """\
FROM {busybox}
RUN --mount=type=cache,id={token}-late,target=/late-{token} echo {token} late > /late-{token}/f
"""


def build_one_mount(tracker: Tracker, directory: Path) -> str:
    """Build one more cache mount (a fresh id); returns its record ID once listed."""
    engine = tracker.engine
    tok = token()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Dockerfile").write_text(
        DOCKERFILE_ONE_MOUNT.format(busybox=engine.busybox_image, token=tok)
    )
    tag = f"uvct-late-{tok}"
    tracker.images.append(tag)
    engine.build(directory, tag=tag)

    def listed() -> str | None:
        for record in engine.records():
            if record["Type"] == "exec.cachemount" and f"echo {tok} late" in record["Description"]:
                return str(record["ID"])
        return None

    found: str = wait_for(listed, "the new cache mount to be listed", timeout=30)
    return found


def settle(engine: Engine, record_id: str, min_age: float) -> None:
    """Wait until BuildKit's asynchronous LastUsedAt update is done and old enough."""

    def last_used() -> str:
        (record,) = [r for r in engine.records() if r["ID"] == record_id]
        return str(record["LastUsedAt"])

    def settled() -> bool:
        first = last_used()
        time.sleep(1.0)
        if last_used() != first:
            return False
        used = parse_timestamp(first)
        assert used is not None
        return (datetime.now(timezone.utc) - used).total_seconds() >= min_age

    wait_for(settled, "LastUsedAt to settle", timeout=60)
