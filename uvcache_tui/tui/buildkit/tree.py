"""The sidebar's keys on BuildKit rows and the prunes they start.

The branch itself (rows, loading, true sizes, notifications that wait for dialogs) is
`branch.py`'s; this class adds its keys (`r` reload, `d` prune a mount, `D` prune a
builder's mounts), each enabled only on the rows it applies to, so `r` on a local row falls
through to the screen's rescan. The prune dialog only previews and asks; the branch runs the
prune in a thread worker (`plan_prune`, `execute_prune`: every Docker call has a timeout)
and hands the dialog its result, which is shown inside the dialog, never as a toast over it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.worker import Worker, WorkerState

from uvcache_tui.tui.buildkit.branch import LOAD_GROUP, SECTION_KEY, BuildkitBranch
from uvcache_tui.tui.buildkit.rows import BuilderItem, MountItem, StatusItem
from uvcache_tui.tui.config import READ_ONLY_NOTICE, AppConfig

if TYPE_CHECKING:  # imported where used, as in `branch.py`
    from uvcache_tui.core.buildkit.prune import PrunePlan, PruneResult
    from uvcache_tui.tui.buildkit.prune_screen import BuildkitPruneScreen

__all__ = ["LOAD_GROUP", "SECTION_KEY", "BuildkitLocationsTree"]

PRUNE_TIMEOUT = 60.0
"""At least this many seconds for the prune calls themselves (BuildKit may be slow)."""
PRUNE_GROUP = "buildkit-prune"
PRUNE_WORKER = "run BuildKit prune"


class BuildkitLocationsTree(BuildkitBranch):
    """The locations tree with its BuildKit branch (`branch.py`), its keys and its prunes."""

    BINDINGS = [
        Binding(
            "r",
            "reload",
            "Reload",
            id="buildkit.reload",
            tooltip="read Docker's builders and their cache mounts again",
        ),
        Binding(
            "d",
            "prune_mount",
            "Prune mount",
            id="buildkit.prune-mount",
            tooltip="on a cache mount: preview, then prune that mount",
        ),
        Binding(
            "D",
            "prune_builder",
            "Prune builder's mounts",
            id="buildkit.prune-builder",
            tooltip="on a builder or mount: preview, then prune all the builder's cache mounts",
        ),
        Binding("d,D", "say_read_only", show=False),  # only with --read-only
    ]
    HELP_NOTE = "in-use mounts are kept; with --read-only d and D only say why not"
    """Shown under the keys above in the help screen."""

    @dataclass
    class Planned(Message):
        """A prune plan is ready to be previewed."""

        plan: PrunePlan

    @dataclass
    class Pruned(Message):
        """A confirmed prune ran; the dialog shows its result, the rows are read again."""

        result: PruneResult

    def __init__(self, config: AppConfig, *, id: str | None = None) -> None:
        super().__init__(config, id=id)
        self._prune_busy = False
        self.last_result: PruneResult | None = None
        """The last prune that ran."""
        self._dialog: BuildkitPruneScreen | None = None
        """The prune dialog that is up, to hand it the result."""

    # -- keys --------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """BuildKit keys only on BuildKit rows (elsewhere `r` is the screen's rescan)."""
        item = self.current_item()
        if action == "reload":
            return item is not None
        if action == "say_read_only":
            return self.config.read_only and isinstance(item, BuilderItem | MountItem)
        if action == "prune_mount":
            return not self.config.read_only and isinstance(item, MountItem)
        if action == "prune_builder":
            return (
                not self.config.read_only
                and isinstance(item, BuilderItem | MountItem)
                and item.builder.listed
                and bool(item.builder.mounts)
            )
        return True

    def action_say_read_only(self) -> None:
        """d/D with --read-only: say why nothing happens, and how to act."""
        self.tell(READ_ONLY_NOTICE, title="Read-only", severity="warning", timeout=8)

    def action_reload(self) -> None:
        self.load()

    def action_prune_mount(self) -> None:
        """`d`: preview, then prune the cache mount under the cursor."""
        item = self.current_item()
        if self.check_action("prune_mount", ()) and isinstance(item, MountItem):
            self._plan([item.mount.id], item.builder.name)

    def action_prune_builder(self) -> None:
        """`D`: preview, then prune every cache mount of the builder under the cursor."""
        item = self.current_item()
        if self.check_action("prune_builder", ()) and isinstance(item, BuilderItem | MountItem):
            self._plan([], item.builder.name)

    # -- pruning -----------------------------------------------------------------------------

    def _plan(self, ids: Sequence[str], builder: str) -> None:
        if self._prune_busy:
            self.tell("A BuildKit prune is already being prepared or run.", timeout=4)
            return
        self._prune_busy = True
        config = self.config
        self.run_worker(
            partial(
                self._plan_worker, list(ids), builder, config.docker_timeout, config.docker_env
            ),
            name="plan BuildKit prune",
            group=PRUNE_GROUP,
            description="planning a BuildKit prune",
            exit_on_error=False,
            thread=True,
        )

    def _plan_worker(
        self, ids: list[str], builder: str, timeout: float, env: Mapping[str, str] | None
    ) -> None:
        """Thread: re-read the builder and check the IDs (the core's `plan_prune`)."""
        from uvcache_tui.core.buildkit.prune import plan_prune

        plan = plan_prune(ids, all_mounts=not ids, builder=builder, timeout=timeout, env=env)
        self.post_message(self.Planned(plan))

    @on(Planned)
    def _planned(self, message: Planned) -> None:
        plan = message.plan
        if plan.error:
            self._prune_busy = False
            self.tell(plan.error, title="BuildKit prune", severity="error", timeout=8)
            return

        def closed(_: PruneResult | None) -> None:
            self._prune_busy = False
            self._dialog = None

        from uvcache_tui.tui.buildkit.prune_screen import BuildkitPruneScreen

        measured = {i: m for (b, i), m in self.on_disk.items() if b == plan.builder.name}
        dialog = BuildkitPruneScreen(plan, on_run=partial(self._prune, plan), on_disk=measured)
        self._dialog = dialog
        self.app.push_screen(dialog, closed)

    def _prune(self, plan: PrunePlan) -> None:
        """Run pressed in the dialog: the confirmed prune, in a thread worker."""
        timeout = max(self.config.docker_timeout, PRUNE_TIMEOUT)
        self.run_worker(
            partial(self._prune_worker, plan, timeout),
            name=PRUNE_WORKER,
            group=PRUNE_GROUP,
            description="pruning BuildKit cache mounts",
            exit_on_error=False,
            thread=True,
        )

    def _prune_worker(self, plan: PrunePlan, timeout: float) -> None:
        """Thread: exactly the previewed requests (the core's `execute_prune`)."""
        from uvcache_tui.core.buildkit.prune import execute_prune

        self.post_message(self.Pruned(execute_prune(plan, timeout)))

    @on(Pruned)
    def _pruned(self, message: Pruned) -> None:
        """The dialog shows the result; the rows follow what is left."""
        self.last_result = message.result
        if self._dialog is not None:
            self._dialog.show_result(message.result)
        self.load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker that raised (a bug, not a Docker problem) becomes a visible error."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        error = f"{type(worker.error).__name__}: {worker.error}"
        if worker.name == PRUNE_WORKER and self._dialog is not None:
            self._dialog.show_failure(error)  # shown in the dialog, which stays up
            return
        if worker.group == PRUNE_GROUP:
            self._prune_busy = False
        elif worker.group == LOAD_GROUP:
            self.reading = False
            self._set_status(StatusItem("BuildKit could not be read", f"BuildKit: {error}"))
        self.tell(error, title=worker.description or worker.name, severity="error")
