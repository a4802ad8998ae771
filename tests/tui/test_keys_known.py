"""Keys people already know from ncdu/gdu/vi: q quits (asking while uv runs), j k h l g G."""

from __future__ import annotations

from tests.tui.conftest import run, settled_app
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui.screens.confirm_quit import ConfirmQuitScreen


def test_vi_keys_move_the_focused_list(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            app = pilot.app
            await pilot.press("2")
            await pilot.pause()
            table = screen.packages_view.table
            assert app.focused is table and table.row_count == 3
            await pilot.press("j")
            await pilot.pause()
            assert table.cursor_row == 1
            await pilot.press("G")
            await pilot.pause()
            assert table.cursor_row == 2
            await pilot.press("k")
            await pilot.pause()
            assert table.cursor_row == 1
            await pilot.press("g")
            await pilot.pause()
            assert table.cursor_row == 0
            # In the filter, the letters are typed, not taken as keys.
            await pilot.press("slash", "j", "q")
            await pilot.pause()
            assert screen.packages_view.filter_input.value == "jq"
            assert app.is_running

    run(body)


def test_q_quits_at_once_when_nothing_runs(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            app = pilot.app
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    run(body)


def test_q_asks_while_uv_runs(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            app = pilot.app
            app.uv_is_running = lambda: True  # type: ignore[method-assign]
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmQuitScreen)
            await pilot.press("n")
            await pilot.pause()
            assert app.is_running and not isinstance(app.screen, ConfirmQuitScreen)
            await pilot.press("q")
            await pilot.pause()
            await pilot.press("y")
            await pilot.pause()
            assert not app.is_running

    run(body)
