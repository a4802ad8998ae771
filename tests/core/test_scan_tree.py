"""The scanned tree's shape: subdirectories kept compactly (a tuple, a dict above
`SMALL_FANOUT`) behind the same `DirNode` interface, and what a directory costs."""

from __future__ import annotations

import gc
import os
import tracemalloc
from pathlib import Path

import pytest

from uvcache_tui.core.scan import ScanResult, scan
from uvcache_tui.core.scan.node import SMALL_FANOUT, DirNode

WALKS = [pytest.param({"workers": 1}, id="serial"), pytest.param({"workers": 2}, id="parallel")]


def _archive_like(root: Path, entries: int) -> None:
    """A uv-shaped tree: archive entries with a package, its bytecode and its dist-info."""
    for number in range(entries):
        entry = root / "archive-v0" / f"entry-{number:05d}"
        for directory, files in (
            (entry / "pkg", ("__init__.py", "mod.py")),
            (entry / "pkg" / "__pycache__", ("mod.cpython-311.pyc",)),
            (entry / "pkg-1.0.dist-info", ("METADATA", "RECORD")),
        ):
            directory.mkdir(parents=True)
            for name in files:
                (directory / name).write_bytes(b"x" * (number % 7000))


def _nodes(result: ScanResult) -> list[DirNode]:
    nodes, stack = [], [result.root]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.iter_children())
    return nodes


@pytest.mark.parametrize("walk", WALKS)
def test_children_in_listing_order_by_name(tmp_path: Path, walk: dict[str, int]) -> None:
    few = tmp_path / "few"
    many = tmp_path / "many"
    for parent, count in ((few, SMALL_FANOUT), (many, SMALL_FANOUT + 5)):
        for number in range(count):
            (parent / f"d{number}").mkdir(parents=True)
    result = scan(str(tmp_path), **walk)
    for parent in (few, many):
        node = result.node(parent.name)
        assert node is not None
        listed = [e.name for e in os.scandir(parent) if e.is_dir()]
        assert [child.name for child in node.iter_children()] == listed
        children = node.children
        assert children is not None and list(children) == listed
        for name in listed:
            found = node.child(name)
            assert found is children[name] and found.parent is node
            assert result.node(f"{parent.name}/{name}") is found
        assert node.child("missing") is None
        assert node.sub_dirs == len(listed)


@pytest.mark.parametrize("count", [3, SMALL_FANOUT + 3])
def test_remove_child_keeps_the_others_in_order(count: int) -> None:
    parent = DirNode("", None)
    kids = [DirNode(f"d{number}", parent) for number in range(count)]
    parent.set_children(kids)
    parent.remove_child(kids[1])
    assert list(parent.iter_children()) == [kids[0], *kids[2:]]
    assert parent.child("d1") is None and parent.child("d2") is kids[2]
    for kid in [kids[0], *kids[2:]]:
        parent.remove_child(kid)
    assert parent.children is None and list(parent.iter_children()) == []


@pytest.mark.parametrize("walk", WALKS)
def test_a_directory_costs_little(tmp_path: Path, walk: dict[str, int]) -> None:
    """The tree's memory per directory (object, name, subdirectories, figures); it was
    ~350 bytes with a dict of subdirectories and an int object per figure."""
    _archive_like(tmp_path, 600)
    scan(str(tmp_path), **walk)  # its imports (multiprocessing...) done before
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = scan(str(tmp_path), **walk)
        gc.collect()
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    nodes = _nodes(result)
    assert len(nodes) == 2 + 600 * 4
    # Names and small byte figures are shared: one object per value.
    pycaches = [node for node in nodes if node.name == "__pycache__"]
    assert len(pycaches) == 600 and len({id(node.name) for node in pycaches}) == 1
    assert len({id(node.own_apparent) for node in pycaches if node.own_files == 0}) <= 1
    assert len({id(node.own_alloc) for node in nodes}) < 100
    assert used / len(nodes) < 260, f"{used / len(nodes):.0f} bytes per directory"
