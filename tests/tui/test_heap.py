"""`tui.heap`: a model is frozen out of the collector's sight, and collected at the next
arrival once it was let go (its tree's parent links are reference cycles)."""

from __future__ import annotations

import gc
import weakref

from tests.tui.conftest import SIZE, make_app, run, settle
from tests.uvcache_factory import UvEnv
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
        app = make_app(shared_env)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            seen.append(gc.get_freeze_count())

    run(body)
    assert seen and seen[0] > 0, "the model that arrived is frozen while the app runs"
    assert gc.get_freeze_count() == 0, "nothing stays frozen once the app has ended"
