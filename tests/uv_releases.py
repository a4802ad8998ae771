"""Real uv releases from PyPI for the multi-version prediction tests, fetched once and kept out
of git (under `.pytest_cache/`).

Provision them with `uv run python -m tests.uv_releases` (CI does, in `.ci/run`). Without
them the tests that need one skip, unless UVCACHE_TUI_REQUIRE_UV_VERSIONS=1, which turns
the skip into a failure so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.uvcache_factory import uv_binary

OLD = "0.5.31"
"""Before the python-vN bucket (0.8.4), the cache lock (0.8.19) and `--force` (0.8.20)."""
AROUND_0_8_2X = "0.8.22"
"""Locks and `clean --force` but no `prune --force` (0.8.24); prunes its own python-v0."""
NEWEST = "0.13.9"
"""The newest release on PyPI (also the dev group's uv, so these tests never skip)."""
VERSIONS_VARIABLE = "UVCACHE_TUI_UV_VERSIONS"
"""Comma-separated releases to test instead (e.g. both sides of a gate: `0.12.23,0.12.24`)."""
UV_RELEASES = tuple(
    version.strip()
    for version in os.environ.get(VERSIONS_VARIABLE, f"{OLD},{AROUND_0_8_2X},{NEWEST}").split(",")
    if version.strip()
)

REQUIRE_VARIABLE = "UVCACHE_TUI_REQUIRE_UV_VERSIONS"
DIR_VARIABLE = "UVCACHE_TUI_UV_RELEASES_DIR"
"""Where the releases live; default `.pytest_cache/d/uv-releases` of this checkout."""


def releases_dir() -> Path:
    configured = os.environ.get(DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1] / ".pytest_cache" / "d" / "uv-releases"


def _installed(version: str) -> Path:
    return releases_dir() / version / "bin" / "uv"


def _version_of(binary: str) -> str | None:
    try:
        output = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=20
        ).stdout
    except OSError:
        return None
    words = output.split()
    return words[1] if len(words) >= 2 and words[0] == "uv" else None


def release_binary(version: str) -> str:
    """The uv binary of that release: provisioned, or the dev group's uv if it is that one.

    Skips the calling test when it is absent, or fails it with UVCACHE_TUI_REQUIRE_UV_VERSIONS=1.
    """
    installed = _installed(version)
    if installed.is_file() and os.access(installed, os.X_OK):
        return str(installed)
    dev = uv_binary()
    if _version_of(dev) == version:
        return dev
    message = (
        f"uv {version} is not provisioned in {releases_dir()}: run "
        "`uv run python -m tests.uv_releases` (needs PyPI)"
    )
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(message)
    pytest.skip(message)


def fetch(version: str) -> Path:
    """Install uv==version from PyPI with the dev group's uv; return its binary."""
    target = _installed(version)
    if target.is_file():
        return target
    final = releases_dir() / version
    staging = releases_dir() / f".{version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [uv_binary(), "pip", "install", "--quiet", "--no-deps", "--python", sys.executable]
        + ["--target", str(staging), f"uv=={version}"],
        check=True,
    )
    found = _version_of(str(staging / "bin" / "uv"))
    if found != version:
        raise RuntimeError(f"uv=={version} from PyPI says it is {found!r}")
    shutil.rmtree(final, ignore_errors=True)
    staging.rename(final)
    return target


def main() -> None:
    dev_version = _version_of(uv_binary())
    for version in UV_RELEASES:
        if version == dev_version:
            print(f"uv {version}: the dev group's {uv_binary()}")
        else:
            print(f"uv {version}: {fetch(version)}")


if __name__ == "__main__":
    main()
