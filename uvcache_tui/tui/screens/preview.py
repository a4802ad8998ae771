"""The preview modal: what an action will remove, what it frees, and the exact command.

It only shows a plan the core already computed (in a worker); it decides nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Label, Static

from uvcache_tui.core.actions import ActionPlan, supports_force
from uvcache_tui.core.lock import LockState
from uvcache_tui.tui.format import format_count, format_size


@dataclass(frozen=True)
class PreviewDecision:
    """What the user chose in the preview."""

    run: bool
    force: bool = False
    wait: bool = False
    """Let uv wait for the lock (up to its timeout) instead of refusing at once."""


class PreviewScreen(ModalScreen[PreviewDecision]):
    """Scrollable list of entries + totals + command; Run stays disabled until every
    extra confirmation the plan asks for is ticked."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "run", "Run", show=False),
    ]

    DEFAULT_CSS = """
    PreviewScreen { align: center middle; }
    PreviewScreen > #preview-box {
        width: 90%; height: 90%; border: thick $warning; background: $surface; padding: 0 1;
    }
    PreviewScreen #preview-title { text-style: bold; }
    PreviewScreen #preview-entries { height: 1fr; }
    PreviewScreen .preview-warning { color: $warning; }
    PreviewScreen .preview-confirm { color: $error; text-style: bold; }
    PreviewScreen #preview-command { color: $text-muted; }
    PreviewScreen #preview-buttons { height: auto; align-horizontal: right; }
    PreviewScreen #preview-buttons Button { margin-left: 2; }
    """

    def __init__(self, plan: ActionPlan) -> None:
        super().__init__()
        self.plan = plan

    @property
    def lock_held(self) -> bool:
        return self.plan.lock.state is LockState.HELD

    def compose(self) -> ComposeResult:
        plan = self.plan
        prediction = plan.prediction
        totals = prediction.totals
        with Vertical(id="preview-box"):
            yield Label(
                f"{plan.action.display_name}: {plan.cache}  (uv {plan.uv_version})",
                id="preview-title",
            )
            yield DataTable(id="preview-entries", cursor_type="row", zebra_stripes=True)
            yield Static(
                f"Will remove {format_count(len(prediction.entries))} entries, "
                f"{format_size(totals.allocated)} allocated, {format_count(totals.files)} files. "
                f"Frees [b]{format_size(totals.reclaimable)}[/b]; the rest stays linked from "
                "venvs or tools.",
                id="preview-totals",
            )
            for note in prediction.notes:
                yield Static(f"note: {note}", classes="preview-note")
            for warning in plan.warnings:
                yield Static(f"⚠ {warning}", classes="preview-warning")
            for index, reason in enumerate(plan.confirm_reasons):
                yield Checkbox(f"I understand: {reason}", id=f"confirm-{index}")
            if self.lock_held and supports_force(plan.uv_version, plan.action):
                yield Checkbox(
                    "Force: pass uv --force and ignore the lock (unsafe while uv uses the cache)",
                    id="force",
                )
            yield Static(f"$ {plan.command}", id="preview-command", markup=False)
            with Horizontal(id="preview-buttons"):
                if self.lock_held:
                    yield Button("Wait for uv", id="wait", variant="primary")
                yield Button("Run", id="run", variant="error")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one("#preview-entries", DataTable)
        table.add_columns("What", "Entry", "Allocated", "Reclaimable")
        for kind, entries in self.plan.prediction.groups().items():
            for entry in entries:
                table.add_row(
                    kind,
                    entry.label,
                    format_size(entry.sizes.allocated),
                    format_size(entry.sizes.reclaimable),
                )
        if not self.plan.prediction.entries:
            table.add_row("-", "nothing to remove", "", "")
        self._update_run_button()
        self.query_one("#cancel", Button).focus()

    def _confirmed(self) -> bool:
        boxes = [
            self.query_one(f"#confirm-{i}", Checkbox) for i in range(len(self.plan.confirm_reasons))
        ]
        return all(box.value for box in boxes)

    def _force(self) -> bool:
        boxes = self.query("#force").results(Checkbox)
        return any(box.value for box in boxes)

    def _update_run_button(self) -> None:
        run = self.query_one("#run", Button)
        run.disabled = not self._confirmed() or (self.lock_held and not self._force())

    @on(Checkbox.Changed)
    def _checkbox_changed(self) -> None:
        self._update_run_button()

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        if self.query_one("#run", Button).disabled:
            self.notify("Tick the confirmations first", severity="warning")
            return
        self.dismiss(PreviewDecision(run=True, force=self._force()))

    @on(Button.Pressed, "#wait")
    def _wait(self) -> None:
        if not self._confirmed():
            self.notify("Tick the confirmations first", severity="warning")
            return
        self.dismiss(PreviewDecision(run=True, wait=True))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(PreviewDecision(run=False))
