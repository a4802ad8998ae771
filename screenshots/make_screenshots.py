"""Regenerate the README screenshots: a real cache written by the real uv, the app headless.

Run from the project root:  uv run python screenshots/make_screenshots.py

Builds two caches under /tmp/uvcache-demo (the user's default-style cache and a project's
own cache) from wheels and an sdist made on the spot, installs them into venvs with
hardlinks, then saves SVGs of the main views into screenshots/.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from tests.uvcache_factory import UvEnv, make_sdist, make_wheel, uv_binary  # noqa: E402
from uvcache_tui.core.uvbin import UvBinary  # noqa: E402
from uvcache_tui.tui.app import UvCacheApp  # noqa: E402

DEMO = Path("/tmp/uvcache-demo")
OUT = ROOT / "screenshots"
SIZE = (120, 40)

# (name, version, modules, bytes per module): made-up packages of varied sizes.
WHEELS = [
    ("plotkit", "3.1.0", 40, 60_000),
    ("plotkit", "3.2.1", 40, 62_000),
    ("datacore", "2.0.4", 30, 50_000),
    ("tinyhttp", "1.4.2", 12, 20_000),
    ("yamlette", "0.9.0", 6, 15_000),
    ("clickish", "8.1.7", 10, 18_000),
    ("colorish", "0.4.6", 4, 9_000),
]


def build_user_cache() -> UvEnv:
    """The cache uv uses by default for this HOME, with two projects' venvs linked to it."""
    env = UvEnv(DEMO)
    env.cache = DEMO / "home" / ".cache" / "uv"
    for name, version, modules, size in WHEELS:
        make_wheel(env.links, name, version, modules=modules, module_bytes=size)
    make_sdist(env.links, "localtool", "0.3.0")
    web = env.venv("web-app/.venv")
    env.install(web, "plotkit==3.2.1", "datacore", "tinyhttp", "localtool")
    old = env.venv("old-report/.venv")
    env.install(old, "plotkit==3.1.0", "yamlette")
    scratch = env.venv("scratch/.venv")
    env.install(scratch, "clickish", "colorish")
    shutil.rmtree(scratch)  # a deleted project: its packages are now only in the cache
    return env


def build_project_cache() -> str:
    """A project that sets its own cache-dir."""
    env = UvEnv(DEMO / "ci-project")
    env.cache = DEMO / "ci-project" / ".uv-cache"
    make_wheel(env.links, "tinyhttp", "1.4.2", modules=12, module_bytes=20_000)
    env.install(env.venv(".venv"), "tinyhttp")
    return str(env.cache)


def app_for(env: UvEnv, extra: list[str]) -> UvCacheApp:
    variables = env.env()
    del variables["UV_CACHE_DIR"]  # let uv find its default cache under HOME
    for key in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_BIN_HOME"):
        variables.pop(key, None)
    uv = UvBinary(uv_binary(), cwd=str(DEMO), env=variables)
    return UvCacheApp(uv=uv, extra_caches=extra)


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def shoot(env: UvEnv, extra: list[str]) -> list[Path]:
    saved: list[Path] = []
    app = app_for(env, extra)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)

        async def save(name: str, *keys: str) -> None:
            if keys:
                await pilot.press(*keys)
                await settle(pilot)
            app.save_screenshot(filename=f"{name}.svg", path=str(OUT))
            saved.append(OUT / f"{name}.svg")

        await save("main")
        await save("packages", "2", "down", "down", "space", "down", "space")
        await save("files", "3")
        await save("info", "4")
        await save("help", "question_mark")
    return saved


def main() -> int:
    shutil.rmtree(DEMO, ignore_errors=True)
    env = build_user_cache()
    project_cache = build_project_cache()
    for path in asyncio.run(shoot(env, [project_cache])):
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
