"""Command palette entries (ctrl+p) made from the key bindings, so every key is discoverable.

An entry is a binding that has a help text (`tooltip`) and is enabled where the palette was
opened (its owner's `check_action`): the title is its description, the help its tooltip and
key, and a search matches either. Running it runs the binding's action on its owner, as
pressing the key would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen

from uvcache_tui.tui.screens.help import key_name

NOT_LISTED = frozenset({"command_palette"})
"""Actions that make no sense from the palette itself."""
NOT_LISTED_PREFIXES = ("vi(",)
"""Cursor moves (vi keys) mean nothing once the palette has the focus."""


@dataclass(frozen=True)
class BindingCommand:
    """One palette entry."""

    title: str
    help: str
    run: Callable[[], Awaitable[bool]]
    """Runs the binding's action (the palette awaits it)."""


def binding_commands(screen: Screen[object]) -> list[BindingCommand]:
    """The enabled bindings of `screen` (focused widget, screen, app) that have a help text."""
    found: list[BindingCommand] = []
    seen: set[tuple[int, str]] = set()
    for active in screen.active_bindings.values():
        binding: Binding = active.binding
        node: DOMNode = active.node
        if not active.enabled or not binding.tooltip or binding.id is None:
            continue
        if binding.action in NOT_LISTED or binding.action.startswith(NOT_LISTED_PREFIXES):
            continue
        if (id(node), binding.action) in seen:
            continue
        seen.add((id(node), binding.action))
        found.append(
            BindingCommand(
                binding.description,
                f"{binding.tooltip} ({key_name(binding)})",
                partial(screen.app.run_action, binding.action, node),
            )
        )
    return found


class BindingCommands(Provider):
    """The palette's view of the bindings active on the screen it was opened over."""

    def commands(self) -> list[BindingCommand]:
        return binding_commands(self.screen)

    async def discover(self) -> Hits:
        for command in self.commands():
            yield DiscoveryHit(command.title, command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = max(matcher.match(command.title), matcher.match(command.help))
            if score > 0:
                yield Hit(score, matcher.highlight(command.title), command.run, help=command.help)
