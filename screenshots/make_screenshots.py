"""Regenerate the README screenshots: a real cache written by the real uv, the app headless.

Run from the project root:
    uv run python screenshots/make_screenshots.py [OUT_DIR] [--size WxH]

Builds two caches under /tmp/uvcache-demo (the user's default-style cache and a project's
own cache) from wheels and an sdist made on the spot, installs them into venvs with
hardlinks, then saves SVGs of the main views into screenshots/ (or OUT_DIR) at 120x40, and
`narrow.svg`, the Packages tab at 80x24 (sidebar folded away, compact panes). `--size`
takes every view at that size instead (names end in `-WxH`), to check a layout.
`--demo-dir` builds the caches elsewhere, e.g. /tmp/Xvcache-demo when another run uses
/tmp/uvcache-demo: only the name's first character may differ, so lines wrap and paths
shortened with `…` read alike, and the pictures still show /tmp/uvcache-demo.

BuildKit: when the test engines of `scripts/test-docker.sh start` run, a uv cache mount
(plus pip/apt ones) is built on the modern engine, the app reads that engine and opens the
uv mount: `buildkit-mount.svg` shows it like a local cache (Packages tab), `buildkit.svg` its
Mount tab (the record); the demo's images and records are removed afterwards.
Without the engines the BuildKit section shows its "Docker: not reachable" row.

Doctor: on the legacy engine (20.10) the motivating Dockerfile (astral-sh/uv#16180: a
`${UV_CACHE_DIR}` target) is built and `doctor.svg` shows the Doctor view opened on it with
`--dockerfile` and `--image`: the literal mount and its empty record, the cache baked into
the image's layer, the fixes. `--only doctor` makes that screenshot alone (nothing else under
/tmp/uvcache-demo is touched).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from textual.pilot import Pilot  # noqa: E402

from tests import dockerenv  # noqa: E402
from tests.core.buildkit.scenarios import build_16180, build_mounts  # noqa: E402
from tests.uvcache_factory import UvEnv, make_sdist, make_wheel, uv_binary  # noqa: E402
from uvcache_tui.core.uvbin import UvBinary  # noqa: E402
from uvcache_tui.tui.app import UvCacheApp  # noqa: E402
from uvcache_tui.tui.buildkit.rows import MountItem  # noqa: E402
from uvcache_tui.tui.buildkit.tree import BuildkitLocationsTree  # noqa: E402
from uvcache_tui.tui.buildkit.view import BuildkitView  # noqa: E402
from uvcache_tui.tui.doctor.view import DoctorView  # noqa: E402

DEMO = Path("/tmp/uvcache-demo")
"""Where the caches are built, and the path the pictures show."""
OUT = ROOT / "screenshots"
SIZE = (120, 40)
DOCTOR_SIZE = (120, 56)
"""Tall enough for the whole report: the Dockerfile, the image, the findings, the builder."""
NARROW = (80, 24)

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


def build_user_cache(demo: Path) -> UvEnv:
    """The cache uv uses by default for this HOME, with two projects' venvs linked to it."""
    env = UvEnv(demo)
    env.cache = demo / "home" / ".cache" / "uv"
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


def build_project_cache(demo: Path) -> str:
    """A project that sets its own cache-dir."""
    env = UvEnv(demo / "ci-project")
    env.cache = demo / "ci-project" / ".uv-cache"
    make_wheel(env.links, "tinyhttp", "1.4.2", modules=12, module_bytes=20_000)
    env.install(env.venv(".venv"), "tinyhttp")
    return str(env.cache)


def demo_engine(role: str = "modern") -> dockerenv.Engine | None:
    """A test engine (modern or legacy) when `scripts/test-docker.sh start` has it running."""
    try:
        return dockerenv.load_docker_env().engines[role]
    except BaseException as exc:  # pytest.skip()/fail() outside pytest raise these
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        print(f"no Docker test engines ({exc}): no {role} engine screenshot")
        return None


def docker_env_for(engine: dockerenv.Engine | None, demo: Path) -> dict[str, str]:
    """The engine's env, or one pointing at no engine (a stable "not reachable" row)."""
    if engine is not None:
        return engine.env()
    env = dockerenv.base_environ()
    env["DOCKER_HOST"] = f"unix://{demo / 'no-docker' / 'docker.sock'}"
    env["DOCKER_CONFIG"] = str(demo / "no-docker" / "config")
    return env


def app_for(env: UvEnv, extra: list[str], docker: dict[str, str], **options: Any) -> UvCacheApp:
    variables = env.env()
    del variables["UV_CACHE_DIR"]  # let uv find its default cache under HOME
    for key in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_BIN_HOME"):
        variables.pop(key, None)
    uv = UvBinary(uv_binary(), cwd=str(env.base), env=variables)
    return UvCacheApp(uv=uv, extra_caches=extra, docker_env=docker, docker_timeout=20, **options)


async def settle(pilot: Pilot[Any]) -> None:
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


MARK_TWO = ("2", "down", "down", "space", "down", "space")
"""Keys: the Packages tab, two packages marked."""


def save_picture(app: UvCacheApp, path: Path, demo: Path) -> Path:
    """The app's screen as SVG, showing `DEMO` wherever the caches really are (a path cut
    with `…` shows the name whole or not its first character, the only one that differs)."""
    picture = app.export_screenshot().replace(str(demo), str(DEMO))
    path.write_text(picture.replace(demo.name, DEMO.name), encoding="utf-8")
    return path


