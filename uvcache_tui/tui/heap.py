"""Short full collections with a large model in memory (the UI thread pays for them).

A scanned cache is hundreds of thousands of long-lived objects, and every full collection of
the cyclic garbage collector walks them all: 0.3-0.8 s on the 750k-entry benchmark, every
second or so while a large table filled, keys frozen for that long. So what is alive once a
model has arrived is moved out of the collector's sight (`gc.freeze`). Objects freed by
reference counting are still freed at once; the arrival of a model that replaces another
first gives everything back to the collector and collects, so the reference cycles of the
model let go (its directory tree links parents and children) are collected then, not kept.

While a scan builds a model or a large table fills, full collections wait (`hold`): each
would walk everything made since the last freeze (the growing model, the table's rows), on
whichever thread set it off, with the GIL held, i.e. keys stalled. Young collections go on.
When the last holder is done, the young generations are collected and what is left frozen.
The first model of a location is frozen the same way on arrival, without a full collection:
there is no model to let go, and a full collection would walk the whole new one. The price:
reference cycles that became garbage during a scan or a fill and survived the young
collections stay (frozen) until the app ends.
"""

from __future__ import annotations

import gc

HELD_THRESHOLD = 1 << 30
"""The oldest generation's threshold while full collections wait (never reached)."""

_holders: set[str] = set()
_threshold: tuple[int, int, int] | None = None
"""The collector's thresholds before the first holder, given back after the last."""


def hold(holder: str) -> None:
    """`holder` (a scan, a table filling) makes many long-lived objects: full collections
    wait until every holder is `done`. Holding twice is holding once."""
    global _threshold
    if not _holders:
        _threshold = gc.get_threshold()
        young, middle, _ = _threshold
        if young:  # a threshold of 0 means the collector is off: leave it so
            gc.set_threshold(young, middle, HELD_THRESHOLD)
    _holders.add(holder)


def done(holder: str) -> None:
    """`holder` made its objects (or never held): after the last, the young generations
    are collected, what is left frozen, and full collections resume."""
    global _threshold
    if holder not in _holders:
        return
    _holders.discard(holder)
    if _holders:
        return
    settle_young()
    if _threshold is not None:
        gc.set_threshold(*_threshold)
        _threshold = None


def holding() -> frozenset[str]:
    """Who holds full collections now."""
    return frozenset(_holders)


def settle_model() -> None:
    """A model arrived and the one it replaces was let go: one full collection over
    everything, then what is left is frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def settle_first_model() -> None:
    """A location's first model arrived (nothing let go): collect the young generations,
    then freeze everything, the new model with it, without walking it."""
    settle_young()


def settle_young() -> None:
    """Many long-lived objects were made since (a model, the rows of a large table): collect
    the young generations (not the model frozen before, nor the objects made meanwhile that
    young collections already moved to the oldest one), then freeze what is left."""
    gc.collect(1)
    gc.freeze()


def release() -> None:
    """The app ends: everything frozen goes back to the collector (a process that goes on,
    e.g. tests, keeps nothing out of its sight for ever), and so do held full collections."""
    global _threshold
    _holders.clear()
    if _threshold is not None:
        gc.set_threshold(*_threshold)
        _threshold = None
    gc.unfreeze()
