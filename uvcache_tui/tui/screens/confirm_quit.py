"""Asked when `q` is pressed while uv runs: quitting stops uv (its process group)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmQuitScreen(ModalScreen[bool]):
    """Yes quits (uv is stopped and the run logged, as with ctrl+q); anything else stays."""

    BINDINGS = [
        Binding("y", "answer(True)", "Quit"),
        Binding("n", "answer(False)", "Stay"),
        Binding("escape", "answer(False)", "Stay", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmQuitScreen { align: center middle; }
    ConfirmQuitScreen > Vertical {
        width: 64; height: auto; border: thick $warning; background: $surface; padding: 1 2;
    }
    ConfirmQuitScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmQuitScreen Button { margin-left: 2; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("uv is running. Quit anyway? uv is stopped and what it removed is logged.")
            with Horizontal():
                yield Button("Stay (n)", id="stay")
                yield Button("Quit (y)", id="quit", variant="warning")

    def action_answer(self, quit_now: bool) -> None:
        self.dismiss(quit_now)

    @on(Button.Pressed, "#quit")
    def _quit(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#stay")
    def _stay(self) -> None:
        self.dismiss(False)
