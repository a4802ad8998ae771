"""The Textual app: configuration in, the main screen up, global keys.

Constructed by the CLI as `UvCacheApp(uv=..., extra_caches=[...], find_roots=[...],
read_only=bool)`; the arguments become one frozen `AppConfig` (`app.config`) that the main
screen and its widgets are given. Tests pass a `UvBinary` with its own env (so the active
cache is theirs) and may pass `scan_progress_hook`, called in the scan worker thread on
every progress report, to observe or hold a running scan. `docker_env` replaces os.environ
for the BuildKit branch's Docker calls (DOCKER_HOST, DOCKER_CONFIG, PATH), each bounded by
`docker_timeout` seconds; `buildkit=False` leaves the branch out. `dockerfile` and `image`
are the Doctor view's (`6`), which opens at start when either is given.

The help, the palette's commands, the Doctor and the dialogs are imported when first used:
together they pull in most of the app, and the first frame (with the last figures) waits for
every module imported before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from collections.abc import Iterable, Mapping
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.command import Provider
from textual.screen import Screen
from textual.widgets import Tree

from uvcache_tui.core.snapshot import snapshot_dir
from uvcache_tui.core.uvbin import UvBinary
from uvcache_tui.tui import heap
from uvcache_tui.tui.config import DEFAULT_DOCKER_TIMEOUT, AppConfig, ScanProgressHook
from uvcache_tui.tui.screens.main import MainScreen

VI_KEYS = {"j": "Down", "k": "Up", "h": "Out", "l": "In", "g": "First", "G": "Last"}
VI_HELP = "move as in vi or ncdu: down, up, out (parent), in (open), first, last"
DOCTOR_SCREEN = "doctor"
"""The name the one `DoctorScreen` is installed under."""


def binding_commands() -> type[Provider]:
    """The palette's provider, imported when the palette first opens (Textual resolves
    callables in `COMMANDS`)."""
    from uvcache_tui.tui.commands import BindingCommands

    return BindingCommands


class UvCacheApp(App[None]):
    """Where uv caches live, what they cost on disk, and cleaning them safely."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    """Absolute, so subclasses defined elsewhere (tests) still find it."""
    TITLE = "uvcache-tui"
    COMMANDS = App.COMMANDS | {binding_commands}
    BINDINGS = [
        Binding(
            "ctrl+p",
            "command_palette",
            "palette",
            show=False,
            priority=True,
            id="everywhere.palette",
            tooltip="command palette",
        ),
        Binding("question_mark", "help", "Help", id="everywhere.help", tooltip="this help"),
        Binding("f1", "help", "Help", show=False),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            show=False,
            priority=True,
            id="everywhere.quit",
            tooltip="quit",
        ),
        Binding(
            "q", "quit_asking", "Quit", id="everywhere.quit-q", tooltip="quit; asks while uv runs"
        ),
        Binding(
            "6",
            "doctor",
            "Doctor",
            show=False,
            id="everywhere.doctor",
            tooltip="Doctor: where a Docker build's uv cache goes, and the fix",
        ),
        *(
            Binding(
                key, f"vi('{key}')", name, show=False, id=f"everywhere.vi-{key}", tooltip=VI_HELP
            )
            for key, name in VI_KEYS.items()
        ),
    ]

    def __init__(
        self,
        uv: UvBinary | None = None,
        extra_caches: Iterable[str] = (),
        find_roots: Iterable[str] = (),
        read_only: bool = False,
        *,
        scan_progress_hook: ScanProgressHook | None = None,
        docker_env: Mapping[str, str] | None = None,
        docker_timeout: float = DEFAULT_DOCKER_TIMEOUT,
        buildkit: bool = True,
        dockerfile: str | None = None,
        image: str | None = None,
        snapshots: bool = True,
    ) -> None:
        super().__init__()
        self.config = AppConfig(
            uv=uv,
            extra_caches=tuple(extra_caches),
            find_roots=tuple(find_roots),
            read_only=read_only,
            docker_env=dict(docker_env) if docker_env is not None else None,
            docker_timeout=docker_timeout,
            buildkit=buildkit,
            scan_progress_hook=scan_progress_hook,
            dockerfile=dockerfile,
            image=image,
            snapshot_dir=snapshot_dir() if snapshots else None,
        )
        if read_only:
            self.sub_title = "read-only"
        self._gc_paused = False

    def get_default_screen(self) -> Screen[None]:
        return MainScreen(self.config)

    STOP_WAIT_SECONDS = 15.0
    """How long quitting waits for a stopped action to be measured and logged."""

    def on_load(self) -> None:
        """The cyclic garbage collector waits for the first frame: building the first screen
        allocates thousands of objects, and the collections they set off were nearly a third of
        the app's CPU time to that frame (`benchmarks/README.md`, "Instant reopen")."""
        if gc.isenabled():
            gc.disable()
            self._gc_paused = True

    def _resume_gc(self) -> None:
        if self._gc_paused:
            self._gc_paused = False
            gc.enable()

    def on_unmount(self) -> None:
        self._resume_gc()  # an app that ends before its first frame
        heap.release()

    def on_mount(self) -> None:
        """SIGTERM/SIGHUP quit like ctrl+q: uv is stopped, the terminal restored. The Doctor
        opens at once when the app was given a Dockerfile or an image to check. The garbage
        collector paused by `on_load` resumes after the first frame."""
        self.call_after_refresh(self._resume_gc)
        if self.config.dockerfile is not None or self.config.image is not None:
            self.push_screen(self.doctor_screen())
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGHUP):
                loop.add_signal_handler(sig, lambda: asyncio.ensure_future(self.action_quit()))

    def doctor_screen(self) -> str:
        """The Doctor's screen name, installed the first time it is asked for (one instance
        for the app's life, so it keeps what it showed)."""
        if not self.is_screen_installed(DOCTOR_SCREEN):
            from uvcache_tui.tui.doctor.screen import DoctorScreen

            self.install_screen(DoctorScreen(self.config), DOCTOR_SCREEN)
        return DOCTOR_SCREEN

    async def action_quit(self) -> None:
        """Stop a running uv first (its process group), let the run be logged, then exit."""
        from uvcache_tui.tui.screens.action_run import ActionRunScreen

        running = [s for s in self.screen_stack if isinstance(s, ActionRunScreen)]
        for screen in running:
            screen.cancel.set()
        workers = [w for w in self.workers if w.group == "action" and w.is_running]
        if workers:
            self.notify("Stopping uv…", timeout=3)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    asyncio.gather(*(w.wait() for w in workers), return_exceptions=True),
                    self.STOP_WAIT_SECONDS,
                )
        self.exit()

    def uv_is_running(self) -> bool:
        return any(w.group == "action" and w.is_running for w in self.workers)

    async def action_quit_asking(self) -> None:
        """`q`: quit at once, unless uv runs: then ask, since quitting stops it."""
        if not self.uv_is_running():
            await self.action_quit()
            return

        async def answered(quit_now: bool | None) -> None:
            if quit_now:
                await self.action_quit()

        from uvcache_tui.tui.screens.confirm_quit import ConfirmQuitScreen

        self.push_screen(ConfirmQuitScreen(), answered)

    def action_vi(self, key: str) -> None:
        """vi keys on the focused list: j/k move, h goes out (the parent), l opens, g/G jump;
        on a focused scrolling report (the Doctor's) j/k scroll and g/G go to its ends."""
        from textual.containers import ScrollableContainer
        from textual.widgets import DataTable

        focused = self.focused
        if isinstance(focused, DataTable):
            if key in "gG":
                last = max(focused.row_count - 1, 0)
                focused.move_cursor(row=0 if key == "g" else last)
                return
            target = {"j": "down", "k": "up", "h": "left", "l": "enter"}[key]
        elif isinstance(focused, Tree):
            if key in "gG":
                focused.cursor_line = 0 if key == "g" else max(focused.last_line, 0)
                return
            target = {"j": "down", "k": "up", "h": "shift+left", "l": "enter"}[key]
        elif isinstance(focused, ScrollableContainer):  # after the lists: they are ones too
            scroll = {
                "j": focused.scroll_down,
                "k": focused.scroll_up,
                "g": focused.scroll_home,
                "G": focused.scroll_end,
            }.get(key)
            if scroll is not None:
                scroll(animate=False)
            return
        else:
            return
        self.simulate_key(target)

    @property
    def main_screen(self) -> MainScreen | None:
        """The main screen, whatever modal is on top of it."""
        bottom = self.screen_stack[0] if self.screen_stack else None
        return bottom if isinstance(bottom, MainScreen) else None

    def action_doctor(self) -> None:
        """`6`: the Doctor over the main screen, and back; never over a dialog."""
        if self.is_screen_installed(DOCTOR_SCREEN) and self.screen is self.get_screen(
            DOCTOR_SCREEN
        ):
            self.pop_screen()
        elif self.screen is self.main_screen:
            self.push_screen(self.doctor_screen())

    def action_help(self) -> None:
        from uvcache_tui.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(type(self)))
