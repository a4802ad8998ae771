"""Marking and filtering packages never walk the scan on the UI thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from textual.widgets import Static

from tests.tui.conftest import run, settle, settled_app, show_packages
from tests.uvcache_factory import UvEnv

T = TypeVar("T")


def record_calls(
    monkeypatch: Any, module: Any, name: str, note: Callable[[], T], *more: Any
) -> list[T]:
    """`module.name` (and the same name in `more` modules that imported it) replaced by a
    wrapper that appends `note()` for each call: which thread or worker did the work."""
    noted: list[T] = []
    original = getattr(module, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        noted.append(note())
        return original(*args, **kwargs)

    for target in (module, *more):
        monkeypatch.setattr(target, name, recording)
    return noted


def test_marks_and_filter_do_not_walk_on_the_ui_thread(shared_env: UvEnv) -> None:
    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            packages = screen.packages_view
            model = packages.model
            assert model is not None
            ui_thread = threading.get_ident()
            walks: list[int] = []
            original = model.scan.selection_sizes

            def recording(nodes: Any) -> Any:
                walks.append(threading.get_ident())
                return original(nodes)

            model.scan.selection_sizes = recording  # type: ignore[method-assign]
            await show_packages(pilot, wait=False)
            await pilot.press("space", "down", "space")
            await pilot.press("slash", "a", "l", "escape")
            await settle(pilot)
            assert len(packages.marked_packages) == 2
            status = str(packages.query_one("#packages-status", Static).render())
            assert "2 marked:" in status and "reclaimable" in status, status
            assert walks, "the marked packages' sum was never measured"
            assert ui_thread not in walks

    run(body)


def test_a_models_package_figures_are_computed_off_the_ui_thread(
    shared_env: UvEnv, monkeypatch: Any
) -> None:
    """Every package's versions and sizes (~0.2 s of CPU on a large cache) come from a
    worker: the model's arrival does not compute them on the UI thread."""
    from uvcache_tui.tui.widgets import package_figures

    threads = record_calls(monkeypatch, package_figures, "versions_text", threading.get_ident)

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            ui_thread = threading.get_ident()
            packages = await show_packages(pilot, wait=False)
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            assert threads, "the versions were never shown"
            assert ui_thread not in threads

    run(body)


def test_workers_given_the_model_never_write_it_out(shared_env: UvEnv, monkeypatch: Any) -> None:
    """A worker's default description is its arguments' repr: the whole model's, 0.14 s on
    the UI thread at 750k files, each time the packages are measured or a mark is toggled."""
    from uvcache_tui.core.cache import CacheModel

    written: list[int] = []

    def recording(model: CacheModel) -> str:
        written.append(threading.get_ident())
        return "CacheModel(…)"

    monkeypatch.setattr(CacheModel, "__repr__", recording)

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            packages = await show_packages(pilot, wait=False)
            await pilot.press("space")
            await settle(pilot)
            assert packages.marked_packages

    run(body)
    assert not written


def test_the_packages_are_sorted_off_the_ui_thread_and_once_an_order(
    shared_env: UvEnv, monkeypatch: Any
) -> None:
    """Sorting ~10k packages costs ~25 ms: the worker that measures them sorts them in the
    table's order, and the UI thread sorts only for an order asked for the first time (a
    Refit, a filter or an order asked for again reuses the sorted list)."""
    from uvcache_tui.core.sorting import SortKey
    from uvcache_tui.tui.widgets import package_figures

    threads = record_calls(monkeypatch, package_figures, "sort_rows", threading.get_ident)

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            ui_thread = threading.get_ident()
            packages = await show_packages(pilot, wait=False)
            by_size = packages.visible_names()
            assert sorted(by_size) == ["alpha", "beta", "gamma"]
            await pilot.resize_terminal(100, 40)  # a Refit: the table fills again
            await pilot.press("slash", "a", "escape")
            await settle(pilot)
            assert packages.visible_names() == by_size
            assert threads, "the packages were never sorted"
            assert ui_thread not in threads
            await pilot.press("n")  # a new order: sorted here, once
            await settle(pilot)
            assert packages.table.order.key is SortKey.NAME
            assert packages.visible_names() == ["alpha", "beta", "gamma"]
            assert threads.count(ui_thread) == 1
            await pilot.press("s", "n")  # both orders again: no sort
            await settle(pilot)
            assert threads.count(ui_thread) == 1
            assert packages.visible_names() == ["alpha", "beta", "gamma"]

    run(body)


def test_a_scans_package_figures_come_with_its_model(shared_env: UvEnv, monkeypatch: Any) -> None:
    """The scan's worker computes the Packages figures before it hands the model over: at
    the model's arrival no figures' worker shares the GIL with the UI thread. A model that
    comes without them (an action's rescan, a BuildKit mount) still gets them from one."""
    from textual.worker import get_current_worker

    from uvcache_tui.tui.screens.main import SCAN_GROUP_PREFIX
    from uvcache_tui.tui.widgets import package_figures, packages_table

    groups = record_calls(
        monkeypatch,
        package_figures,
        "package_figures",
        lambda: get_current_worker().group,
        packages_table,
    )

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            packages = await show_packages(pilot)
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            scans = [g for g in groups if g.startswith(SCAN_GROUP_PREFIX)]
            assert scans and scans == groups, groups
            first = packages.model
            await pilot.press("r")
            await settle(pilot)
            assert packages.model is not first
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            assert all(g.startswith(SCAN_GROUP_PREFIX) for g in groups), groups
            assert len(groups) == len(scans) + 1
            groups.clear()
            # A model without figures (as an action's rescan hands over): a worker's.
            state = screen.selected_state
            assert state is not None and state.model is not None
            state.figures = None
            screen.cache_view.show_model(first, state.location)
            await settle(pilot)
            assert groups == ["package-figures"]
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]

    run(body)


def test_figures_that_fail_in_the_scan_leave_the_scan_done(
    shared_env: UvEnv, monkeypatch: Any
) -> None:
    """If the figures fail in the scan's worker, the scan still ends done and the Packages
    view's own worker computes them (where a failure is shown, not the scan's)."""
    from textual.worker import get_current_worker

    from uvcache_tui.core.location import LocationStatus
    from uvcache_tui.tui.screens.main import SCAN_GROUP_PREFIX
    from uvcache_tui.tui.widgets import package_figures, packages_table

    original = package_figures.package_figures
    groups: list[str] = []

    def failing_in_scans(*args: Any, **kwargs: Any) -> Any:
        group = get_current_worker().group
        groups.append(group)
        if group.startswith(SCAN_GROUP_PREFIX):
            raise RuntimeError("figures failed")
        return original(*args, **kwargs)

    monkeypatch.setattr(package_figures, "package_figures", failing_in_scans)
    monkeypatch.setattr(packages_table, "package_figures", failing_in_scans)

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, screen):
            packages = await show_packages(pilot)
            state = screen.selected_state
            assert state is not None and state.status is LocationStatus.DONE
            assert state.figures is None
            assert sorted(packages.visible_names()) == ["alpha", "beta", "gamma"]
            assert "package-figures" in groups
            assert any(g.startswith(SCAN_GROUP_PREFIX) for g in groups)

    run(body)