async def shoot_narrow(
    env: UvEnv, extra: list[str], out: Path, docker: dict[str, str], demo: Path
) -> Path:
    """`narrow.svg`: the Packages tab at 80x24."""
    app = app_for(env, extra, docker)
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press(*MARK_TWO)
        await settle(pilot)
        return save_picture(app, out / "narrow.svg", demo)


async def shoot(
    env: UvEnv,
    extra: list[str],
    out: Path,
    engine: dockerenv.Engine | None,
    demo: Path,
    size: tuple[int, int] = SIZE,
    suffix: str = "",
) -> list[Path]:
    saved: list[Path] = []
    app = app_for(env, extra, docker_env_for(engine, demo))
    async with app.run_test(size=size) as pilot:
        await settle(pilot)

        async def save(name: str, *keys: str) -> None:
            if keys:
                await pilot.press(*keys)
                await settle(pilot)
            saved.append(save_picture(app, out / f"{name}{suffix}.svg", demo))

        await save("main")
        await save("packages", *MARK_TWO)
        await save("wheels", *["up"] * 6, "enter")
        await pilot.press("escape")
        await save("files", "3")
        await save("info", "4")
        await save("help", "question_mark")
        if engine is not None:
            await pilot.press("escape")
            tree = app.screen.query_one(BuildkitLocationsTree)
            uv_rows = [
                node
                for node in tree.buildkit_rows()
                if isinstance(node.data, MountItem) and node.data.mount.kind == "uv"
            ]
            if uv_rows:
                if not tree.display:  # a narrow terminal: show the sidebar
                    await pilot.press("L")
                tree.focus()
                tree.get_node_at_line(0)
                tree.move_cursor(uv_rows[0])
                await settle(pilot)
                opened = app.screen.query_one(BuildkitView).opened_cache_view()
                if opened is not None:
                    await save("buildkit-mount", "2")
                    opened.tabs.active = "mount"
                    tree.focus()
                    await settle(pilot)
                await save("buildkit")
    return saved


async def shoot_doctor(out: Path, engine: dockerenv.Engine, dockerfile: Path, image: str) -> Path:
    """The Doctor view opened at start on the motivating Dockerfile and its image."""
    env = UvEnv(DEMO / "doctor" / "uv")  # the caches behind the Doctor are not shown
    app = app_for(env, [], engine.env(), dockerfile=str(dockerfile), image=image)
    async with app.run_test(size=DOCTOR_SIZE) as pilot:
        await settle(pilot)
        view = app.screen.query_one(DoctorView)
        while view.checking:
            await pilot.pause(0.1)
        await settle(pilot)
        app.save_screenshot(filename="doctor.svg", path=str(out))
    return out / "doctor.svg"


def doctor_screenshot(out: Path) -> None:
    """Build the motivating case on Engine 20.10 and shoot the Doctor view on it."""
    engine = demo_engine("legacy")
    if engine is None:
        return
    directory = DEMO / "docker" / "doctor"
    shutil.rmtree(directory, ignore_errors=True)
    tracker = dockerenv.Tracker(engine=engine, before=engine.record_ids())
    try:
        _token, tag = build_16180(tracker, directory)
        print(f"wrote {asyncio.run(shoot_doctor(out, engine, directory / 'Dockerfile', tag))}")
    finally:
        tracker.cleanup()


def terminal_size(text: str) -> tuple[int, int]:
    """`80x24` -> (80, 24)."""
    width, _, height = text.partition("x")
    try:
        return int(width), int(height)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", nargs="?", type=Path, default=OUT, help="where the SVGs go")
    parser.add_argument("--size", type=terminal_size, help="every view at WxH instead (e.g. 80x24)")
    parser.add_argument("--only", choices=("doctor",), help="make this screenshot alone")
    parser.add_argument(
        "--demo-dir",
        type=Path,
        default=DEMO,
        help=f"build the caches here ({DEMO} but the name's first character)",
    )
    args = parser.parse_args()
    demo: Path = args.demo_dir.resolve()
    if demo.parent != DEMO.parent or demo.name[1:] != DEMO.name[1:]:
        parser.error(f"--demo-dir may differ from {DEMO} in the name's first character only")
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if args.only == "doctor":
        doctor_screenshot(out)
        return 0
    shutil.rmtree(demo, ignore_errors=True)
    env = build_user_cache(demo)
    project_cache = build_project_cache(demo)
    engine = demo_engine()
    tracker = None
    if engine is not None:
        tracker = dockerenv.Tracker(engine=engine, before=engine.record_ids())
        build_16180(tracker, demo / "docker" / "uv")
        build_mounts(tracker, demo / "docker" / "mounts")
    try:
        if args.size is not None:
            suffix = f"-{args.size[0]}x{args.size[1]}"
            shots = shoot(env, [project_cache], out, engine, demo, args.size, suffix)
            saved = asyncio.run(shots)
        else:
            saved = asyncio.run(shoot(env, [project_cache], out, engine, demo))
            docker = docker_env_for(engine, demo)
            saved.append(asyncio.run(shoot_narrow(env, [project_cache], out, docker, demo)))
        for path in saved:
            print(f"wrote {path}")
    finally:
        if tracker is not None:
            tracker.cleanup()
    doctor_screenshot(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
