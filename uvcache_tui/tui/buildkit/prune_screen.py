"""The BuildKit prune preview: what goes, what stays, and the exact calls; Run or Cancel.

It shows a `PrunePlan` the core computed in a worker (the builder re-read, IDs checked
exactly) and decides nothing itself: Run calls `on_run`, and the sidebar's BuildKit branch,
which owns the prune worker, reports back with `show_result` or `show_failure`. The dialog
stays up meanwhile and shows the result itself, then Close dismisses it with the
`PruneResult` (None: cancelled or failed).

Toasts are not drawn over this dialog (they would cover its Run/Cancel row); messages
about the prune are shown inside it, and the app's other toasts reappear once it closes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from uvcache_tui.core.buildkit.ondisk import MountOnDisk
from uvcache_tui.core.buildkit.prune import MODE_IDS, PrunePlan, PruneResult, describe_requests
from uvcache_tui.core.buildkit.texts import (
    describe_deletion,
    describe_prune_result,
    last_used,
    mount_size,
    mount_target,
    true_size,
)
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted


def plan_title(plan: PrunePlan) -> str:
    """`Prune cache mount <id> of builder default (docker driver)` or all of a builder's."""
    where = f"builder {plan.builder.name} ({plan.builder.driver} driver)"
    if plan.mode == MODE_IDS:
        ids = [i.mount.id for i in plan.items] or [r.id for r in plan.rejected]
        what = f"cache mount {ids[0]}" if len(ids) == 1 else f"{len(ids)} cache mounts"
        return f"Prune {what} of {where}"
    return f"Prune all cache mounts of {where}"


def plan_summary(plan: PrunePlan, on_disk: Mapping[str, MountOnDisk] | None = None) -> str:
    """The core's deletion sentence (BuildKit's, stale, sizes), the true size of what goes
    where it was measured, and how many previewed records stay."""
    kept = sum(1 for item in plan.items if item.action == "keep")
    text = describe_deletion(plan)
    measured = [
        found.size
        for item in plan.to_delete
        if (found := (on_disk or {}).get(item.mount.id)) is not None and found.size is not None
    ]
    if measured:
        of = "" if len(measured) == len(plan.to_delete) else f" ({len(measured)} measured)"
        total = sum(size.allocated for size in measured)
        text += f" On disk: {format_size(total)}{of}."
    return text + (f" Kept: {kept}." if kept else "")


