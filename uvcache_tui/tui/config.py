"""What the app was started with, as one frozen value handed to the screens and widgets.

The CLI (and the tests) build it through `UvCacheApp(...)`; widgets receive it in their
constructor, so none of them reaches into the app for a setting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from uvcache_tui.core.model import Location, ScanProgress
from uvcache_tui.core.uvbin import UvBinary

ScanProgressHook = Callable[[Location, ScanProgress], None]
"""Called in the scan worker thread on every progress report (tests observe or hold scans)."""

DEFAULT_DOCKER_TIMEOUT = 10.0
READ_ONLY_KEYS = "p,P,c,C"
"""The cache action keys; with --read-only they only say why nothing happens."""
READ_ONLY_NOTICE = (
    "uvcache-tui was started with --read-only: nothing that deletes runs (p P c C, d D). "
    "Quit and start it without --read-only to prune or clean."
)


@dataclass(frozen=True)
class AppConfig:
    """The app's settings; nothing in the TUI changes them while it runs."""

    uv: UvBinary | None = None
    """The uv that is asked where its caches are and that does the deleting."""
    extra_caches: tuple[str, ...] = ()
    find_roots: tuple[str, ...] = ()
    read_only: bool = False
    """True: no action that deletes is offered (the CLI's --read-only)."""
    docker_env: Mapping[str, str] | None = None
    """Environment for Docker/buildx in the BuildKit section; None: os.environ."""
    docker_timeout: float = DEFAULT_DOCKER_TIMEOUT
    """Seconds per Docker call."""
    buildkit: bool = True
    """False: no BuildKit section (no Docker call at all)."""
    scan_progress_hook: ScanProgressHook | None = None
    dockerfile: str | None = None
    """The Dockerfile the Doctor view checks (`--dockerfile`); it opens at start when set."""
    image: str | None = None
    """The image whose layers the Doctor view searches for uv caches (`--image`)."""
    snapshot_dir: str | None = None
    """Where each cache's last figures are kept and read at launch (`core.snapshot`);
    None: no snapshots (--no-snapshot)."""
