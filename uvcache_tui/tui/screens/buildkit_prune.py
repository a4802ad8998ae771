"""The BuildKit prune preview: what goes, what stays, and the exact calls; Run or Cancel.

It shows a `PrunePlan` the core computed in a worker (the builder re-read, IDs checked
exactly) and decides nothing itself; the section runs `execute_prune(plan)` after Run.
"""

from __future__ import annotations

from datetime import datetime, timezone

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from uvcache_tui.core.buildkit.prune import MODE_IDS, PrunePlan, PruneResult
from uvcache_tui.core.buildkit.records import SIZE_NOTE
from uvcache_tui.tui.format import format_size
from uvcache_tui.tui.widgets.buildkit_view import last_used, mount_size

REQUEST_NOTE = (
    "One request per record with an anchored ^ID$ filter (BuildKit's id filter is a regex); "
    "records in use by a running build are skipped by BuildKit and shown here as kept."
)


def plan_title(plan: PrunePlan) -> str:
    """`Prune cache mount <id> of builder default (docker driver)` or all of a builder's."""
    where = f"builder {plan.builder.name} ({plan.builder.driver} driver)"
    if plan.mode == MODE_IDS:
        ids = [i.mount.id for i in plan.items] or [r.id for r in plan.rejected]
        what = f"cache mount {ids[0]}" if len(ids) == 1 else f"{len(ids)} cache mounts"
        return f"Prune {what} of {where}"
    return f"Prune all cache mounts of {where}"


def plan_summary(plan: PrunePlan) -> str:
    """`Will delete 1 cache mount(s), 2.3 KiB as last computed by BuildKit — …`."""
    size = format_size(plan.bytes_to_delete)
    if not plan.builder.size_exact:
        size = f"~{size}"
    kept = [i for i in plan.items if i.action == "keep"]
    text = f"Will delete {len(plan.to_delete)} cache mount(s), {size} {SIZE_NOTE}."
    if kept:
        text += f" Kept: {len(kept)}."
    return text


def result_lines(result: PruneResult) -> list[str]:
    """After a prune: the same facts `buildkit prune` prints, in the TUI's units."""
    reclaimed = (
        f", {format_size(result.space_reclaimed)} reclaimed as reported by BuildKit"
        if result.space_reclaimed is not None
        else ""
    )
    lines = [f"Deleted {len(result.deleted)} record(s){reclaimed}."]
    lines += [f"deleted {d}" for d in result.deleted[:10]]
    if len(result.deleted) > 10:
        lines.append(f"… and {len(result.deleted) - 10} more")
    lines += [f"NOT deleted (still in use or gone?): {d}" for d in result.not_deleted]
    lines += [f"also deleted (appeared after the preview): {d}" for d in result.unexpected]
    lines += [f"error: {e}" for e in result.errors]
    return lines


class BuildkitPruneScreen(ModalScreen[bool]):
    """Records that will go (with their stale sizes), those kept, the calls; Run / Cancel."""

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
    BuildkitPruneScreen #bk-prune-calls { color: $text-muted; }
    BuildkitPruneScreen #bk-prune-buttons { height: auto; align-horizontal: right; }
    BuildkitPruneScreen #bk-prune-buttons Button { margin-left: 2; }
    """

    def __init__(self, plan: PrunePlan, now: datetime | None = None) -> None:
        super().__init__()
        self.plan = plan
        self.now = now or datetime.now(timezone.utc)

    @property
    def can_run(self) -> bool:
        return bool(self.plan.requests) and not self.plan.error

    def compose(self) -> ComposeResult:
        plan = self.plan
        with Vertical(id="bk-prune-box"):
            yield Label(plan_title(plan), id="bk-prune-title", markup=False)
            yield DataTable(id="bk-prune-entries", cursor_type="row", zebra_stripes=True)
            yield Static(plan_summary(plan), id="bk-prune-summary", markup=False)
            for rejected in plan.rejected:
                yield Static(
                    f"Not pruned: {rejected.message}", classes="bk-prune-rejected", markup=False
                )
            if plan.requests:
                calls = "\n".join(request.call for request in plan.requests)
                label = "Request" if len(plan.requests) == 1 else "Requests"
                yield Static(f"{label}:\n{calls}", id="bk-prune-calls", markup=False)
            else:
                yield Static("Nothing to prune: no request will be sent.", id="bk-prune-calls")
            yield Static(REQUEST_NOTE, id="bk-prune-note")
            with Horizontal(id="bk-prune-buttons"):
                yield Button("Run", id="run", variant="error", disabled=not self.can_run)
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        table = self.query_one("#bk-prune-entries", DataTable)
        table.add_columns("Action", "ID", "Kind", "Size", "Last used", "Target")
        for item in self.plan.items:
            action = "delete" if item.action == "delete" else f"keep: {item.reason or 'kept'}"
            mount = item.mount
            table.add_row(
                action,
                mount.id,
                mount.kind,
                mount_size(mount),
                last_used(mount, self.now),
                mount.target or mount.description,
                key=mount.id,
            )
        if not self.plan.items:
            table.add_row("-", "nothing to prune", "", "", "", "")
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#run")
    def action_run(self) -> None:
        if not self.can_run:
            self.notify("Nothing to prune.", severity="warning")
            return
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
