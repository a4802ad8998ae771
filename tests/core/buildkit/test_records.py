"""Description parsing, classification, flags and value parsing (examples from the reference)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from uvcache_tui.core.buildkit.gc import parse_gc_policy
from uvcache_tui.core.buildkit.records import (
    FLAG_UNEXPANDED,
    FLAG_UNPARSED,
    BuildCacheRecord,
    cache_mounts,
    classify,
    mount_from_record,
    parse_description,
)
from uvcache_tui.core.buildkit.values import go_unquote, parse_human_size, parse_timestamp


def test_legacy_description_has_no_id() -> None:
    parsed = parse_description(
        "cached mount /build/${UV_CACHE_DIR} from exec /bin/sh -c uv sync && ls -la $UV_CACHE_DIR"
    )
    assert parsed is not None
    assert parsed.target == "/build/${UV_CACHE_DIR}"
    assert parsed.command == "/bin/sh -c uv sync && ls -la $UV_CACHE_DIR"
    assert parsed.cache_id is None
    assert parsed.namespace is None


def test_modern_description_with_default_id() -> None:
    parsed = parse_description(
        'cached mount /application/cache/uv from exec /bin/sh -c uv sync with id "//application/cache/uv"'
    )
    assert parsed is not None
    assert parsed.target == "/application/cache/uv"
    assert parsed.command == "/bin/sh -c uv sync"
    assert parsed.cache_id == "/application/cache/uv"
    assert parsed.namespace == ""


@pytest.mark.parametrize(
    ("suffix", "namespace", "cache_id"),
    [
        ('"/uv"', "", "uv"),
        ('"projA//root/.npm"', "projA", "/root/.npm"),
        ('"/with \\"quote\\" and \\\\"', "", 'with "quote" and \\'),
    ],
)
def test_id_namespace_split_on_first_slash(suffix: str, namespace: str, cache_id: str) -> None:
    parsed = parse_description(f"cached mount /c from exec /bin/sh -c true with id {suffix}")
    assert parsed is not None
    assert (parsed.namespace, parsed.cache_id, parsed.command) == (
        namespace,
        cache_id,
        "/bin/sh -c true",
    )


def test_multiline_command() -> None:
    parsed = parse_description('cached mount /c from exec /bin/sh -c a\nb with id "/x"')
    assert parsed is not None
    assert parsed.command == "/bin/sh -c a\nb"
    assert parsed.cache_id == "x"


@pytest.mark.parametrize(
    "description",
    ["mount / from exec /bin/sh -c true", "fileop target", "local source for context", ""],
)
def test_other_descriptions_do_not_parse(description: str) -> None:
    assert parse_description(description) is None


def test_go_unquote() -> None:
    assert go_unquote('"a\\"b"') == 'a"b'
    assert go_unquote('"\\x41\\u00e9\\t"') == "Aé\t"
    assert go_unquote('"plain"') == "plain"


@pytest.mark.parametrize(
    ("target", "cache_id", "command", "kind"),
    [
        ("/root/.cache/uv", "/root/.cache/uv", "/bin/sh -c uv sync", "uv"),
        ("/application/cache/uv", None, "/bin/sh -c true", "uv"),
        ("/build/${UV_CACHE_DIR}", None, "/bin/sh -c true", "uv"),
        ("/cache", "uv", "/bin/sh -c true", "uv"),
        ("/cache", "myproj-uv-cache", "/bin/sh -c true", "uv"),
        ("/cache", None, "/bin/sh -c /usr/local/bin/uv pip install x", "uv"),
        ("/cache", None, "/bin/sh -c pip install uv", "uv"),
        ("/root/.cache/pip", None, "/bin/sh -c uv sync", "pip"),
        ("/root/.cache/pip", "//root/.cache/pip", "/bin/sh -c true", "pip"),
        ("/var/cache/apt", None, "/bin/sh -c apt-get update", "apt"),
        ("/var/lib/apt/lists", None, "/bin/sh -c true", "apt"),
        ("/root/.npm", None, "/bin/sh -c npm ci", "npm"),
        ("/root/.cache/go-build", None, "/bin/sh -c go build ./...", "go"),
        ("/go/pkg/mod", None, "/bin/sh -c true", "go"),
        ("/usr/local/cargo/registry", None, "/bin/sh -c cargo build", "cargo"),
        ("/cache", None, "/bin/sh -c pip3 install -r r.txt", "pip"),
        ("/cache", None, "/bin/sh -c apt-get install -y x && npm ci", "other"),
        ("/cache", None, "/bin/sh -c uvicorn --help", "other"),
        ("/data", None, "/bin/sh -c make", "other"),
        (None, None, None, "other"),
    ],
)
def test_classify(target: str | None, cache_id: str | None, command: str | None, kind: str) -> None:
    assert classify(target, cache_id, command) == kind


def test_unexpanded_variable_flag_and_unparsed() -> None:
    legacy = mount_from_record(
        BuildCacheRecord(
            id="3gde7kz459tr6w1mrmrd1yhrf",
            type="exec.cachemount",
            description="cached mount /build/${UV_CACHE_DIR} from exec /bin/sh -c uv sync",
        )
    )
    assert legacy.flags == (FLAG_UNEXPANDED,)
    assert legacy.kind == "uv"
    odd = mount_from_record(BuildCacheRecord(id="x", type="exec.cachemount", description="?"))
    assert odd.flags == (FLAG_UNPARSED,)
    assert odd.target is None and odd.kind == "other"


def test_cache_mounts_filters_type_and_sorts_recent_first() -> None:
    old = datetime(2026, 1, 1, tzinfo=timezone.utc)
    new = datetime(2026, 2, 1, tzinfo=timezone.utc)
    records = [
        BuildCacheRecord(id="a", type="regular", description="mount / from exec x"),
        BuildCacheRecord(
            id="b",
            type="exec.cachemount",
            description="cached mount /c from exec x",
            last_used_at=old,
        ),
        BuildCacheRecord(
            id="c",
            type="exec.cachemount",
            description="cached mount /d from exec x",
            last_used_at=new,
        ),
    ]
    assert [m.id for m in cache_mounts(records)] == ["c", "b"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("382kB", 382_000),
        ("0B", 0),
        ("793.7kB*", 793_700),
        ("829.9MB", 829_900_000),
        ("1.5MiB", 1_572_864),
        ("2GB", 2_000_000_000),
        ("12", 12),
        ("bogus", None),
    ],
)
def test_parse_human_size(text: str, value: int | None) -> None:
    assert parse_human_size(text) == value


def test_parse_timestamps() -> None:
    expected = datetime(2026, 11, 29, 7, 22, 23, 72163, tzinfo=timezone.utc)
    assert parse_timestamp("2026-11-29T07:22:23.072163557Z") == expected
    assert parse_timestamp("2026-11-29 07:22:23.072163557 +0000 UTC") == expected
    assert parse_timestamp("2026-11-29 08:22:23.072163557 +0100 CET") == expected
    assert parse_timestamp("2026-11-29 07:22:23.072163557 +0000 UTC m=+0.5") == expected
    assert parse_timestamp("0001-01-01T00:00:00Z") is None
    assert parse_timestamp("About a minute ago") is None
    assert parse_timestamp(None) is None


def test_gc_policy_from_buildx_ls() -> None:
    rules = parse_gc_policy(
        [
            {
                "all": False,
                "filter": ["type==source.local,type==exec.cachemount,type==source.git.checkout"],
                "keepDuration": 172800000000000,
                "maxUsedSpace": 3_600_000_000,
            },
            {"all": True, "reservedSpace": 26_000_000_000},
        ]
    )
    assert rules[0].keep_duration_seconds == 172800
    assert rules[0].filters == (
        "type==source.local,type==exec.cachemount,type==source.git.checkout",
    )
    assert rules[0].max_used_space == 3_600_000_000
    assert rules[0].never_matches and not rules[1].never_matches
    assert rules[1].all and rules[1].reserved_space == 26_000_000_000
    assert parse_gc_policy(None) == ()
