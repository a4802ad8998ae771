"""Hostile input and broken output: every failure is one line on stderr and a documented exit
code (docs/cli.md), never a traceback, and nothing in the cache changes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import REPO, run_cli
from tests.unprivileged import open_for_others
from tests.uvcache_factory import UvEnv, make_wheel, uv_binary
from uvcache_tui.core.uvbin import parse_uv_version

EXIT_USAGE = 2
EXIT_OUTPUT_ERROR = 74
EXIT_BROKEN_PIPE = 141


def snapshot(root: Path) -> list[tuple[bytes, int]]:
    """Every path under `root` (as bytes) with its size: what 'nothing changed' compares."""
    found: list[tuple[bytes, int]] = []
    for directory, dirs, files in os.walk(os.fsencode(root)):
        for name in dirs + files:
            path = os.path.join(directory, name)
            found.append((path, os.lstat(path).st_size))
    return sorted(found)


def small_cache(base: Path) -> UvEnv:
    """A real cache written by uv: two wheels installed into a venv, so prune has work."""
    env = UvEnv(base)
    make_wheel(env.links, "alpha", "1.0")
    make_wheel(env.links, "beta", "2.0")
    env.install(env.venv("venv"), "alpha", "beta")
    # A foreign dir: `uv cache prune` deletes it, so a prune that ran shows in the snapshot.
    (env.cache / "not-uv").mkdir()
    (env.cache / "not-uv" / "data").write_text("x" * 5000)
    return env


@pytest.fixture()
def cache(tmp_path: Path) -> Iterator[Path]:
    env = small_cache(tmp_path / "env")
    before = snapshot(env.cache)
    yield env.cache
    assert snapshot(env.cache) == before, "the cache changed"


def assert_one_line_error(result: subprocess.CompletedProcess[Any], code: int) -> str:
    stderr = result.stderr if isinstance(result.stderr, str) else result.stderr.decode()
    assert result.returncode == code, (result.returncode, stderr)
    assert not result.stdout
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("uvcache-tui: "), stderr
    return lines[0]


def run_raw(
    *args: str, extra_env: dict[str, str] | None = None, **kwargs: Any
) -> subprocess.CompletedProcess[bytes]:
    """The CLI with stdout wired by the caller (a closed pipe, /dev/full); bytes out."""
    env = dict(os.environ, **(extra_env or {}))
    env["PATH"] = os.path.dirname(uv_binary()) + os.pathsep + env.get("PATH", "")
    return subprocess.run(
        [sys.executable, "-m", "uvcache_tui", *args],
        cwd=REPO,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        **kwargs,
    )


# --- `--uv` must be uv ------------------------------------------------------------------------


def test_parse_uv_version() -> None:
    assert parse_uv_version("uv 0.13.9 (x86_64-unknown-linux-gnu)\n") == "0.13.9"
    assert parse_uv_version("uv 0.9.0+3 (abc 2025-01-01)") == "0.9.0+3"
    assert parse_uv_version("uv 0.5.0") == "0.5.0"
    for garbage in ["", "hello", "uv", "uv version 1", "pip 24.0", "uv 1.2", "xuv 0.1.0"]:
        assert parse_uv_version(garbage) is None, garbage


FAKE_UVS = {
    "garbage": "#!/bin/sh\necho 'hello, I am not uv'\nexit 0\n",
    "failing": "#!/bin/sh\necho 'no such thing' >&2\nexit 3\n",
    # Hangs, through a child that keeps the output pipes open: the timeout must kill both.
    "hanging": '#!/bin/sh\nsleep 600 &\necho $! > "$0.child"\nwait\n',
}


@pytest.mark.parametrize("kind", sorted(FAKE_UVS))
def test_uv_that_is_not_uv_is_refused(kind: str, tmp_path: Path, cache: Path) -> None:
    fake = tmp_path / kind
    fake.write_text(FAKE_UVS[kind])
    fake.chmod(0o755)
    result = run_cli("--uv", str(fake), "prune", str(cache), "--yes", "--json")
    line = assert_one_line_error(result, EXIT_USAGE)
    assert str(fake) in line
    if kind == "hanging":
        assert "did not answer" in line
        child = int((tmp_path / "hanging.child").read_text())
        try:
            state = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            state = "gone"
        assert state in ("gone", "Z"), "the hung uv's child was left running"
    if kind == "garbage":
        ls = run_cli("--uv", str(fake), "ls", "--no-docker", "--json")
        assert_one_line_error(ls, EXIT_USAGE)


def test_real_uv_given_with_uv_is_accepted(cache: Path) -> None:
    result = run_cli("--uv", uv_binary(), "prune", str(cache), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["uv_version"] == parse_uv_version(
        subprocess.run([uv_binary(), "--version"], capture_output=True, text=True).stdout
    )


# --- bad values: one line, exit 2 -------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["show", "--bogus"],
        ["nope"],
        ["--uv"],
        ["prune", "--lock-timeout", "abc"],
        ["prune", "--lock-timeout", "1e3"],
        ["prune", "--lock-timeout", "nan"],
        ["clean", "--package"],
        ["buildkit", "--bogus"],
    ],
)
def test_argparse_errors_are_one_line(argv: list[str]) -> None:
    line = assert_one_line_error(run_cli(*argv), EXIT_USAGE)
    assert line.endswith("--help)"), line


@pytest.mark.parametrize("bad", ["99999999999999999999", "-1", "86401"])
def test_lock_timeout_out_of_range_is_refused(bad: str, cache: Path) -> None:
    result = run_cli("prune", str(cache), "--yes", "--json", "--lock-timeout", bad)
    line = assert_one_line_error(result, EXIT_USAGE)
    assert "--lock-timeout" in line and "86400" in line


@pytest.mark.parametrize("good", ["0", "86400"])
def test_lock_timeout_bounds_are_accepted(good: str, cache: Path) -> None:
    result = run_cli("prune", str(cache), "--dry-run", "--json", "--lock-timeout", good)
    assert result.returncode == 0, result.stderr
    assert f"UV_LOCK_TIMEOUT={good} " in json.loads(result.stdout)["command"]


# --- output failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["show", "--json"], ["show"], ["--help"]])
def test_broken_pipe_exits_141_silently(argv: list[str], cache: Path) -> None:
    """`… | head -c1`, made deterministic: the reader is gone before anything is written."""
    args = [argv[0], str(cache), *argv[1:]] if argv[0] == "show" else argv
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = run_raw(*args, stdout=write_end)
    finally:
        os.close(write_end)
    assert result.returncode == EXIT_BROKEN_PIPE, result.stderr.decode()
    assert result.stderr == b""


def test_head_c1_in_a_shell(cache: Path) -> None:
    """The way a person meets it; whether uv's output fits the pipe first is up to timing,
    so either ending is right — a traceback or another code is not."""
    command = f'"{sys.executable}" -m uvcache_tui show "{cache}" --json | head -c1'
    result = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {command}"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.stdout == "{"
    assert result.returncode in (0, EXIT_BROKEN_PIPE), result.stderr
    assert result.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("argv", [["show", "--json"], ["show"], ["ls"], ["--version"]])
def test_full_disk_is_one_line_exit_74(argv: list[str], cache: Path) -> None:
    args = [*argv, str(cache)] if argv[0] == "show" else argv
    if argv == ["ls"]:
        args = ["ls", "--no-docker"]
    with open("/dev/full", "wb") as full:
        result = run_raw(*args, stdout=full)
    line = assert_one_line_error(result, EXIT_OUTPUT_ERROR)
    assert "No space left on device" in line


def test_closed_stdout_refuses_before_anything_runs(cache: Path) -> None:
    """`>&-`: a real prune would delete without anyone seeing the result; nothing runs."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(uv_binary()) + os.pathsep + env["PATH"]
    result = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", sys.executable, "-m", "uvcache_tui"]
        + ["prune", str(cache), "--yes", "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    line = assert_one_line_error(result, EXIT_OUTPUT_ERROR)
    assert "stdout is closed" in line


# --- non-UTF-8 names ---------------------------------------------------------------------------

NON_UTF8_CACHE = b"cache-\xfc"


def non_utf8_cache(tmp_path: Path) -> Path:
    """A real cache whose own path and some entries are not UTF-8, plus an unreadable dir.

    uv cannot build or make venvs under a non-UTF-8 path, so wheels only, venv outside."""
    env = UvEnv(tmp_path / "env")
    env.cache = tmp_path / os.fsdecode(NON_UTF8_CACHE)
    make_wheel(env.links, "alpha", "1.0")
    make_wheel(env.links, "beta", "2.0")
    env.install(env.venv("venv"), "alpha", "beta")
    foreign = env.cache / os.fsdecode(b"foreign-\xff")
    foreign.mkdir()
    (foreign / os.fsdecode(b"file-\xfe")).write_text("x")
    (env.cache / os.fsdecode(b"stray-\xfd.txt")).write_text("y")
    locked = env.cache / os.fsdecode(b"locked-\xfb")
    locked.mkdir()
    (locked / "secret").write_text("s")
    return env.cache


def show_json_as_someone_else(cache: Path, tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """`show --json` as a user who cannot read `locked-\\xfb` (root reads everything)."""
    locked = cache / os.fsdecode(b"locked-\xfb")
    env = dict(os.environ, HOME=str(tmp_path))
    env["PATH"] = os.path.dirname(uv_binary()) + os.pathsep + env["PATH"]
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv not available")
        os.chmod(locked, 0o700)
        open_for_others(cache)
        open_for_others(REPO)
        prefix = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    else:
        os.chmod(locked, 0)
    try:
        result = subprocess.run(
            [*prefix, sys.executable, "-m", "uvcache_tui", "show", str(cache), "--json"],
            capture_output=True,
            cwd=REPO,
            env=env,
            timeout=120,
        )
    finally:
        os.chmod(locked, 0o755)
    assert result.returncode == 0, result.stderr.decode()
    text = result.stdout.decode("ascii")  # non-ASCII only ever appears as \u escapes
    return text, json.loads(text)


def on_disk(cache: Path, path: str) -> bool:
    """Does the JSON string name a real path? Decoded the documented way (os.fsencode)."""
    raw = os.fsencode(path)
    full = raw if raw.startswith(b"/") else os.path.join(os.fsencode(cache), raw)
    return os.path.lexists(full)


def test_json_paths_round_trip_to_the_bytes_on_disk(tmp_path: Path) -> None:
    cache = non_utf8_cache(tmp_path)
    text, document = show_json_as_someone_else(cache, tmp_path)
    assert "\\udcfc" in text and "\\udcff" in text  # the documented encoding
    assert os.fsencode(document["path"]) == os.fsencode(cache)
    paths = [document["path"]]
    paths += [bucket["name"] for bucket in document["buckets"]]
    paths += [d for package in document["packages"] for d in package["dirs"]]
    paths += [r for archive in document["archives"] for r in archive["referrers"]]
    paths += ["archive-v0/" + archive["id"] for archive in document["archives"]]
    paths += document["environments"]
    missing = [path for path in paths if not on_disk(cache, path)]
    assert not missing
    names = {os.fsencode(bucket["name"]) for bucket in document["buckets"]}
    assert {b"foreign-\xff", b"stray-\xfd.txt", b"locked-\xfb"} <= names
    kinds = {problem["kind"] for problem in document["problems"]}
    assert {"non-utf8-name", "permission-denied"} <= kinds


def test_problem_paths_round_trip_to_the_bytes_on_disk(tmp_path: Path) -> None:
    cache = non_utf8_cache(tmp_path)
    _text, document = show_json_as_someone_else(cache, tmp_path)
    problems = document["problems"]
    assert problems
    assert [p["path"] for p in problems if not on_disk(cache, p["path"])] == []


def test_show_text_prints_non_utf8_names_as_their_bytes(tmp_path: Path) -> None:
    cache = non_utf8_cache(tmp_path)
    # A strict stdout, as in a UTF-8 locale other than C.UTF-8 (which is lenient already).
    strict = {"PYTHONIOENCODING": "utf-8:strict"}
    result = run_raw("show", str(cache), stdout=subprocess.PIPE, extra_env=strict)
    assert result.returncode == 0, result.stderr.decode()
    assert b"foreign-\xff" in result.stdout and b"stray-\xfd.txt" in result.stdout
    assert os.fsencode(cache) in result.stdout