class BuildkitPruneScreen(ModalScreen["PruneResult | None"]):
    """Records that will go (BuildKit's stale sizes beside the true ones, where measured),
    those kept, the calls; Run / Cancel, then the result in the same dialog and Close."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("enter", "run", "Run", show=False),
    ]

    DEFAULT_CSS = """
    BuildkitPruneScreen { align: center middle; }
    BuildkitPruneScreen > #bk-prune-box {
        width: 90%; height: 90%; border: thick $warning; background: $surface; padding: 0 1;
    }
    BuildkitPruneScreen #bk-prune-title { text-style: bold; }
    BuildkitPruneScreen #bk-prune-entries { height: 1fr; }
    BuildkitPruneScreen .bk-prune-rejected { color: $warning; }
    BuildkitPruneScreen #bk-prune-note { color: $text-muted; }
    BuildkitPruneScreen #bk-prune-calls-box { height: auto; max-height: 8; }
    BuildkitPruneScreen #bk-prune-calls { color: $text-muted; }
    BuildkitPruneScreen #bk-prune-status { height: auto; max-height: 12; }
    BuildkitPruneScreen #bk-prune-status.-error { color: $error; }
    BuildkitPruneScreen #bk-prune-buttons { height: auto; align-horizontal: right; }
    BuildkitPruneScreen #bk-prune-buttons Button { margin-left: 2; }
    BuildkitPruneScreen ToastHolder { display: none; }
    """

    def __init__(
        self,
        plan: PrunePlan,
        now: datetime | None = None,
        on_run: Callable[[], object] | None = None,
        on_disk: Mapping[str, MountOnDisk] | None = None,
    ) -> None:
        super().__init__()
        self.plan = plan
        self.on_disk = dict(on_disk or {})
        """True sizes by record ID, as the sidebar measured them (`*`: BuildKit's is stale)."""
        self.now = now or datetime.now(timezone.utc)
        self.on_run = on_run
        """Starts the prune (None: a preview only, Run stays disabled)."""
        self.result: PruneResult | None = None
        self.running = False

    @property
    def can_run(self) -> bool:
        return (
            bool(self.plan.requests)
            and not self.plan.error
            and self.on_run is not None
            and not self.running
            and self.result is None
        )

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="bk-prune-box"):
            yield Label(plan_title(plan), id="bk-prune-title", markup=False)
            yield DataTable(id="bk-prune-entries", cursor_type="row", zebra_stripes=True)
            yield Static(plan_summary(plan, self.on_disk), id="bk-prune-summary", markup=False)
            for rejected in plan.rejected:
                yield Static(
                    f"Not pruned: {rejected.message}", classes="bk-prune-rejected", markup=False
                )
            if plan.requests:
                calls = "\n".join(request.call for request in plan.requests)
                label = "Request" if len(plan.requests) == 1 else "Requests"
                with VerticalScroll(id="bk-prune-calls-box"):
                    yield Static(f"{label}:\n{calls}", id="bk-prune-calls", markup=False)
            yield Static(describe_requests(plan), id="bk-prune-note", markup=False)
            yield Static("", id="bk-prune-status", markup=False)
            with Horizontal(id="bk-prune-buttons"):
                yield Button("Run", id="run", variant="error", disabled=not self.can_run)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one("#bk-prune-entries", DataTable)
        table.add_columns("Action", "ID", "Kind", "Size", "On disk", "Last used", "Target")
        for item in self.plan.items:
            action = "delete" if item.action == "delete" else f"keep: {item.reason or 'kept'}"
            mount = item.mount
            table.add_row(
                action,
                mount.id,
                mount.kind,
                mount_size(mount),
                true_size(self.on_disk.get(mount.id)),
                last_used(mount, self.now),
                mount_target(mount),
                key=mount.id,
            )
        if not self.plan.items:
            table.add_row("-", "nothing to prune", "", "", "", "", "")
        self.query_one("#cancel", Button).focus()

    def say(self, text: str, error: bool = False) -> None:
        """A message inside the dialog (instead of a toast that would cover it)."""
        status = self.query_one("#bk-prune-status", Static)
        status.update(text)
        status.set_class(error, "-error")

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        if self.running or self.result is not None:
            return
        if not self.can_run or self.on_run is None:
            self.say("Nothing to prune: no request will be sent.", error=True)
            return
        self.running = True
        run = self.query_one("#run", Button)
        run.disabled = True
        self.query_one("#cancel", Button).disabled = True
        mounts = counted(len(self.plan.to_delete), "cache mount")
        self.say(f"Pruning {mounts} of builder {self.plan.builder.name}…")
        self.on_run()

    def show_failure(self, error: str) -> None:
        """The prune raised (a bug, not a Docker answer): say so; Cancel becomes Close."""
        self.running = False
        self.say(f"The prune failed: {error}", error=True)
        self._to_close()

    def show_result(self, result: PruneResult) -> None:
        """The result in the dialog; Run goes away and Cancel becomes Close."""
        self.running = False
        self.result = result
        self.say(
            "\n".join(describe_prune_result(result, deleted_shown=10)), error=bool(result.errors)
        )
        self._to_close()

    def _to_close(self) -> None:
        self.query_one("#run", Button).display = False
        close = self.query_one("#cancel", Button)
        close.label = "Close"
        close.disabled = False
        close.focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self.running:
            return  # the prune is in flight; it cannot be taken back
        self.dismiss(self.result)
