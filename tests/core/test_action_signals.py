"""Signals to uvcache-tui while uv runs: uv (in its own process group) is stopped and waited
for, the audit log gets its final line, and nothing changes after the tool has exited."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.core.test_actions import all_paths, tree_signature
from tests.uvcache_factory import UvEnv, hold_cache_lock, make_wheel


def uv_pids_for(cache: Path) -> list[int]:
    """Live `uv cache …` processes working on `cache` (zombies count as gone)."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        ours = b"cache" in cmdline and os.fsencode(str(cache)) in cmdline
        if state != "Z" and ours and any(arg in (b"prune", b"clean") for arg in cmdline):
            found.append(int(entry))
    return found


def audit_lines(state: Path) -> list[dict[str, object]]:
    log = state / "audit.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def wait_for(condition, what: str, limit: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.05)


def start_tool(env: UvEnv, state: Path, *args: str) -> subprocess.Popen[str]:
    tool_env = env.env()
    tool_env["UVCACHE_TUI_STATE_DIR"] = str(state)
    return subprocess.Popen(
        [sys.executable, "-m", "uvcache_tui", *args],
        env=tool_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def waiting_env(tmp_path: Path) -> UvEnv:
    env = UvEnv(tmp_path)
    make_wheel(env.links, "alpha", "1.0")
    env.install(env.venv("v"), "alpha")
    (env.cache / "junk-dir").mkdir()
    (env.cache / "junk-dir" / "f").write_text("x")
    return env


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_stops_uv_and_is_logged(waiting_env: UvEnv, tmp_path: Path, sig: int) -> None:
    """uv waits for a lock another process holds; the signal must end it, not orphan it."""
    env = waiting_env
    holder = hold_cache_lock(env)
    state = tmp_path / "state"
    try:
        before = tree_signature(env.cache)
        tool = start_tool(
            env, state, "prune", str(env.cache), "--yes", "--wait", "--lock-timeout", "120"
        )
        wait_for(lambda: uv_pids_for(env.cache), "uv to start")
        uv_pids = uv_pids_for(env.cache)
        assert [line["status"] for line in audit_lines(state)] == ["started"]
        tool.send_signal(sig)
        _out, err = tool.communicate(timeout=60)
        assert tool.returncode == 130, err
        assert "Traceback" not in err
        assert not any(
            os.path.exists(f"/proc/{pid}") and pid in uv_pids_for(env.cache) for pid in uv_pids
        )
        statuses = [line["status"] for line in audit_lines(state)]
        assert statuses == ["started", "interrupted"]
        assert audit_lines(state)[-1]["removed_paths"] == 0
        assert tree_signature(env.cache) == before
    finally:
        holder.terminate()
        holder.wait(10)


def test_killed_tool_takes_uv_with_it(waiting_env: UvEnv, tmp_path: Path) -> None:
    """SIGKILL leaves no chance to clean up: the kernel's parent-death signal stops uv."""
    env = waiting_env
    holder = hold_cache_lock(env)
    state = tmp_path / "state"
    try:
        tool = start_tool(
            env, state, "prune", str(env.cache), "--yes", "--wait", "--lock-timeout", "120"
        )
        wait_for(lambda: uv_pids_for(env.cache), "uv to start")
        tool.kill()
        tool.communicate(timeout=60)
        wait_for(lambda: not uv_pids_for(env.cache), "uv to die with its parent", 20)
        assert [line["status"] for line in audit_lines(state)] == ["started"]
        assert (env.cache / "junk-dir" / "f").exists()
    finally:
        holder.terminate()
        holder.wait(10)


def test_nothing_changes_after_an_interrupted_prune(tmp_path: Path) -> None:
    """A prune deleting many files gets SIGTERM: once the tool has exited the cache stays
    as it is, and the audit line counts exactly what went."""
    env = UvEnv(tmp_path)
    make_wheel(env.links, "alpha", "1.0")
    env.install(env.venv("v"), "alpha")
    stale = env.cache / "wheels-v5"
    stale.mkdir()
    for index in range(400):
        directory = stale / f"d{index:03}"
        directory.mkdir()
        seed = directory / "seed"
        seed.write_text("x")
        for number in range(250):
            os.link(seed, directory / f"f{number}")
    state = tmp_path / "state"
    before = all_paths(env.cache)
    tool = start_tool(env, state, "prune", str(env.cache), "--yes")
    wait_for(lambda: uv_pids_for(env.cache) or tool.poll() is not None, "uv to start")
    time.sleep(0.05)
    tool.send_signal(signal.SIGTERM)
    _out, err = tool.communicate(timeout=120)
    assert tool.returncode in (0, 130), err
    assert not uv_pids_for(env.cache)
    after = all_paths(env.cache)
    time.sleep(1.0)
    assert all_paths(env.cache) == after
    final = audit_lines(state)[-1]
    assert final["status"] == ("interrupted" if tool.returncode == 130 else "done")
    assert final["removed_paths"] == len(before - after)
