"""The compact `--json` writer gives `json.dumps`'s exact text, a piece at a time; `ls` and
`show` pause the garbage collector and leave it as they found it."""

from __future__ import annotations

import contextlib
import gc
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import RichCache
from tests.uvcache_factory import uv_binary
from uvcache_tui.cli import main
from uvcache_tui.cli.common import (
    JSON_BATCH,
    JSON_WRITE_SIZE,
    collections_paused,
    write_compact_json,
)
from uvcache_tui.core.report import materialized

DOCUMENTS: list[Any] = [
    {},
    {"empty": [], "nested": {"a": [1, 2.5, None, True], "b": {}}, "t": (1, "x")},
    {"names": ["caf\u00e9", "foreign-\udcff", 'tab\tquote"back\\slash', "\u2603"]},
    {"floats": [0.1, 1e300, -0.0, float("inf"), float("nan")], "big": 2**70},
    {"many": [{"i": i, "s": "x" * (i % 50)} for i in range(5000)], "after": "end"},
    {"one batch": list(range(JSON_BATCH)), "two": list(range(2 * JSON_BATCH)), "x": [[]]},
    {"long": "y" * (3 * JSON_WRITE_SIZE), "list": ["z" * JSON_WRITE_SIZE] * 3},
    {1: "an int key", None: "none", 2.5: "float"},
    [1, "a list at the top", {"k": []}],
    "just a string",
]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_compact_writer_writes_what_dumps_gives(document: Any) -> None:
    out = io.StringIO()
    write_compact_json(document, out)
    assert out.getvalue() == json.dumps(document)


def test_top_level_iterators_are_written_as_lists() -> None:
    def rows() -> Iterator[dict[str, int]]:
        yield from ({"n": n} for n in range(3))

    out = io.StringIO()
    write_compact_json({"rows": rows(), "none": iter(()), "tail": 1}, out)
    expected = {"rows": [{"n": 0}, {"n": 1}, {"n": 2}], "none": [], "tail": 1}
    assert out.getvalue() == json.dumps(expected)
    assert materialized({"rows": rows(), "tail": [1]}) == {"rows": expected["rows"], "tail": [1]}


def test_large_documents_go_out_in_pieces() -> None:
    writes: list[int] = []

    class Counting(io.StringIO):
        def write(self, text: str) -> int:
            writes.append(len(text))
            return super().write(text)

    document = {"many": [{"i": i, "pad": "p" * 100} for i in range(10000)]}
    out = Counting()
    write_compact_json(document, out)
    assert out.getvalue() == json.dumps(document)
    assert len(writes) > 10 and max(writes) < 2 * JSON_WRITE_SIZE


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_found(enabled: bool) -> None:
    before = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        with collections_paused():
            assert not gc.isenabled()
        assert gc.isenabled() == enabled
        with contextlib.suppress(RuntimeError), collections_paused():
            raise RuntimeError("a command failed")
        assert gc.isenabled() == enabled
    finally:
        (gc.enable if before else gc.disable)()


def test_show_as_a_function_neither_freezes_nor_stops_the_collector(
    rich_cache_template: RichCache, capsys: pytest.CaptureFixture[str]
) -> None:
    """`main` called in a process that goes on (not `run`): nothing is frozen for ever."""
    frozen = gc.get_freeze_count()
    code = main(["--uv", uv_binary(), "show", str(rich_cache_template.cache), "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["path"] == str(rich_cache_template.cache)
    assert gc.isenabled()
    # Frozen objects of earlier tests (a TUI's model) may be freed meanwhile; freezing what
    # `show` built would add thousands.
    assert gc.get_freeze_count() <= frozen
