"""The deep contents in the TUI: a package opened into its wheels, the Interpreters tab, and
the indexes on Info, against a cache the real uv wrote."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from tests.deep_cache import build_deep_cache
from tests.tui.conftest import run, settle, settled_app
from tests.tui.test_app import plain
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui.screens.wheels import WheelsScreen


def test_package_opens_into_wheels_and_interpreters_tab(tmp_path: Path) -> None:
    deep = build_deep_cache(tmp_path)

    async def body() -> None:
        async with settled_app(deep.env) as (pilot, screen):
            app = pilot.app
            await pilot.press("2")
            table = screen.cache_view.packages_view.table
            table.move_cursor(row=table.get_row_index("alpha"))
            await pilot.press("enter")
            await settle(pilot)
            wheels = app.screen
            assert isinstance(wheels, WheelsScreen)
            rows = wheels.query_one("#wheels-table", DataTable)
            cells = [[str(c) for c in rows.get_row_at(i)] for i in range(rows.row_count)]
            assert [row[0] for row in cells] == [
                "alpha-1.0-py3-none-any.whl",
                "alpha-2.0-py3-none-any.whl",
            ]
            # The origin column is narrow: the index URL, cut with an ellipsis.
            assert all(row[1] == "download" for row in cells)
            assert all(deep.index_url.startswith(row[2].rstrip("…")) for row in cells)
            assert [row[5] for row in cells] == ["1", "0"]
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is screen
            await pilot.press("5")
            await pilot.pause()
            interpreters = screen.query_one("#interpreters-table", DataTable)
            contents = screen.cache_view.model.contents  # type: ignore[union-attr]
            assert contents is not None
            by_executable = {e.executable: e.path for e in contents.interpreters}
            assert interpreters.row_count == len(by_executable)

            def state(venv: Path) -> str:
                key = by_executable[str(venv / "bin" / "python")]
                return str(interpreters.get_cell(key, "state"))

            assert state(deep.gone_venv) == "stale"
            assert state(deep.kept_venv) == "present"
            status = plain(screen.query_one("#interpreters-status", Static))
            assert "1 stale" in status
            await pilot.press("4")
            await pilot.pause()
            info = plain(screen.query_one("#info-body", Static))
            assert deep.index_url in info and "2 pages" in info

    run(body)


def test_interpreters_tab_with_an_empty_model(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            await pilot.press("5")
            await pilot.pause()
            assert screen.cache_view.tabs.active == "interpreters"
            table = screen.query_one("#interpreters-table", DataTable)
            assert table.row_count >= 1

    run(body)
