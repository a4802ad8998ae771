"""`tui.heap`: a model is frozen out of the collector's sight, and collected at the next
arrival once it was let go (its tree's parent links are reference cycles)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from tests.tui.conftest import SIZE, main_screen, make_app, run, settle, settled_app
from tests.uvcache_factory import UvEnv
from uvcache_tui.tui import heap
from uvcache_tui.tui.heap import settle_model, settle_young


class Node:
    """A directory-tree-like object that links to itself, as parents and children do."""

    def __init__(self) -> None:
        self.parent: Node | None = None
        self.children: list[Node] = []


def tree() -> Node:
    root = Node()
    child = Node()
    child.parent = root
    root.children.append(child)
    return root


def test_a_model_let_go_is_collected_at_the_next_arrival() -> None:
    try:
        model = tree()
        gone = weakref.ref(model)
        settle_model()
        assert gc.get_freeze_count() > 0
        del model
        gc.collect()
        settle_young()
        # Frozen: neither a collection nor the settling of young objects walks it.
        assert gone() is not None
        settle_model()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_young_cycles_are_collected_before_freezing() -> None:
    try:
        settle_model()
        young = tree()
        gone = weakref.ref(young)
        del young
        settle_young()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_the_app_freezes_a_model_while_it_runs_and_releases_it_when_it_ends(
    shared_env: UvEnv,
) -> None:
    gc.unfreeze()
    seen: list[int] = []

    async def body() -> None:
        async with settled_app(shared_env) as (pilot, _screen):
            seen.append(gc.get_freeze_count())

    run(body)
    assert seen and seen[0] > 0, "the model that arrived is frozen while the app runs"
    assert gc.get_freeze_count() == 0, "nothing stays frozen once the app has ended"


def test_full_collections_wait_while_a_scan_runs_and_the_first_model_is_not_walked(
    shared_env: UvEnv,
) -> None:
    """While the scan builds the model, full collections wait (young ones go on); its
    arrival freezes it without a full collection; after, full collections resume."""
    gc.unfreeze()
    before = gc.get_threshold()
    during_scan: list[int] = []
    full_on_arrival: list[int] = []
    arriving: list[bool] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2 and arriving:
            full_on_arrival.append(info["generation"])

    async def body() -> None:
        app = make_app(
            shared_env,
            scan_progress_hook=lambda location, update: during_scan.append(gc.get_threshold()[2]),
        )
        async with app.run_test(size=SIZE) as pilot:
            screen = main_screen(pilot)
            finish = screen._finish

            def timed_finish(path: str, *args: Any) -> None:
                state = screen.states.get(path)
                first = state is not None and state.model is None
                arriving.extend([True] if first else [])
                try:
                    finish(path, *args)
                finally:
                    arriving.clear()

            screen._finish = timed_finish  # type: ignore[method-assign]
            await settle(pilot)
            assert screen.selected_state is not None
            assert screen.selected_state.model is not None
            assert gc.get_freeze_count() > 0, "the model is frozen"
            assert not heap.holding()
            assert gc.get_threshold() == before, "full collections resumed"

    gc.callbacks.append(on_gc)
    try:
        run(body)
    finally:
        gc.callbacks.remove(on_gc)
    assert during_scan and set(during_scan) == {heap.HELD_THRESHOLD}
    assert not full_on_arrival, "a full collection walked the first model on its arrival"


def test_holders_share_one_hold_and_the_last_one_done_settles_the_young() -> None:
    before = gc.get_threshold()
    try:
        heap.hold("scan:a")
        heap.hold("fill:b")
        heap.hold("fill:b")
        assert gc.get_threshold()[2] == heap.HELD_THRESHOLD
        young = tree()
        gone = weakref.ref(young)
        del young
        heap.done("scan:a")
        assert gc.get_threshold()[2] == heap.HELD_THRESHOLD, "fill:b still holds"
        heap.done("nobody")
        heap.done("fill:b")
        assert gc.get_threshold() == before
        assert gone() is None, "young cycles are collected before freezing"
        assert gc.get_freeze_count() > 0
    finally:
        heap.release()
