"""Engine API shapes per version, prune-call safety and error wording (no Docker needed)."""

from __future__ import annotations

import pytest
import requests

from uvcache_tui.core.buildkit.engine import (
    check_filters,
    describe_exception,
    describe_prune_call,
    parse_system_df,
    record_from_api,
)

LEGACY_ITEM = {
    "ID": "3gde7kz459tr6w1mrmrd1yhrf",
    "Parent": "",
    "Type": "exec.cachemount",
    "Description": "cached mount /build/${UV_CACHE_DIR} from exec /bin/sh -c uv sync",
    "InUse": False,
    "Shared": False,
    "Size": 0,
    "CreatedAt": "2026-11-29T07:22:23.072163557Z",
    "LastUsedAt": "2026-11-29T07:22:25.368877507Z",
    "UsageCount": 2,
}


def test_api_141_record() -> None:
    record = record_from_api(LEGACY_ITEM)
    assert record.id == "3gde7kz459tr6w1mrmrd1yhrf"
    assert record.parents == ()
    assert record.size_bytes == 0 and record.size_exact
    assert record.usage_count == 2
    assert record.in_use is False
    assert record.last_used_at is not None and record.last_used_at.second == 25


def test_parent_shapes() -> None:
    assert record_from_api({"ID": "a", "Parent": "x26td"}).parents == ("x26td",)
    assert record_from_api({"ID": "a", " Parents": ["lbdi"]}).parents == ("lbdi",)
    assert record_from_api({"ID": "a", "Parents": ["p1", "p2"]}).parents == ("p1", "p2")
    assert record_from_api({"ID": "a"}).parents == ()


def test_system_df_legacy_and_usage_shapes() -> None:
    legacy = parse_system_df({"BuildCache": [LEGACY_ITEM], "BuilderSize": 955528})
    assert legacy is not None and [r.id for r in legacy] == [LEGACY_ITEM["ID"]]
    usage = parse_system_df(
        {"BuildCacheUsage": {"ActiveCount": 0, "TotalCount": 1, "Items": [LEGACY_ITEM]}}
    )
    assert usage is not None and usage[0].type == "exec.cachemount"
    # API >= 1.52 without verbose=1: a summary but no items -> ask again
    assert parse_system_df({"BuildCacheUsage": {"TotalCount": 1}}) is None
    assert parse_system_df({"Images": []}) is None


def test_prune_call_is_anchored_and_single_valued() -> None:
    call = describe_prune_call("1.41", {"id": "^abc$", "type": "exec.cachemount"}, False)
    assert call == 'POST /v1.41/build/prune?filters={"id":["^abc$"],"type":["exec.cachemount"]}'


@pytest.mark.parametrize("key", ["label", "label!", "dangling"])
def test_forbidden_filters(key: str) -> None:
    with pytest.raises(ValueError):
        check_filters({key: "x"})


def test_multi_value_filters_refused() -> None:
    with pytest.raises(ValueError):
        check_filters({"id": ["a", "b"]})  # type: ignore[dict-item]


def test_error_wording() -> None:
    sock = "unix:///run/x.sock"
    missing = requests.exceptions.ConnectionError(
        OSError("Connection aborted."), FileNotFoundError(2, "No such file or directory")
    )
    assert describe_exception(missing, sock, 5) == "no socket at /run/x.sock (engine not running?)"
    wrapped = RuntimeError("Error while fetching server API version")
    wrapped.__cause__ = PermissionError(13, "Permission denied")
    assert describe_exception(wrapped, sock, 5).startswith("permission denied on /run/x.sock")
    timeout = requests.exceptions.ReadTimeout("read timed out")
    assert describe_exception(timeout, sock, 2.5) == "no answer from /run/x.sock within 2.5s"
    refused = ConnectionRefusedError(111, "Connection refused")
    assert "connection refused" in describe_exception(refused, "tcp://h:2375", 5)
