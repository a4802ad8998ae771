from __future__ import annotations

from uvcache_tui.core.buckets import (
    BucketStatus,
    bucket_family,
    classify_entry,
    parse_version,
    table_for,
)


def test_table_follows_version() -> None:
    assert "wheels-v8" in table_for("uv 0.13.9 (abc 2026-10-01)").names
    assert table_for("0.13.9").exact
    old = table_for("0.6.17")
    assert {"wheels-v5", "sdists-v9", "environments-v2"} <= old.names
    before_python = table_for("0.8.3")
    assert {"wheels-v5", "simple-v16"} <= before_python.names and before_python.exact
    assert "python-v0" in table_for("0.8.4").names - before_python.names
    newer = table_for("0.14.0")
    assert "wheels-v8" in newer.names and not newer.exact
    assert "built-wheels-v3" in table_for("0.3.0").names


def test_unknown_version_uses_newest_row_and_says_so() -> None:
    table = table_for(None)
    assert "wheels-v8" in table.names and not table.exact


def test_an_older_uv_sees_newer_buckets_as_stale() -> None:
    old = table_for("0.10.0")
    assert classify_entry("wheels-v8", True, old) is BucketStatus.STALE
    assert classify_entry("wheels-v6", True, old) is BucketStatus.CURRENT
    assert classify_entry("my-stuff", True, old) is BucketStatus.FOREIGN
    assert classify_entry(".gitignore", False, old) is BucketStatus.SCAFFOLD
    assert classify_entry("notes.txt", False, old) is BucketStatus.FOREIGN


def test_family_parsing() -> None:
    assert bucket_family("built-wheels-v3") == "sdists"
    assert bucket_family("flat-index-v7") == "flat-index"
    assert bucket_family("wheels") is None
    assert parse_version("uv 0.13.9") == (0, 13, 9)
    assert parse_version("garbage") == ()
