"""The footer: Textual's, with help, quit and the palette pinned to its right edge.

Textual lays the keys out left to right, the focused widget's first and the app's last, and
cuts what does not fit: at 80 columns `?` and `q` were the first to go. Here they sit at
the right edge with the palette key, whatever the width. When compact (narrow terminals)
the spacing is tighter and the keys in `WIDE_ONLY` (still in `?` and the palette) are left
out, so the contextual keys keep the room; a key that would still be cut is left out whole
(never `C Clear al`).

A new key comes with its compact look already set (`_settle_compact`): Textual's footer keys
restyle themselves twice as they mount (compact on by default, then off from the footer),
and the footer is recomposed at every tab switch.

Recomposing is coalesced and runs in the footer's own queue: Textual's footer recomposes in
the screen's after-refresh callbacks, once per bindings change, and each awaited there held
back every callback behind it (six at launch, before the first figures' frame was done);
two of them, run from two screens' callbacks, could also overlap and mount the pinned keys
twice (DuplicateIds).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.screen import Screen
from textual.widget import Widget
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
            if isinstance(widget, FooterKey):
                self._settle_compact(widget)
            if isinstance(widget, FooterKey) and widget.action in PINNED:
                pinned.setdefault(widget.action, widget)
            elif not (
                self.compact and isinstance(widget, FooterKey) and widget.action in WIDE_ONLY
            ):
                yield widget
        keys = [pinned[action] for action in PINNED if action in pinned]
        if keys:
            yield HorizontalGroup(*keys, id="pinned-keys")

    def __init__(self) -> None:
        super().__init__()
        self._recompose_pending = False

    def _settle_compact(self, key: FooterKey) -> None:
        """Give a key, before it mounts, the compact value and class it would end with: the
        footer's for a key bound to it (`data_bind`), the default (on) for the others. Its
        watcher then changes nothing at mount, where it restyled the key twice (2-4 ms a
        recompose, one per tab switch)."""
        bound = key._reactive_connect is not None and "compact" in key._reactive_connect
        compact = self.compact if bound else True  # FooterKey.compact's default
        key.set_reactive(FooterKey.compact, compact)
        key.set_class(compact, "-compact", update=False)

    def watch_compact(self) -> None:
        """`WIDE_ONLY` keys come and go with compact."""
        if self.is_mounted:
            self._recompose_soon()

    def bindings_changed(self, screen: Screen[object]) -> None:
        """Textual's, but coalesced (`_recompose_soon`)."""
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self._recompose_soon()

    def _recompose_soon(self) -> None:
        """One recompose after the next frame, however many changes came before it."""
        if not self._recompose_pending:
            self._recompose_pending = True
            self.call_after_refresh(self.call_later, self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_pending = False
        await self.recompose()

    async def recompose(self) -> None:
        await super().recompose()
        self._fit_keys()

    def on_resize(self) -> None:
        self._fit_keys()

    def _fit_keys(self) -> None:
        """Show the keys, left to right, while each fits whole beside the pinned ones."""
        pinned = self.query_children("#pinned-keys")
        room = self.size.width - sum(self._outer_width(group) for group in pinned)
        for key in self.query_children(FooterKey):
            width = self._outer_width(key)
            key.display = width <= room
            room -= width if key.display else room

    def _outer_width(self, widget: Widget) -> int:
        """Cells a key (or the pinned group) takes, measured whether it is shown or not."""
        margin = widget.styles.margin
        border = widget.styles.gutter
        if isinstance(widget, FooterKey):
            content = widget.get_content_width(self.size, self.app.size)
        else:
            content = sum(self._outer_width(child) for child in widget.children)
        return content + margin.left + margin.right + border.left + border.right
