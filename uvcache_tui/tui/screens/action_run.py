"""While uv runs: its output as it arrives; then the result — predicted vs freed vs uv's line."""

from __future__ import annotations

from collections.abc import Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, LoadingIndicator, Log, Static
from textual.worker import Worker, WorkerState

from uvcache_tui.core.actions import ActionPlan, ActionResult
from uvcache_tui.tui.format import format_size

ActionRunner = Callable[[Callable[[str], None]], ActionResult]
"""Runs the planned action in a worker thread, feeding each uv output line to the callback."""


def describe_result(result: ActionResult) -> list[str]:
    """The result in a few lines, the same facts the CLI prints."""
    if result.lock_busy:
        who = result.plan.lock.description if result.plan.lock.holders else "another uv process"
        return [f"uv is running ({who}): nothing was deleted. Try again when it finishes."]
    lines = [f"uv exited with {result.uv_exit_code}"]
    lines.append(
        f"Freed {format_size(result.freed_bytes)} (predicted {format_size(result.predicted_bytes)}); "
        f"the cache shrank by {format_size(result.cache_shrink_bytes)}"
    )
    if result.removed_line:
        lines.append(f"uv says: {result.removed_line}")
    if result.difference:
        lines.append(f"Difference from the prediction: {format_size(abs(result.difference))}")
    if result.still_present:
        lines.append("Predicted but still there: " + ", ".join(result.still_present[:5]))
    if result.unpredicted:
        lines.append("Removed but not predicted: " + ", ".join(result.unpredicted[:5]))
    if result.audit_path:
        lines.append(f"Logged to {result.audit_path}")
    return lines


class ActionRunScreen(ModalScreen[ActionResult | None]):
    """Shows uv's output live, then the result; closing returns the result to the caller."""

    BINDINGS = [Binding("escape", "close", "Close")]

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

    def compose(self) -> ComposeResult:
        with Vertical(id="run-box"):
            yield Label(f"Running: {self.plan.command}", id="run-title", markup=False)
            yield LoadingIndicator(id="run-spinner")
            yield Log(id="run-output", auto_scroll=True)
            yield Static("", id="run-result")
            with Horizontal(id="run-buttons"):
                yield Button("Close", id="close", disabled=True)

    def on_mount(self) -> None:
        self.run_uv()

    @work(thread=True, exclusive=True, group="action", exit_on_error=False)
    def run_uv(self) -> ActionResult:
        log = self.query_one("#run-output", Log)

        def emit(line: str) -> None:
            self.app.call_from_thread(log.write_line, line)

        return self.runner(emit)

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
        self.query_one("#run-result", Static).update(text)
        close = self.query_one("#close", Button)
        close.disabled = False
        close.focus()

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.query_one("#close", Button).disabled:
            return
        self.dismiss(self.result)
