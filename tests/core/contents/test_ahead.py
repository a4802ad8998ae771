"""What `show` reads ahead of the joins: in a child process forked once the scan's workers
are done (`ReadAheadChild`), the same as `read_ahead` reads in this process."""

from __future__ import annotations

import os
import threading

import pytest

from tests.conftest import RichCache
from tests.deep_cache import DeepCache
from uvcache_tui.core.archive_links import find_links
from uvcache_tui.core.buckets import bucket_family, table_for
from uvcache_tui.core.cache import load_cache
from uvcache_tui.core.contents import ahead
from uvcache_tui.core.contents.ahead import ReadAhead, ReadAheadChild, read_ahead


def _inputs(
    root: str,
) -> tuple[dict[str, list[str]], list[str], dict[str, tuple[list[str], list[str]]]]:
    """What the scan's background thread hands the read-ahead: the listings of the wheels
    buckets' dirs, the sdists buckets and their dirs' listings (`find_links`)."""
    buckets = sorted(n for n in os.listdir(root) if bucket_family(n) in ("wheels", "sdists"))
    listings: dict[str, list[str]] = {}
    sdist_dirs: dict[str, tuple[list[str], list[str]]] = {}
    find_links(root, buckets, None, listings, [], sdist_dirs)
    return listings, [b for b in buckets if bucket_family(b) == "sdists"], sdist_dirs


def _shape(found: ReadAhead) -> tuple[object, ...]:
    return found.wheel_pointers, found.source_dirs, found.version_dirs


def test_the_child_reads_what_read_ahead_reads(deep_cache: DeepCache) -> None:
    root = str(deep_cache.cache)
    listings, sdists, sdist_dirs = _inputs(root)
    here = read_ahead(root, listings, sdists, dict(sdist_dirs))
    child = ReadAheadChild(root, listings, sdists, dict(sdist_dirs)).result()
    assert here.wheel_pointers and here.source_dirs and here.version_dirs
    assert _shape(child) == _shape(here)
    assert child.cpu_s > 0  # the child's own, sent with its result


def test_a_child_that_fails_leaves_the_records_to_the_joins(
    deep_cache: DeepCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(deep_cache.cache)

    def broken(*args: object) -> ReadAhead:
        raise MemoryError("in the child")

    monkeypatch.setattr(ahead, "read_ahead", broken)
    listings, sdists, sdist_dirs = _inputs(root)
    assert _shape(ReadAheadChild(root, listings, sdists, sdist_dirs).result()) == ({}, {}, {})
    table = table_for("0.13.9")
    after = load_cache(root, table, workers=2).compute_contents().read_all()
    during = load_cache(root, table, workers=2, read_records=True).compute_contents().read_all()
    assert during.packages == after.packages
    assert during.undecoded == after.undecoded


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[ReadAhead]:
    """Every result taken over from a records child (skips where this process cannot fork:
    the records are then read in a thread)."""
    if threading.active_count() != 1:
        pytest.skip("threads run in this test process: no fork, the records read in a thread")
    results: list[ReadAhead] = []
    result = ReadAheadChild.result

    def recorded(self: ReadAheadChild) -> ReadAhead:
        results.append(result(self))
        return results[-1]

    monkeypatch.setattr(ReadAheadChild, "result", recorded)
    return results


def test_show_reads_the_records_in_a_child(deep_cache: DeepCache, taken: list[ReadAhead]) -> None:
    """From a single-threaded process (the CLI), with the walk on worker processes, the
    records are read in the child, and its result is taken over before `load_cache`
    returns (nothing of it is read later)."""
    model = load_cache(str(deep_cache.cache), table_for("0.13.9"), workers=2, read_records=True)
    assert len(taken) == 1 and taken[0].wheel_pointers
    assert model.contents is not None
    wheels = [w for p in model.contents.read_all().packages.values() for w in p.wheels]
    assert len(taken) == 1 and wheels


def test_the_child_stats_the_metadata_of_wheels_linked_outside(
    rich_cache: RichCache, taken: list[ReadAhead]
) -> None:
    """With a venv installed by hardlink, the `METADATA` links of its wheels are counted
    from the child's `lstat` (taken before `load_cache` returns), not stat'ed in the joins."""
    cache = rich_cache.cache
    model = load_cache(str(cache), table_for("0.13.9"), workers=2, read_records=True)
    [found] = taken
    labels = {a.archive_id: a.label for a in model.archives}
    assert {labels[aid] for aid in found.metadata} >= {"beta-0.5"}
    # The venv's link goes now: the joins still say what the child saw.
    [venv_metadata] = rich_cache.hardlink_venv.glob(
        "lib/*/site-packages/beta-0.5.dist-info/METADATA"
    )
    venv_metadata.unlink()
    assert model.contents is not None
    beta = [w for w in model.contents.read_all().of("beta").wheels if w.current]
    assert [w.links_outside for w in beta] == [1]
    again = load_cache(str(cache), table_for("0.13.9"), workers=2).compute_contents()
    assert [w.links_outside for w in again.of("beta").wheels if w.current] == [0]


def test_a_child_whose_result_nobody_takes_is_stopped_and_waited_for(
    deep_cache: DeepCache,
) -> None:
    root = str(deep_cache.cache)
    child = ReadAheadChild(root, *_inputs(root))
    pid = child._pid
    assert pid > 0
    del child  # e.g. a model built without the prefetch it was started for
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # neither running nor a zombie
