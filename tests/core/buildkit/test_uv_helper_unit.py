"""The uv helper build's text: its Dockerfile, the lines it reads back, its image rules and
which of its records the cleanup removes (no Docker needed; the docker tests run it)."""

from __future__ import annotations

import json

import pytest

from uvcache_tui.core.buildkit.cachekey import CacheKey
from uvcache_tui.core.buildkit.cleanup import helper_records
from uvcache_tui.core.buildkit.helper_build import HelperError
from uvcache_tui.core.buildkit.records import BuildCacheRecord
from uvcache_tui.core.buildkit.uv_helper import (
    DEFAULT_UV_IMAGE,
    UV_IMAGE_ENV,
    UvImageMissing,
    image_failure,
    maintenance_dockerfile,
    marked_lines,
    probe_dockerfile,
    uv_image,
)

ARGV = ["uv", "cache", "clean", "--cache-dir", "/.m/$x", "--verbose", "--", "a"]


def run_argv(dockerfile: str) -> list[str]:
    line = dockerfile.splitlines()[1]
    argv: list[str] = json.loads(line[line.index('["') :])
    return argv


def test_the_maintenance_build_is_locked_literal_and_read_write() -> None:
    key = CacheKey("$x", uid=1000, gid=1000)
    text = maintenance_dockerfile(key, "uv:img", "N1", True, ARGV, {"UV_LOCK_TIMEOUT": "10"})
    first, run = text.splitlines()
    assert first == "FROM uv:img"
    mount = run.split(" ")[1]
    assert mount == ("--mount=type=cache,id=\\$x,uid=1000,gid=1000,target=/.m/\\$x,sharing=locked")
    assert "readonly" not in run and "--no-cache" not in text
    script = run_argv(text)[2]
    assert script.startswith(": uvmaint-N1; unset UV_CACHE_DIR; UV_LOCK_TIMEOUT=10 ")
    # the argv, quoted for sh: `$x` cannot expand, the names stay after `--`
    assert "uv cache clean --cache-dir '/.m/$x' --verbose -- a >/tmp/" in script
    legacy = maintenance_dockerfile(key, "uv:img", "N1", False, ARGV, {})
    assert "id=$x,uid=1000,gid=1000,target=/.m/$x,sharing=locked" in legacy
    assert run_argv(probe_dockerfile("uv:img", "N2"))[2].startswith(": uvmaint-N2; printf")


def test_only_the_helpers_own_marked_lines_are_read() -> None:
    log = "\n".join(
        [
            "#5 [2/2] RUN …UVCT-N1 out not-a-log-line",
            "#5 0.089 UVCT-N1 out Removed 9 files (36.0KiB)",
            "#5 0.090 UVCT-N2 exit 7",
            "#5 0.091 UVCT-N1 out ",
            "#5 0.092 UVCT-N1 exit 0\r",
        ]
    )
    found = marked_lines(log, "N1")
    assert found.all("out") == ["Removed 9 files (36.0KiB)", ""]
    assert found.first("exit") == "0" and found.first("version") is None


def test_the_uv_image_option_then_the_variable_then_the_default() -> None:
    assert uv_image(None, {}) == DEFAULT_UV_IMAGE
    assert uv_image(None, {UV_IMAGE_ENV: "mine:1"}) == "mine:1"
    assert uv_image("opt:2", {UV_IMAGE_ENV: "mine:1"}) == "opt:2"
    for bad in ("a b", "a,b", "-x", 'a"b'):
        with pytest.raises(ValueError, match="not an image reference"):
            uv_image(bad, {})


def test_a_missing_image_names_the_option() -> None:
    stderr = (
        "#2 [internal] load metadata for docker.io/library/nope:1\n"
        "#2 ERROR: pull access denied, repository does not exist\n"
        "ERROR: failed to solve: nope:1: failed to resolve source metadata for "
        "docker.io/library/nope:1: pull access denied, repository does not exist\n"
    )
    missing = image_failure(stderr, "nope:1", 1)
    assert isinstance(missing, UvImageMissing)
    assert "--uv-image" in str(missing) and UV_IMAGE_ENV in str(missing)
    no_shell = image_failure(
        'ERROR: process "/bin/sh -c" did not complete: exec: "/bin/sh": '
        "stat /bin/sh: no such file or directory\n",
        "ghcr.io/x/uv:1",
        1,
    )
    assert isinstance(no_shell, UvImageMissing) and "no /bin/sh" in str(no_shell)
    other = image_failure("ERROR: failed to solve: something else\n", "img:1", 1)
    assert type(other) is HelperError and "something else" in str(other)


def test_an_images_shared_layer_record_is_not_the_helpers_to_prune() -> None:
    records = (
        BuildCacheRecord("layer", "regular", "from local", shared=True),
        BuildCacheRecord("exec", "regular", "mount / from exec : uvmaint-N1", parents=("layer",)),
        BuildCacheRecord("ctx", "source.local", "local source for context"),
    )
    targets, mounts = helper_records(records, set(), "N1", keep_mounts=False)
    assert targets == ["exec", "ctx"] and mounts == []
