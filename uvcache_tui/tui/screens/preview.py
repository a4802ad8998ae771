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

from uvcache_tui.core.actions import (
    ActionPlan,
    adjust_plan,
    describe_plan_title,
    describe_plan_totals,
    supports_force,
)
from uvcache_tui.core.lock import LockState
from uvcache_tui.tui.format import format_size


@dataclass(frozen=True)
class PreviewDecision:
    """What the user chose in the preview."""

    run: bool
    force: bool = False
    wait: bool = False
    """Let uv wait for the lock (up to its timeout) instead of refusing at once."""
    plan: ActionPlan | None = None
    """The plan to run, with these choices applied: its command is the one last shown."""


class PreviewScreen(ModalScreen[PreviewDecision]):
    """Scrollable list of entries + totals + command; Run stays disabled until every
    extra confirmation the plan asks for is ticked, and for good when the plan is blocked.

    The command line below the list is always the one Run (or Wait) will run: ticking
    Force rebuilds it from the core's plan.
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "run", "Run", show=False),
        Binding("f", "toggle_force", "Force", show=False),
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
    PreviewScreen .preview-blocker { color: $error; text-style: bold; }
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

    @property
    def can_wait(self) -> bool:
        """Waiting helps only if the holder will finish without us: not our own parent."""
        return self.lock_held and not self.plan.lock.held_by_our_parent

    @property
    def can_force(self) -> bool:
        return self.lock_held and supports_force(self.plan.uv_version, self.plan.action)

    def compose(self) -> ComposeResult:
        plan = self.plan
        prediction = plan.prediction
        with Vertical(id="preview-box"):
            # The core's words (the CLI prints the same); paths are never read as markup.
            yield Label(describe_plan_title(plan), id="preview-title", markup=False)
            yield DataTable(id="preview-entries", cursor_type="row", zebra_stripes=True)
            yield Static(describe_plan_totals(plan), id="preview-totals", markup=False)
            for note in prediction.notes:
                yield Static(f"note: {note}", classes="preview-note")
            for warning in plan.warnings:
                yield Static(f"⚠ {warning}", classes="preview-warning")
            for blocker in plan.blockers:
                yield Static(f"✖ Refused: {blocker}", classes="preview-blocker", markup=False)
            for index, reason in enumerate(plan.confirm_reasons):
                yield Checkbox(f"I understand: {reason}", id=f"confirm-{index}")
            if self.can_force and not plan.blockers:
                if plan.lock.held_by_our_parent:
                    label = (
                        "Force (f): pass uv --force — the lock holder is the uv that started "
                        "uvcache-tui and only waits for it to exit"
                    )
                else:
                    label = (
                        "Force (f): pass uv --force and ignore the lock "
                        "(unsafe while uv uses the cache)"
                    )
                yield Checkbox(label, id="force")
            yield Static(f"$ {plan.command}", id="preview-command", markup=False)
            with Horizontal(id="preview-buttons"):
                if self.can_wait and not plan.blockers:
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
        run.disabled = (
            bool(self.plan.blockers)
            or not self._confirmed()
            or (self.lock_held and not self._force())
        )

    def _chosen_plan(self, wait: bool = False) -> ActionPlan:
        return adjust_plan(self.plan, force=self._force(), wait=wait)

    @on(Checkbox.Changed)
    def _checkbox_changed(self) -> None:
        self._update_run_button()
        command = self.query_one("#preview-command", Static)
        command.update(f"$ {self._chosen_plan().command}")

    def action_toggle_force(self) -> None:
        for box in self.query("#force").results(Checkbox):
            box.value = not box.value

    def _say(self, text: str) -> None:
        """Inside the dialog, never as a toast over its buttons."""
        self.query_one("#preview-command", Static).update(
            f"{text}\n$ {self._chosen_plan().command}"
        )

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        if self.query_one("#run", Button).disabled:
            if self.plan.blockers:
                self._say("Refused: see the reason above.")
            elif self.lock_held and not self._force():
                self._say("The cache is in use: tick Force (f) to run anyway.")
            else:
                self._say("Tick the confirmations first.")
            return
        self.dismiss(PreviewDecision(run=True, force=self._force(), plan=self._chosen_plan()))

    @on(Button.Pressed, "#wait")
    def _wait(self) -> None:
        if not self._confirmed():
            self._say("Tick the confirmations first.")
            return
        self.dismiss(PreviewDecision(run=True, wait=True, plan=self._chosen_plan(wait=True)))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(PreviewDecision(run=False))
