"""Prune planning pieces that need no Docker: durations, ages, ID checks, contexts, timeouts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.dockerenv import wait_for
from uvcache_tui.core.buildkit.contexts import (
    current_context_name,
    parse_context_inspect,
    resolve_context,
)
from uvcache_tui.core.buildkit.prune import _check_ids
from uvcache_tui.core.buildkit.records import BuildCacheRecord, BuilderInfo, cache_mounts
from uvcache_tui.core.buildkit.values import go_duration, parse_ago, parse_duration
from uvcache_tui.core.proc import CommandTimeout, run_command

MOUNT_ID = "pxcwhovonyb8roe66dekzkoto"
OTHER_ID = "ojivshs3a7lag1wa8udw7e3l7"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("12h", 43200), ("7d", 604800), ("1h30m", 5400), ("2w", 1209600), ("90s", 90)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "7", "h", "1x", "-1h", "1h junk", "0s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_go_duration_is_plain_seconds() -> None:
    assert go_duration(604800) == "604800s"
    assert go_duration(0.2) == "1s"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("About a minute ago", 60),
        ("2 weeks ago", 1209600),
        ("About an hour ago", 3600),
        ("Less than a second ago", 1),
        ("3 days ago", 259200),
        ("whenever", None),
    ],
)
def test_parse_ago(text: str, seconds: float | None) -> None:
    assert parse_ago(text) == seconds


def _builder() -> BuilderInfo:
    records = (
        BuildCacheRecord(
            id=MOUNT_ID,
            type="exec.cachemount",
            description="cached mount /root/.cache/uv from exec /bin/sh -c uv sync",
        ),
        BuildCacheRecord(id=OTHER_ID, type="regular", description="mount / from exec x"),
    )
    return BuilderInfo(
        name="b", driver="docker", records=records, mounts=cache_mounts(records), listed=True
    )


def test_check_ids_exact_only() -> None:
    found, rejected, by_cache_id = _check_ids(
        [MOUNT_ID, "ovonyb8", OTHER_ID, "doesnotexist", "^.*$", MOUNT_ID + "x"], _builder()
    )
    assert by_cache_id == {}
    assert [m.id for m in found] == [MOUNT_ID]
    reasons = {r.id: r.reason for r in rejected}
    assert reasons == {
        "ovonyb8": "near-miss",
        OTHER_ID: "not-a-cache-mount",
        "doesnotexist": "unknown",
        "^.*$": "invalid",
        MOUNT_ID + "x": "near-miss",
    }
    near = next(r for r in rejected if r.id == "ovonyb8")
    assert near.candidates == (MOUNT_ID,)
    assert "Nothing pruned" in near.message


def test_context_inspect_and_store(tmp_path: Path) -> None:
    inspect = json.dumps(
        [
            {
                "Name": "remote",
                "Endpoints": {"docker": {"Host": "tcp://h:2376", "SkipTLSVerify": False}},
                "TLSMaterial": {"docker": ["ca.pem", "cert.pem", "key.pem"]},
                "Storage": {"TLSPath": "/cfg/contexts/tls/abc"},
            }
        ]
    )
    endpoint = parse_context_inspect("remote", inspect)
    assert endpoint.host == "tcp://h:2376"
    assert (
        endpoint.tls is not None and endpoint.tls.ca_cert == "/cfg/contexts/tls/abc/docker/ca.pem"
    )
    # without a docker CLI the store is read directly
    import hashlib

    meta = tmp_path / "contexts" / "meta" / hashlib.sha256(b"other").hexdigest()
    meta.mkdir(parents=True)
    (meta / "meta.json").write_text(
        json.dumps({"Name": "other", "Endpoints": {"docker": {"Host": "unix:///o.sock"}}})
    )
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "other"}))
    env = {"DOCKER_CONFIG": str(tmp_path), "PATH": ""}
    assert current_context_name(env) == "other"
    assert resolve_context("other", env, None, 5).host == "unix:///o.sock"
    assert current_context_name({**env, "DOCKER_HOST": "unix:///x"}) == "default"
    assert current_context_name({**env, "DOCKER_CONTEXT": "c"}) == "c"
    assert resolve_context("default", {"DOCKER_HOST": "unix:///d.sock"}, None, 5).host == (
        "unix:///d.sock"
    )


def test_timeout_kills_grandchildren(tmp_path: Path) -> None:
    # the grandchild keeps stdout open; without killing the process group this would hang
    pid_file = tmp_path / "pid"
    script = (
        "import subprocess, sys, time; p = subprocess.Popen(['sleep', '600']); "
        f"open({str(pid_file)!r}, 'w').write(str(p.pid)); time.sleep(600)"
    )
    with pytest.raises(CommandTimeout):
        run_command([sys.executable, "-c", script], timeout=2, env={"PATH": "/usr/bin:/bin"})
    grandchild = Path(f"/proc/{pid_file.read_text()}/stat")

    def gone() -> bool:
        return not grandchild.exists() or grandchild.read_text().split(")")[1].split()[0] == "Z"

    wait_for(gone, "the grandchild to be killed", timeout=10)


def _modern_record(
    record_id: str, target: str, cache_id: str, in_use: bool = False
) -> BuildCacheRecord:
    return BuildCacheRecord(
        id=record_id,
        type="exec.cachemount",
        # BuildKit >= 0.12 prints `<namespace>/<id>`: "/uv-cache", "//root/.cache/uv"
        description=f'cached mount {target} from exec /bin/sh -c uv sync with id "/{cache_id}"',
        in_use=in_use,
    )


def test_a_cache_id_names_every_record_of_it() -> None:
    records = (
        _modern_record("aaaa1111", "/root/.cache/uv", "uv-cache"),
        _modern_record("bbbb2222", "/home/app/.cache/uv", "uv-cache"),
        _modern_record("cccc3333", "/root/.cache/uv", "/root/.cache/uv"),
        _modern_record("dddd4444", "/root/.cache/pip", "pip", in_use=True),
    )
    info = BuilderInfo(
        name="b", driver="docker", engine_version="28.5.1", records=records,
        mounts=cache_mounts(records), listed=True,
    )  # fmt: skip
    found, rejected, by_cache_id = _check_ids(
        ["uv-cache", "aaaa1111", "/root/.cache/uv", "pip", "/nope"], info
    )
    assert sorted(m.id for m in found) == ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444"]
    assert len(found) == 4  # a record named twice (by id and by cache id) is sent once
    assert {k: sorted(v) for k, v in by_cache_id.items()} == {
        "uv-cache": ["aaaa1111", "bbbb2222"],
        "/root/.cache/uv": ["cccc3333"],  # an id-less mount's key is its target
        "pip": ["dddd4444"],
    }
    (nope,) = rejected
    assert nope.reason == "invalid" and "nor a cache id" in nope.message


def test_no_cache_ids_on_engine_20_10_says_what_to_do() -> None:
    records = (
        BuildCacheRecord(
            id="eeee5555",
            type="exec.cachemount",
            description="cached mount /root/.cache/uv from exec /bin/sh -c uv sync",
        ),
    )
    info = BuilderInfo(
        name="old", driver="docker", engine_version="20.10.24", records=records,
        mounts=cache_mounts(records), listed=True,
    )  # fmt: skip
    found, rejected, by_cache_id = _check_ids(["/root/.cache/uv", "uv-cache"], info)
    assert found == [] and by_cache_id == {}
    assert [r.reason for r in rejected] == ["invalid", "invalid"]  # as before: not IDs
    by_target, other = rejected
    assert by_target.candidates == ("eeee5555",) and "by record ID" in by_target.message
    assert "does not show cache ids" in other.message and other.candidates == ()
