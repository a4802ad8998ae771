"""Command palette entries (ctrl+p) for the main actions, so every key is also discoverable."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    pass

Command = tuple[str, str, Callable[[], object]]
"""(title, help text, callback)."""


class UvCacheCommands(Provider):
    """Rescan, stop, help, tabs, filter, quit; actions added later extend `commands()`."""

    def commands(self) -> list[Command]:
        from uvcache_tui.tui.app import UvCacheApp
        from uvcache_tui.tui.screens.main import MainScreen

        app = self.app
        assert isinstance(app, UvCacheApp)
        found: list[Command] = []
        main = app.main_screen
        if isinstance(main, MainScreen):
            found += [
                ("Rescan selected location", "scan it again (r)", main.action_rescan),
                (
                    "Stop scan",
                    "stop the selected location's scan, keep partial figures (x)",
                    main.action_stop_scan,
                ),
                (
                    "Show Buckets tab",
                    "top-level cache entries (1)",
                    lambda: main.action_show_tab("buckets"),
                ),
                (
                    "Show Packages tab",
                    "per-package sizes (2)",
                    lambda: main.action_show_tab("packages"),
                ),
                (
                    "Show Files tab",
                    "browse the scanned tree (3)",
                    lambda: main.action_show_tab("files"),
                ),
                (
                    "Show Info tab",
                    "tag, lock, uv version, problems (4)",
                    lambda: main.action_show_tab("info"),
                ),
                (
                    "Filter packages",
                    "type to narrow the package list (/)",
                    main.action_filter_packages,
                ),
            ]
        if isinstance(main, MainScreen) and not app.read_only:
            found += [
                (
                    "Prune cache",
                    "preview, then uv cache prune (p)",
                    lambda: main.action_cache_action("prune"),
                ),
                (
                    "Prune cache for CI",
                    "preview, then uv cache prune --ci (P)",
                    lambda: main.action_cache_action("prune-ci"),
                ),
                (
                    "Clean marked packages",
                    "preview, then uv cache clean NAME… (c)",
                    lambda: main.action_cache_action("clean-packages"),
                ),
                (
                    "Clear whole cache",
                    "preview, then uv cache clean (C)",
                    lambda: main.action_cache_action("clear-all"),
                ),
            ]
        if isinstance(main, MainScreen) and app.buildkit:
            found.append(
                (
                    "Reload BuildKit",
                    "read Docker's builders again (r on a BuildKit row)",
                    main.buildkit.load,
                )
            )
            if not app.read_only:
                found += [
                    (
                        "Prune BuildKit cache mount",
                        "preview, then prune the highlighted cache mount (d)",
                        main.action_buildkit_prune_mount,
                    ),
                    (
                        "Prune all cache mounts of builder",
                        "preview, then prune every cache mount of the highlighted builder (D)",
                        main.action_buildkit_prune_builder,
                    ),
                ]
        found += [
            ("Help: keys", "every key and what it does (?)", app.action_help),
            ("Quit uvcache-tui", "leave the app (ctrl+q)", app.exit),
        ]
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self.commands():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self.commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
