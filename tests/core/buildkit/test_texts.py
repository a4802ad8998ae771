"""The words both front ends print about mounts, prune plans and results (core/buildkit/texts)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from uvcache_tui.core.buildkit.prune import MODE_ALL, PlanItem, PrunePlan, PruneResult
from uvcache_tui.core.buildkit.records import SIZE_NOTE, BuildCacheRecord, BuilderInfo, cache_mounts
from uvcache_tui.core.buildkit.texts import (
    describe_deletion,
    describe_prune_result,
    distinct_cache_id,
    last_used,
    mount_size,
    mount_target,
    total_size,
)

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def _record(index: int, **fields: object) -> BuildCacheRecord:
    return BuildCacheRecord(
        id=f"mount{index:020d}",
        type="exec.cachemount",
        description=f"cached mount /cache/{index} from exec /bin/sh -c true",
        **fields,  # type: ignore[arg-type]
    )


def _builder(source: str, *records: BuildCacheRecord) -> BuilderInfo:
    return BuilderInfo(
        name="b",
        driver="docker",
        source=source,
        records=records,
        mounts=cache_mounts(records),
        listed=True,
    )


def _plan(builder: BuilderInfo, keep: tuple[str, ...] = ()) -> PrunePlan:
    items = tuple(
        PlanItem(mount, "keep", "in use") if mount.id in keep else PlanItem(mount, "delete")
        for mount in builder.mounts
    )
    return PrunePlan(builder=builder, mode=MODE_ALL, items=items, requests=())


def test_sizes_are_marked_approximate_only_when_parsed_back() -> None:
    exact = _builder("engine-api", _record(1, size_bytes=2048), _record(2, size_bytes=1024))
    parsed = _builder("buildx-du", _record(3, size_bytes=2048, size_exact=False))
    unparsed = _record(4, size_bytes=None, size_text="lots")
    assert total_size(exact) == "3.0 KiB"
    assert total_size(parsed) == "~2.0 KiB"
    assert [mount_size(m) for m in parsed.mounts] == ["~2.0 KiB"]
    assert mount_size(cache_mounts((unparsed,))[0]) == "lots"
    assert describe_deletion(_plan(exact, keep=(_record(1).id,))) == (
        f"Will delete 1 cache mount, 1.0 KiB {SIZE_NOTE}."
    )
    assert describe_deletion(_plan(parsed)) == f"Will delete 1 cache mount, ~2.0 KiB {SIZE_NOTE}."


def test_last_used_falls_back_to_buildx_text() -> None:
    used = _record(1, last_used_at=NOW - timedelta(minutes=3))
    told = _record(2, last_used_text="About a minute ago")
    never = _record(3)
    texts = {m.id: last_used(m, NOW) for m in cache_mounts((used, told, never))}
    assert texts == {used.id: "3 minutes ago", told.id: "About a minute ago", never.id: "-"}


def test_prune_result_caps_only_the_deleted_list() -> None:
    plan = _plan(_builder("engine-api", _record(1)))
    deleted = tuple(f"d{i}" for i in range(12))
    result = PruneResult(
        plan=plan,
        deleted=deleted,
        space_reclaimed=4096,
        not_deleted=("n1",),
        appeared=("a1", "a2"),
        errors=("boom",),
    )
    full = describe_prune_result(result)
    assert full[0] == "Deleted 12 records, 4.0 KiB reclaimed as reported by BuildKit."
    assert full[1:13] == [f"deleted d{i}" for i in range(12)]
    assert full[13:] == [
        "NOT deleted (still in use or gone?): n1",
        "left alone (appeared after the preview, not requested): a1",
        "left alone (appeared after the preview, not requested): a2",
        "error: boom",
    ]
    capped = describe_prune_result(result, deleted_shown=10)
    assert capped[1:12] == [f"deleted d{i}" for i in range(10)] + ["… and 2 more"]
    assert capped[12:] == full[13:]
    assert describe_prune_result(PruneResult(plan=plan))[0] == "Deleted 0 records."


def test_cache_id_is_said_when_the_target_does_not_say_it() -> None:
    """BuildKit prints `with id "<id>"` from 0.12 on; the id defaults to the target."""
    described = BuildCacheRecord(
        id="m" * 25,
        type="exec.cachemount",
        description='cached mount /root/.cache/uv from exec /bin/sh -c true with id "//uv-py311"',
    )
    default_id = BuildCacheRecord(
        id="n" * 25,
        type="exec.cachemount",
        description="cached mount /root/.cache/uv from exec /bin/sh -c true with id "
        '"//root/.cache/uv"',
    )
    by_id = {mount.id: mount for mount in cache_mounts((described, default_id))}
    own, same = by_id[described.id], by_id[default_id.id]
    assert own.target == same.target == "/root/.cache/uv"
    assert distinct_cache_id(own) == own.cache_id and own.cache_id is not None
    assert mount_target(own) == f"/root/.cache/uv id={own.cache_id}"
    assert same.cache_id == same.target and distinct_cache_id(same) is None
    assert mount_target(same) == "/root/.cache/uv"
    unparsed = cache_mounts((_record(1),))[0]  # no id printed (BuildKit < 0.12)
    assert unparsed.cache_id is None and mount_target(unparsed) == "/cache/1"
