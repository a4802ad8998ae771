"""Records that cannot be decoded stay in the model, labelled with the reason; the rest of
the contents, and the totals, are untouched."""

from __future__ import annotations

import os
from pathlib import Path

import msgpack
import pytest

from tests.core.contents.conftest import copy_cache
from tests.deep_cache import DeepCache
from tests.uvcache_factory import du_bytes
from uvcache_tui.core.buckets import table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.contents import Contents
from uvcache_tui.core.report import cache_json


@pytest.fixture()
def cache(deep_cache: DeepCache, tmp_path: Path) -> Path:
    return copy_cache(deep_cache.cache, tmp_path / "cache")


def _contents(cache: Path) -> Contents:
    """The contents read after the scan (the TUI's way) and with the records read during
    it (`show`'s): every bad record must come out the same both ways."""
    found = []
    for read_records in (False, True):
        model = load_cache(str(cache), table_for("0.13.9"), workers=2, read_records=read_records)
        assert model.totals.allocated == du_bytes(cache)
        assert model.contents is not None
        found.append(model.contents.read_all())
    after, during = found
    assert _shape(after) == _shape(during)
    return after


def _shape(contents: Contents) -> tuple[object, ...]:
    return (
        contents.packages,
        contents.undecoded,
        contents.interpreters,
        contents.indexes,
        contents.git_checkouts,
    )


def _reasons(contents: Contents) -> dict[str, str]:
    return {entry.path: entry.reason for entry in contents.undecoded}


def _alpha_pointer(cache: Path, version: str) -> Path:
    [pointer] = cache.glob(f"wheels-v8/index/*/alpha/{version}-py3-none-any.http")
    return pointer


def _interpreter_entry(cache: Path) -> Path:
    return sorted(cache.glob("interpreter-v5/*/*.msgpack"))[0]


def test_truncated_wheel_pointer_stays_raw_with_a_reason(cache: Path) -> None:
    pointer = _alpha_pointer(cache, "1.0")
    data = pointer.read_bytes()
    pointer.write_bytes(data[:20])
    contents = _contents(cache)
    relative = str(pointer.relative_to(cache))
    assert "truncated" in _reasons(contents)[relative]
    [entry] = [e for e in contents.undecoded if e.path == relative]
    assert entry.head == data[:20] and entry.size == 20
    wheels = {w.version: w for w in contents.of("alpha").wheels}
    # The wheel stays, with what its path and link say, and nothing the record would add.
    assert wheels["1.0"].filename is None and wheels["1.0"].origin.url is None
    assert wheels["1.0"].tags == "py3-none-any" and wheels["1.0"].archive_id is not None
    assert wheels["2.0"].origin.url is not None


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b"\xc1\xc1\xc1 not msgpack", "MessagePack"),
        (msgpack.packb({"from": "a newer uv"}) + b"policy", "known shape"),
    ],
)
def test_empty_or_foreign_pointer(cache: Path, content: bytes, reason: str) -> None:
    pointer = _alpha_pointer(cache, "2.0")
    pointer.write_bytes(content)
    contents = _contents(cache)
    assert reason in _reasons(contents)[str(pointer.relative_to(cache))]
    assert len(contents.of("alpha").wheels) == 2
    assert contents.of("gamma").wheels and contents.interpreters


def test_corrupt_and_truncated_interpreter_entries(cache: Path) -> None:
    first, second, third = sorted(cache.glob("interpreter-v5/*/*.msgpack"))
    first.write_bytes(first.read_bytes()[:100])
    second.write_bytes(msgpack.packb([[1, 0], ["not", "an", "interpreter"]]))
    contents = _contents(cache)
    reasons = _reasons(contents)
    assert "MessagePack" in reasons[str(first.relative_to(cache))]
    assert "too short" in reasons[str(second.relative_to(cache))]
    assert [e.path for e in contents.interpreters] == [str(third.relative_to(cache))]


def test_unknown_generation_is_not_decoded(cache: Path) -> None:
    entry = _interpreter_entry(cache)
    newer = cache / "interpreter-v9" / entry.parent.name
    newer.mkdir(parents=True)
    (newer / entry.name).write_bytes(entry.read_bytes())
    contents = _contents(cache)
    reason = _reasons(contents)[f"interpreter-v9/{entry.parent.name}/{entry.name}"]
    assert "does not know" in reason
    assert all(e.bucket == "interpreter-v5" for e in contents.interpreters)


def test_non_utf8_names_are_labelled(cache: Path) -> None:
    entry = _interpreter_entry(cache)
    odd = Path(os.fsdecode(bytes(entry.parent) + b"/\xff\xfe.msgpack"))
    odd.write_bytes(b"\x00garbage")
    model = load_cache(str(cache), table_for("0.13.9"))
    document = cache_json(model)
    [undecoded] = document["undecoded"]
    assert undecoded["path"].endswith("\ufffd\ufffd.msgpack")
    assert undecoded["head_hex"] == "0067617262616765"


def test_foreign_revision_pointer_leaves_revisions_without_a_current_one(cache: Path) -> None:
    [pointer] = cache.glob("sdists-v11/index/*/gamma/3.1/revision.http")
    pointer.write_bytes(b"\x93not a revision")
    contents = _contents(cache)
    assert str(pointer.relative_to(cache)) in _reasons(contents)
    [revision] = contents.of("gamma").sdists
    assert revision.current is None and revision.origin.url is None
    assert contents.of("gamma").wheels[0].built


def test_archive_record_of_a_newer_version_is_not_decoded(cache: Path) -> None:
    pointer = _alpha_pointer(cache, "1.0")
    data = pointer.read_bytes()
    payload = msgpack.Unpacker(raw=False)
    payload.feed(data)
    record = payload.unpack()
    end = payload.tell()
    record[3] = 1  # `Archive.version`: uv 0.13.9 writes 0
    pointer.write_bytes(msgpack.packb(record) + data[end:])
    contents = _contents(cache)
    assert "archive version 1" in _reasons(contents)[str(pointer.relative_to(cache))]
    wheel = next(w for w in contents.of("alpha").wheels if w.version == "1.0")
    assert wheel.filename is None and wheel.linked
