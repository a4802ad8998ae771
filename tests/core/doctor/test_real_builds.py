"""What the findings claim, checked by building on the real engines: the build a finding
describes misbehaves as it says, and the corrected lines it proposes build cleanly.

Each Dockerfile installs a local wheel offline (`--network none`), with a token in the RUN
so BuildKit cannot answer from its layer cache.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.dockerenv import Engine, Tracker, token
from tests.uvcache_factory import make_wheel
from uvcache_tui.core.doctor import diagnose_dockerfile
from uvcache_tui.core.doctor.image import scan_image

pytestmark = pytest.mark.docker

INSTALL = (
    "uv venv /tmp/venv && VIRTUAL_ENV=/tmp/venv uv pip install --offline --no-index "
    "--find-links /wheels uvctdoc && echo {token}"
)


def _context(tmp_path: Path, dockerfile: str) -> Path:
    make_wheel(tmp_path / "wheels", "uvctdoc", "0.1.0", modules=2)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    return tmp_path


def _build(
    engine: Engine, directory: Path, tracker: Tracker, tag: str | None = None
) -> subprocess.CompletedProcess[str]:
    tag = tag or f"uvct-doctor-{token()}"
    tracker.images.append(tag)
    args = ["build", "--network", "none", "--progress", "plain", "-t", tag, str(directory)]
    return engine.docker(*args, check=False, env=engine.env(DOCKER_BUILDKIT="1"))


def _engine_version(engine: Engine) -> str:
    return "20.10.24" if engine.legacy else "28.5.1"


def test_uvd010_non_root_mount_fails_and_the_fix_builds(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    run = INSTALL.format(token=token())
    text = (
        f"FROM {engine.base_image}\nCOPY wheels /wheels\n"
        "RUN useradd --uid 1234 --create-home app\nUSER app\nENV UV_LINK_MODE=copy\n"
        f"RUN --mount=type=cache,target=/home/app/.cache/uv {run}\n"
    )
    (finding,) = diagnose_dockerfile(text, _engine_version(engine)).findings
    assert finding.code == "UVD010"
    failed = _build(engine, _context(tmp_path / "bad", text), tracked)
    assert failed.returncode != 0
    assert "Permission denied" in failed.stdout + failed.stderr
    fixed = text.replace(
        f"RUN --mount=type=cache,target=/home/app/.cache/uv {run}\n",
        "\n".join(finding.fixes[0].lines) + "\n",
    )
    assert diagnose_dockerfile(fixed, _engine_version(engine)).findings == ()
    built = _build(engine, _context(tmp_path / "good", fixed), tracked)
    assert built.returncode == 0, built.stderr


def test_uvd006_hardlink_warning_and_the_fix_silences_it(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    text = (
        f"FROM {engine.base_image}\nCOPY wheels /wheels\n"
        f"RUN --mount=type=cache,target=/root/.cache/uv {INSTALL.format(token=token())}\n"
    )
    (finding,) = diagnose_dockerfile(text, _engine_version(engine)).findings
    assert finding.code == "UVD006"
    warned = _build(engine, _context(tmp_path / "warn", text), tracked)
    assert warned.returncode == 0, warned.stderr
    assert "Failed to hardlink files" in warned.stdout + warned.stderr
    fixed = text.replace("COPY wheels /wheels\n", "COPY wheels /wheels\nENV UV_LINK_MODE=copy\n")
    assert diagnose_dockerfile(fixed, _engine_version(engine)).findings == ()
    quiet = _build(engine, _context(tmp_path / "quiet", fixed), tracked)
    assert quiet.returncode == 0, quiet.stderr
    assert "Failed to hardlink files" not in quiet.stdout + quiet.stderr


def test_uvd002_non_root_cache_lands_in_the_image_and_the_fix_keeps_it_out(
    tracked: Tracker, tmp_path: Path
) -> None:
    engine = tracked.engine
    text = (
        f"FROM {engine.base_image}\nCOPY wheels /wheels\n"
        "RUN useradd --uid 1234 --create-home app\nUSER app\nENV UV_LINK_MODE=copy\n"
        f"RUN --mount=type=cache,target=/root/.cache/uv {INSTALL.format(token=token())}\n"
    )
    (finding,) = diagnose_dockerfile(text, _engine_version(engine)).findings
    assert finding.code == "UVD002" and "user app" in finding.message
    baked_tag = f"uvct-doctor-{token()}"
    assert _build(engine, _context(tmp_path / "bad", text), tracked, baked_tag).returncode == 0
    (cache,) = scan_image(baked_tag, timeout=60, env=engine.env())
    assert cache.path == "/home/app/.cache/uv" and cache.layer_index == cache.layer_count
    fixed = text.replace(text.splitlines()[-1], "\n".join(finding.fixes[0].lines))
    assert diagnose_dockerfile(fixed, _engine_version(engine)).findings == ()
    fixed_tag = f"uvct-doctor-{token()}"
    assert _build(engine, _context(tmp_path / "good", fixed), tracked, fixed_tag).returncode == 0
    assert scan_image(fixed_tag, timeout=60, env=engine.env()) == ()
