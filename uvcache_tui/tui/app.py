"""The Textual app: configuration in, the main screen up, global keys.

Constructed by the CLI as `UvCacheApp(uv=..., extra_caches=[...], find_roots=[...],
read_only=bool)`. Tests pass a `UvBinary` with its own env (so the active cache is theirs)
and may pass `scan_progress_hook`, called in the scan worker thread on every progress
report, to observe or hold a running scan. `docker_env` replaces os.environ for the
BuildKit section's Docker calls (DOCKER_HOST, DOCKER_CONFIG, PATH), each bounded by
`docker_timeout` seconds; `buildkit=False` leaves the section out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen

from uvcache_tui.core.model import Location, ScanProgress
from uvcache_tui.core.uvbin import UvBinary
from uvcache_tui.tui.commands import UvCacheCommands
from uvcache_tui.tui.screens.help import HelpScreen
from uvcache_tui.tui.screens.main import MainScreen

ScanProgressHook = Callable[[Location, ScanProgress], None]


class UvCacheApp(App[None]):
    """Where uv caches live, what they cost on disk, and (later) cleaning them safely."""

    CSS_PATH = Path(__file__).with_name("app.tcss")
    """Absolute, so subclasses defined elsewhere (tests) still find it."""
    TITLE = "uvcache-tui"
    COMMANDS = App.COMMANDS | {UvCacheCommands}
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("f1", "help", "Help", show=False),
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
        docker_timeout: float = 10.0,
        buildkit: bool = True,
    ) -> None:
        super().__init__()
        self.uv = uv
        self.extra_caches = list(extra_caches)
        self.find_roots = list(find_roots)
        self.read_only = read_only
        """True: no action that deletes is offered (the CLI's --read-only)."""
        self.scan_progress_hook = scan_progress_hook
        self.docker_env = dict(docker_env) if docker_env is not None else None
        """Environment for Docker/buildx in the BuildKit section; None: os.environ."""
        self.docker_timeout = docker_timeout
        self.buildkit = buildkit
        """False: no BuildKit section (no Docker call at all)."""
        if read_only:
            self.sub_title = "read-only"

    def get_default_screen(self) -> Screen[None]:
        return MainScreen()

    @property
    def main_screen(self) -> MainScreen | None:
        """The main screen, whatever modal is on top of it."""
        bottom = self.screen_stack[0] if self.screen_stack else None
        return bottom if isinstance(bottom, MainScreen) else None

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())
