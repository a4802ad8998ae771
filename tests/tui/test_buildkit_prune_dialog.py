"""The BuildKit prune dialog shows the true size (measured on disk) beside BuildKit's
figure, marked when BuildKit's is stale, and totals what goes."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.tui.conftest import run
from tests.tui.test_app import plain
from tests.tui.test_buildkit_tui import SIZE, DialogApp, recorded_plan
from uvcache_tui.core.buildkit.ondisk import MountOnDisk, TrueSize
from uvcache_tui.core.buildkit.texts import mount_size
from uvcache_tui.tui.buildkit.prune_screen import BuildkitPruneScreen


def test_true_size_beside_buildkits_figure() -> None:
    plan = recorded_plan()
    first, *others = plan.builder.mounts
    assert others  # one measured, the others not
    on_disk = {first.id: MountOnDisk("/var/lib/docker/x/diff", None, TrueSize(524288, 1700, True))}

    async def body() -> None:
        app = DialogApp()
        async with app.run_test(size=SIZE) as pilot:
            dialog = BuildkitPruneScreen(plan, on_run=lambda: None, on_disk=on_disk)
            await app.push_screen(dialog)
            await pilot.pause()
            table = dialog.query_one("#bk-prune-entries", DataTable)
            labels = [str(c.label) for c in table.columns.values()]
            assert labels[3:5] == ["Size", "On disk"]
            row = table.get_row(first.id)
            assert row[3] == mount_size(first) and row[4] == "512.0 KiB*"
            assert all(table.get_row(m.id)[4] == "-" for m in others)
            summary = plain(dialog.query_one("#bk-prune-summary", Static))
            assert "On disk: 512.0 KiB (1 measured)." in summary

    run(body)


def test_without_measurements_the_column_says_so() -> None:
    plan = recorded_plan()

    async def body() -> None:
        app = DialogApp()
        async with app.run_test(size=SIZE) as pilot:
            dialog = BuildkitPruneScreen(plan)
            await app.push_screen(dialog)
            await pilot.pause()
            table = dialog.query_one("#bk-prune-entries", DataTable)
            assert {table.get_row(m.id)[4] for m in plan.builder.mounts} == {"-"}
            assert "On disk" not in plain(dialog.query_one("#bk-prune-summary", Static))

    run(body)
