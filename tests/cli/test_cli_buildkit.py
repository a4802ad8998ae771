"""`uvcache-tui buildkit ls|prune` end to end, as a subprocess, against real engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import dockerenv
from tests.cli.test_cli import REPO, run_cli, run_cli_with_tty
from tests.core.buildkit.scenarios import build_16180, build_mounts, build_one_mount
from tests.dockerenv import DockerEnv, Engine, Tracker

MOUNT_KEYS = {
    "id",
    "target",
    "cache_id",
    "command",
    "kind",
    "size_bytes",
    "size_exact",
    "created_at",
    "last_used_at",
    "usage_count",
    "in_use",
    "shared",
    "flags",
}
BUILDER_KEYS = {"name", "driver", "endpoint", "status", "buildkit_version", "error", "mounts"}


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`uvcache-tui buildkit …` through the shipped entry, in a fresh interpreter (its own
    environment, no TTY)."""
    return run_cli("buildkit", *args, env=env)


def cli_with_tty(*args: str, env: dict[str, str], answer: str) -> subprocess.CompletedProcess[str]:
    """Run with a pseudo-terminal on stdin and type `answer` at the prompt."""
    return run_cli_with_tty("buildkit", *args, env=env, answer=answer)


def ls_json(env: dict[str, str]) -> dict[str, Any]:
    result = cli("ls", "--json", env=env)
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def one_line_usage_error(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 2, nothing on stdout, one `uvcache-tui: …` line on stderr (no traceback)."""
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("uvcache-tui: ")
    return lines[0]


def nowhere(tmp_path: Path) -> dict[str, str]:
    """Docker pointed at nothing: a usage error must come before any Docker call anyway."""
    env = dockerenv.base_environ()
    env.update(DOCKER_HOST=f"unix://{tmp_path}/none.sock", DOCKER_CONFIG=str(tmp_path))
    return env


def test_usage_errors(tmp_path: Path) -> None:
    env = nowhere(tmp_path)
    for args in (
        ["prune"],
        ["prune", "abc", "--all-mounts"],
        ["prune", "--unused-for", "soon"],
        ["prune", "--unused-for", "0s"],
        ["prune", "--unused-for", "9" * 400 + "w", "--dry-run"],
        ["prune", "--all-mounts", "--bogus"],
        ["ls", "--bogus"],
    ):
        one_line_usage_error(cli(*args, env=env))


BAD_SECONDS = ["nan", "inf", "-inf", "1e308", "0", "-1", "3601", "abc", ""]


@pytest.mark.parametrize("value", BAD_SECONDS)
def test_bad_timeouts_are_one_line_errors(tmp_path: Path, value: str) -> None:
    env = nowhere(tmp_path)
    for command in (["ls"], ["prune", "--all-mounts", "--dry-run"]):
        for option in ("--timeout", "--connect-timeout"):
            line = one_line_usage_error(cli(*command, f"{option}={value}", env=env))
            assert f"argument {option}: must be a number of seconds" in line
            assert "at most 3600" in line
    if value in ("-1", "0"):  # also as a separate argument (negative numbers are values)
        one_line_usage_error(cli("ls", "--timeout", value, env=env))
    bad_env = dict(env, UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT=value or " x")
    line = one_line_usage_error(cli("ls", env=bad_env))
    assert "UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT" in line


def test_good_timeouts_are_accepted(tmp_path: Path) -> None:
    env = nowhere(tmp_path)
    result = cli("ls", "--timeout", "3600", "--connect-timeout", "0.5", env=env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no socket at" in result.stdout


@pytest.mark.docker
def test_ls_json_16180(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    token, _ = build_16180(tracked, tmp_path / "ctx")
    data = ls_json(engine.env())
    (builder,) = data["builders"]
    assert set(builder) >= BUILDER_KEYS
    assert builder["error"] is None and builder["driver"] == "docker"
    (mount,) = [m for m in builder["mounts"] if token in m["command"]]
    assert set(mount) >= MOUNT_KEYS
    assert mount["kind"] == "uv"
    assert mount["size_exact"] is True and isinstance(mount["size_bytes"], int)
    if engine.legacy:
        assert mount["target"] == "/build/${UV_CACHE_DIR}"
        assert mount["flags"] == ["unexpanded-variable"]
    else:
        assert mount["target"] == "/application/cache/uv"
        assert mount["cache_id"] == "/application/cache/uv"
        assert mount["flags"] == []
    text = cli("ls", env=engine.env())
    assert text.returncode == 0
    assert mount["id"] in text.stdout
    assert "as last computed by BuildKit — often stale for cache mounts" in text.stdout
    assert ("unexpanded variable" in text.stdout) == engine.legacy
    if not engine.legacy:  # Engine 28's default GC policy: the same limits on three rules
        (gc_line,) = [line for line in text.stdout.splitlines() if "GC policy:" in line]
        assert gc_line.count("reserved ") == 1, gc_line
        assert gc_line.endswith(", for 3 rules: unused 2 months, then any age, then all")


@pytest.mark.docker
def test_ls_multi_context_and_builder_filter(docker_env: DockerEnv) -> None:
    data = ls_json(docker_env.multi_env())
    names = {b["name"]: b for b in data["builders"]}
    for eng in docker_env.engines.values():
        assert names[eng.context]["error"] is None
        assert names[eng.context]["endpoint"] == eng.context
    result = cli("ls", "--json", "--builder", docker_env.legacy.context, env=docker_env.multi_env())
    assert [b["name"] for b in json.loads(result.stdout)["builders"]] == [docker_env.legacy.context]


def test_ls_unreachable_exit_code(tmp_path: Path) -> None:
    env = dockerenv.base_environ()
    env.update(DOCKER_HOST=f"unix://{tmp_path}/none.sock", DOCKER_CONFIG=str(tmp_path))
    result = cli("ls", env=env)
    assert result.returncode == 1
    assert f"Docker: not reachable — no socket at {tmp_path}/none.sock" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.docker
def test_prune_refuses_without_tty_or_yes(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    result = cli("prune", mounts.pip.id, env=engine.env())
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--yes" in result.stderr
    assert result.stdout == ""
    assert engine.record_ids() == before


@pytest.mark.docker
def test_prune_dry_run_json_then_yes(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    preview = cli("prune", mounts.pip.id, "--dry-run", "--json", env=engine.env())
    assert preview.returncode == 0, preview.stderr
    data = json.loads(preview.stdout)
    assert data["dry_run"] is True and data["result"] is None
    plan = data["plan"]
    assert [(i["id"], i["action"]) for i in plan["items"]] == [(mounts.pip.id, "delete")]
    (request,) = plan["requests"]
    assert request["filters"] == {"id": [f"^{mounts.pip.id}$"], "type": ["exec.cachemount"]}
    assert request["call"].startswith(f"POST /v{engine.api_version}/build/prune?filters=")
    assert engine.record_ids() == before

    done = cli("prune", mounts.pip.id, "--yes", "--json", env=engine.env())
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["deleted"] == [mounts.pip.id]
    assert result["not_deleted"] == [] and result["errors"] == []
    assert engine.record_ids() == before - {mounts.pip.id}


@pytest.mark.docker
def test_prune_unknown_and_near_miss_ids(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    near = mounts.apt.id[:10]
    result = cli("prune", near, "nosuchrecordid0000000000", "--yes", env=engine.env())
    assert result.returncode == 1
    assert f"{near} is not a record ID, but part of {mounts.apt.id}" in result.stdout
    assert "no record nosuchrecordid0000000000" in result.stdout
    assert "Nothing to prune." in result.stdout
    assert engine.record_ids() == before


@pytest.mark.docker
def test_prune_confirmation_on_a_tty(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    before = engine.record_ids()
    declined = cli_with_tty("prune", mounts.own.id, env=engine.env(), answer="n")
    assert declined.returncode == 2  # refused, as in `prune` (docs/cli.md)
    assert "[y/N]" in declined.stderr
    # the prompt, then (after the answer, echoed by the terminal) the one-line refusal
    assert declined.stderr.endswith("[y/N] uvcache-tui: declined: nothing was deleted\n")
    assert mounts.own.id in declined.stdout  # the preview was shown
    assert engine.record_ids() == before
    accepted = cli_with_tty("prune", mounts.own.id, env=engine.env(), answer="y")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert f"deleted {mounts.own.id}" in accepted.stdout
    assert engine.record_ids() == before - {mounts.own.id}


@pytest.mark.docker
def test_prune_all_mounts_dry_run_text(docker_env: DockerEnv, tmp_path: Path) -> None:
    engine: Engine = docker_env.modern
    tracker = Tracker(engine=engine, before=engine.record_ids())
    try:
        mounts = build_mounts(tracker, tmp_path / "ctx")
        result = cli("prune", "--all-mounts", "--dry-run", env=engine.env())
        assert result.returncode == 0
        assert "Will delete" in result.stdout
        assert mounts.pip.id in result.stdout
        # the preview shows every request: one per record, anchored, nothing broader
        assert f'{{"id":["^{mounts.pip.id}$"],"type":["exec.cachemount"]}}' in result.stdout
        assert '{"type":["exec.cachemount"]}' not in result.stdout
        assert "one per record, each naming it with an anchored ^ID$ filter" in result.stdout
        assert "created after this preview are not named" in result.stdout
        result = cli("prune", "--unused-for", "1000d", "--dry-run", "--json", env=engine.env())
        plan = json.loads(result.stdout)["plan"]
        assert plan["unused_for_seconds"] == 1000 * 86400
        assert {i["action"] for i in plan["items"] if i["id"] in mounts.ids} == {"keep"}
    finally:
        tracker.cleanup()


@pytest.mark.docker
def test_all_mounts_confirmed_after_a_new_build(tracked: Tracker, tmp_path: Path) -> None:
    """`prune --all-mounts` shows its preview and asks; a build creates a new cache mount
    while the question is open; `y`: exactly the previewed mounts go, the new one stays and
    is reported, and nothing else changes (records and images snapshotted)."""
    engine = tracked.engine
    mounts = build_mounts(tracked, tmp_path / "ctx")
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvcache_tui", "buildkit", "prune", "--all-mounts", "--json"],
            cwd=REPO,
            env=engine.env(),
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        os.close(slave)
        assert proc.stderr is not None
        asked = b""
        while b"[y/N]" not in asked:  # the preview goes to stderr with --json, then the prompt
            chunk = os.read(proc.stderr.fileno(), 65536)
            assert chunk, f"no prompt; stderr so far: {asked.decode()}"
            asked += chunk
        preview = asked.decode()
        late = build_one_mount(tracked, tmp_path / "late")
        assert late not in preview and mounts.pip.id in preview
        records_before = {r["ID"] for r in engine.records()}
        api = engine.client()
        images_before = {i["Id"] for i in api.images(all=True)}
        os.write(master, b"y\n")
        out, err = proc.communicate(timeout=300)
    finally:
        os.close(master)
    assert proc.returncode == 0, err.decode()
    data = json.loads(out)
    planned = [i["id"] for i in data["plan"]["items"] if i["action"] == "delete"]
    assert mounts.ids <= set(planned) and late not in planned
    for request in data["plan"]["requests"]:
        assert request["call"] in preview  # the preview showed every request sent
    result = data["result"]
    assert sorted(result["deleted"]) == sorted(planned)
    assert late in result["appeared"] and result["unexpected"] == []
    assert {r["ID"] for r in engine.records()} == records_before - set(planned)
    assert {i["Id"] for i in api.images(all=True)} == images_before
    api.close()
