"""Fixtures for the TUI tests: real caches written by the real uv, and apps pointed at them.

Every app gets a `UvBinary` with its own environment (UV_CACHE_DIR, HOME, XDG dirs), so
the active cache is the test's and nothing reads the developer's ~/.cache/uv.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerFailed

from tests.uvcache_factory import STABLE_PYTHON, UvEnv, make_sdist, make_wheel, uv_binary
from uvcache_tui.core.uvbin import UvBinary
from uvcache_tui.tui.app import UvCacheApp
from uvcache_tui.tui.screens.main import MainScreen
from uvcache_tui.tui.widgets.packages_table import PackagesView

SIZE = (120, 40)
T = TypeVar("T")


def uv_for(env: UvEnv, **extra: str) -> UvBinary:
    """The real uv, run in the sandbox's environment (its cache is the active cache)."""
    variables = env.env(**extra)
    for key in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_BIN_HOME"):
        variables.pop(key, None)
    return UvBinary(uv_binary(), cwd=str(env.base), env=variables)


def fill_cache(env: UvEnv) -> None:
    """Three packages: alpha in two versions (two venvs), beta, and gamma built from an sdist."""
    make_wheel(env.links, "alpha", "1.0.0")
    make_wheel(env.links, "alpha", "1.1.0")
    make_wheel(env.links, "beta", "2.0", modules=5)
    make_sdist(env.links, "gamma", "0.3")
    first = env.venv("venv-a")
    env.install(first, "alpha==1.0.0", "beta", "gamma")
    second = env.venv("venv-b")
    env.install(second, "alpha==1.1.0")


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> UvEnv:
    """One filled cache for the tests that only read it."""
    env = UvEnv(tmp_path_factory.mktemp("shared"))
    fill_cache(env)
    return env


@pytest.fixture
def fresh_env(tmp_path: Path) -> UvEnv:
    """A filled cache a test may change."""
    env = UvEnv(tmp_path)
    fill_cache(env)
    return env


def run(test: Callable[[], Awaitable[T]]) -> T:
    """Run an async test body (the project has no pytest-asyncio)."""
    return asyncio.run(test())  # type: ignore[arg-type]


async def settle(pilot: Pilot[Any]) -> None:
    """Let discovery and every scan finish, then let the UI process their messages."""
    app = pilot.app
    for _ in range(3):
        # A worker that raised is the app's to show (tests check it); waiting goes on.
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
    # One more full layout pass: data that arrived between layouts must not leave a widget
    # sized for its previous content (the pictures must not depend on timing).
    app.screen.refresh(layout=True)
    await pilot.pause()
    await pilot.pause()


def main_screen(pilot: Pilot[Any]) -> MainScreen:
    screen = pilot.app.screen_stack[0]
    assert isinstance(screen, MainScreen)
    return screen


NO_DOCKER = {
    "DOCKER_HOST": "unix:///nonexistent/uvct/docker.sock",
    "DOCKER_CONFIG": "/nonexistent/uvct",
    "PATH": os.defpath,
}
"""A Docker environment that reaches nothing, whatever runs on the host: deterministic
"not reachable" row (tests that want engines pass their own `docker_env`)."""


def make_app(env: UvEnv, **kwargs: Any) -> UvCacheApp:
    extra = kwargs.pop("uv_env", {})
    kwargs.setdefault("docker_env", NO_DOCKER)
    return UvCacheApp(uv=uv_for(env, **extra), **kwargs)


@contextlib.asynccontextmanager
async def settled_app(
    env: UvEnv, size: tuple[int, int] = SIZE, **kwargs: Any
) -> AsyncIterator[tuple[Pilot[Any], MainScreen]]:
    """An app on `env` (`make_app`'s arguments) with every scan done: where most tests start."""
    app = make_app(env, **kwargs)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        yield pilot, main_screen(pilot)


async def show_packages(pilot: Pilot[Any], *, wait: bool = True) -> PackagesView:
    """The Packages tab shown (key 2); `wait`: with its figures and rows in, else one pause
    (what a user sees at once)."""
    await pilot.press("2")
    if wait:
        await settle(pilot)
    else:
        await pilot.pause()
    return main_screen(pilot).packages_view


