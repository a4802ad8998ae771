"""A mount point inside a cache, as the TUI shows it (moved here from the core's safety tests,
which keep the refusal itself): the Info tab names it, and `p` is refused with its path."""

from __future__ import annotations

from pathlib import Path

from textual.message import Message
from textual.widgets import Static

from tests.core.test_action_safety import _mount, mounted
from tests.tui.conftest import SIZE, main_screen, make_app, run, settle
from tests.tui.test_app import plain, wait_until
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui.messages import ActionPlanned

__all__ = ["mounted"]  # the fixture, used by name below


def test_info_tab_names_a_mount_point(fresh_env: UvEnv, mounted: list[Path]) -> None:
    point = fresh_env.cache / "wheels-v5" / "mnt"
    _mount("tmpfs", point, point, mounted)
    (point / "precious.txt").write_text("lives on another filesystem")

    async def body() -> None:
        seen: list[Message] = []
        async with make_app(fresh_env).run_test(size=SIZE, message_hook=seen.append) as pilot:
            await settle(pilot)
            await pilot.press("4")
            await pilot.pause()
            info = plain(main_screen(pilot).query_one("#info-body", Static))
            assert "Mount points" in info and "wheels-v5/mnt" in info
            await pilot.press("p")
            await wait_until(pilot, lambda: any(isinstance(m, ActionPlanned) for m in seen))
            (plan, *_) = [m.plan for m in seen if isinstance(m, ActionPlanned)]
            assert any(str(point) in b and "mount point" in b for b in plan.blockers)
            await pilot.press("escape")
            await settle(pilot)

    run(body)
    assert (point / "precious.txt").read_text() == "lives on another filesystem"
