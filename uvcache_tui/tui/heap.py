"""Short full collections with a large model in memory (the UI thread pays for them).

A scanned cache is hundreds of thousands of long-lived objects, and every full collection of
the cyclic garbage collector walks them all: 0.3-0.8 s on the 750k-entry benchmark, every
second or so while a large table filled, keys frozen for that long. So what is alive once a
model has arrived is moved out of the collector's sight (`gc.freeze`). Objects freed by
reference counting are still freed at once; the next model's arrival first gives everything
back to the collector and collects, so the reference cycles of a model let go since (its
directory tree links parents and children) are collected then, not kept.
"""

from __future__ import annotations

import gc


def settle_model() -> None:
    """A model arrived and the one it replaces was let go: one full collection over
    everything, then what is left is frozen."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


def settle_young() -> None:
    """Many long-lived objects were made since (the rows of a large table): collect what
    is not frozen, then freeze what is left; the frozen model is not walked again."""
    gc.collect()
    gc.freeze()


def release() -> None:
    """The app ends: everything frozen goes back to the collector (a process that goes on,
    e.g. tests, keeps nothing out of its sight for ever)."""
    gc.unfreeze()
