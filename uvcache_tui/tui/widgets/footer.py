"""The footer: Textual's, with help, quit and the palette pinned to its right edge.

Textual lays the keys out left to right, the focused widget's first and the app's last, and
cuts what does not fit: at 80 columns `?` and `q` were the first to go. Here they sit at
the right edge with the palette key, whatever the width. When compact (narrow terminals)
the spacing is tighter and the keys in `WIDE_ONLY` (still in `?` and the palette) are left
out, so the contextual keys keep the room.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer

# FooterKey is not exported by textual.widgets; the lock pins the Textual version.
from textual.widgets._footer import FooterKey

PINNED = ("help", "quit_asking", "command_palette")
"""Actions kept at the right edge, in this order."""
WIDE_ONLY = frozenset({"cache_action('prune-ci')", "cache_action('clear-all')", "stop_scan"})
"""Actions the footer leaves out when compact."""


class KeysFooter(Footer):
    """Textual's footer whose help, quit and palette keys never scroll or fall off."""

    DEFAULT_CSS = """
    KeysFooter #pinned-keys {
        dock: right;
        width: auto;
        border-left: vkey $foreground 20%;
    }
    KeysFooter #pinned-keys FooterKey.-command-palette {
        dock: none;
        border-left: none;
    }
    """

    def compose(self) -> ComposeResult:
        pinned: dict[str, FooterKey] = {}
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in PINNED:
                pinned.setdefault(widget.action, widget)
            elif not (
                self.compact and isinstance(widget, FooterKey) and widget.action in WIDE_ONLY
            ):
                yield widget
        keys = [pinned[action] for action in PINNED if action in pinned]
        if keys:
            yield HorizontalGroup(*keys, id="pinned-keys")
