"""While uv runs: its output as it arrives; then the result — predicted vs freed vs uv's line."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, LoadingIndicator, Log, Static
from textual.worker import Worker, WorkerState

from uvcache_tui.core.action_run import ActionResult, describe_result
from uvcache_tui.core.actions import ActionPlan

ActionRunner = Callable[[Callable[[str], None], threading.Event], ActionResult]
"""Runs the planned action in a worker thread, feeding each uv output line to the callback;
setting the event stops uv (its process group) and still measures and logs the run."""


class ActionRunScreen(ModalScreen[ActionResult | None]):
    """Shows uv's output live, then the result; closing returns the result to the caller.

    While uv runs, Cancel (or escape) stops it; the app stops it too when it quits.
    """

    BINDINGS = [Binding("escape", "close", "Cancel / Close")]

    DEFAULT_CSS = """
    ActionRunScreen { align: center middle; }
    ActionRunScreen > #run-box {
        width: 90%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    ActionRunScreen #run-title { text-style: bold; }
    ActionRunScreen #run-output { height: 1fr; }
    ActionRunScreen #run-result { height: auto; }
    ActionRunScreen #run-buttons { height: auto; align-horizontal: right; }
    """

    def __init__(self, plan: ActionPlan, runner: ActionRunner) -> None:
        super().__init__()
        self.plan = plan
        self.runner = runner
        self.result: ActionResult | None = None
        self.cancel = threading.Event()
        """Set to stop uv; the app sets it when it quits."""

    def compose(self) -> ComposeResult:
        with Vertical(id="run-box"):
            yield Label(f"Running: {self.plan.command}", id="run-title", markup=False)
            yield LoadingIndicator(id="run-spinner")
            yield Log(id="run-output", auto_scroll=True)
            yield Static("", id="run-result")
            with Horizontal(id="run-buttons"):
                yield Button("Cancel", id="cancel-run", variant="warning")
                yield Button("Close", id="close", disabled=True)

    def on_mount(self) -> None:
        self.run_uv()

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def run_uv(self) -> ActionResult:
        log = self.query_one("#run-output", Log)

        def emit(line: str) -> None:
            self.app.call_from_thread(log.write_line, line)

        return self.runner(emit, self.cancel)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "action":
            return
        if event.state is WorkerState.SUCCESS:
            self.result = event.worker.result
            assert self.result is not None
            self._finish("\n".join(describe_result(self.result)))
        elif event.state is WorkerState.ERROR:
            self._finish(f"The action failed: {event.worker.error}")

    def _finish(self, text: str) -> None:
        self.query_one("#run-spinner", LoadingIndicator).display = False
        self.query_one("#cancel-run", Button).display = False
        self.query_one("#run-result", Static).update(text)
        close = self.query_one("#close", Button)
        close.disabled = False
        close.focus()

    @on(Button.Pressed, "#cancel-run")
    def cancel_run(self) -> None:
        """Stop uv; the worker still measures and logs what it removed."""
        if not self.cancel.is_set():
            self.cancel.set()
            button = self.query_one("#cancel-run", Button)
            button.label = "Stopping uv…"
            button.disabled = True

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.query_one("#close", Button).disabled:
            self.cancel_run()
            return
        self.dismiss(self.result)