RANDOM_CHARS = 8


@dataclass(frozen=True)
class SnapshotPlace:
    """A directory of this run's own for a snapshot cache, and the path its pictures show.

    Both paths have the same length and end alike, so every line on screen wraps and is cut
    the same way; `SnapshotApp` writes `shown` for `path` in the exported picture. Two runs
    at the same time (two checkouts, CI jobs) no longer share one directory.
    """

    path: Path
    shown: Path

    def show(self, picture: str) -> str:
        """`picture` with the shown path for this run's, also where a path is cut to its
        last components (the names have the same length)."""
        return picture.replace(str(self.path), str(self.shown)).replace(
            self.path.name, self.shown.name
        )

    @classmethod
    def make(cls, shown: str) -> SnapshotPlace:
        """A new, empty directory next to `shown`: random characters replace its name's start
        (the end is what the sidebar's shortened titles show)."""
        wanted = Path(shown)
        tail = wanted.name[RANDOM_CHARS + 1 :]
        while True:
            path = wanted.parent / f"{secrets.token_hex(RANDOM_CHARS // 2)}-{tail}"
            assert len(str(path)) == len(shown), (path, shown)
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return cls(path, wanted)


APPARENT_SIZE = re.compile(r"(apparent&#160;size&#160;)([0-9.]+)")
"""The Info tab's apparent size (bytes, not blocks) as the exported SVG spells it."""


def mask_host_bytes(picture: str) -> str:
    """`picture` with the apparent size's digits replaced by `#` (same width).

    uv's interpreter queries record the host's kernel release and version strings
    (`platform_release`, `platform_version`), so the cache's apparent size differs by a few
    bytes from one machine to the next; allocated sizes (4 KiB blocks) do not. The figure
    itself is checked against the filesystem in `test_numbers_agree.py`.
    """
    return APPARENT_SIZE.sub(lambda m: m.group(1) + "#" * len(m.group(2)), picture)


class SnapshotApp(UvCacheApp):
    """The app, whose pictures show the place's fixed path instead of this run's directory,
    and no figure that depends on the host (`mask_host_bytes`)."""

    def __init__(self, place: SnapshotPlace, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.place = place

    def export_screenshot(self, *, title: str | None = None, simplify: bool = False) -> str:
        picture = super().export_screenshot(title=title, simplify=simplify)
        return mask_host_bytes(self.place.show(picture))


@contextlib.contextmanager
def snapshot_place(shown: str) -> Iterator[SnapshotPlace]:
    """A `SnapshotPlace` for the pictures that show `shown`, removed afterwards."""
    place = SnapshotPlace.make(shown)
    try:
        yield place
    finally:
        shutil.rmtree(place.path, ignore_errors=True)


def snapshot_cache(place: SnapshotPlace) -> UvEnv:
    """The same cache on every run, in this run's own directory."""
    env = UvEnv(place.path, python=STABLE_PYTHON)
    fill_cache(env)
    return env


def make_snapshot_app(place: SnapshotPlace, env: UvEnv, **kwargs: Any) -> UvCacheApp:
    """`make_app` for a cache under `place`."""
    extra = kwargs.pop("uv_env", {})
    kwargs.setdefault("docker_env", NO_DOCKER)
    return SnapshotApp(place, uv=uv_for(env, **extra), **kwargs)


@pytest.fixture
def not_a_cache(tmp_path: Path) -> Iterator[str]:
    """A directory with a CACHEDIR.TAG but no uv bucket (a venv-like thing)."""
    path = tmp_path / "not-a-cache"
    path.mkdir()
    (path / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    (path / "pyvenv.cfg").write_text("home = /usr/bin\n")
    yield str(path)
    shutil.rmtree(path, ignore_errors=True)


def rows_text(table: Any) -> list[str]:
    """The plain text of every row's first non-mark cell, for assertions."""
    texts = []
    for index in range(table.row_count):
        cells = table.get_row_at(index)
        texts.append(" ".join(str(cell).strip() for cell in cells if str(cell).strip()))
    return texts
