"""The rules every command shares (docs/cli.md), checked on `show`/`prune` and `buildkit` side
by side: one exit code for a declined confirmation, one JSON format (indented at a terminal,
compact in a pipe, pure ASCII)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import dockerenv
from tests.cli.test_cli import REPO, cli_env, run_cli, run_cli_with_tty
from tests.conftest import RichCache
from tests.core.buildkit.scenarios import build_one_mount
from tests.core.test_actions import tree_signature
from tests.dockerenv import DockerEnv, Tracker

EXIT_USAGE = 2
DECLINED = "uvcache-tui: declined: nothing was deleted\n"


def unreachable_docker(tmp_path: Path) -> dict[str, str]:
    """Docker pointed at nothing: `buildkit ls --json` still prints its document (exit 1)."""
    env = dockerenv.base_environ()
    env.update(DOCKER_HOST=f"unix://{tmp_path}/none.sock", DOCKER_CONFIG=str(tmp_path))
    return env


def json_commands(cache: Path, tmp_path: Path) -> dict[str, tuple[list[str], dict[str, str]]]:
    return {
        "show": (["show", str(cache), "--json"], dict(os.environ)),
        "buildkit ls": (["buildkit", "ls", "--json"], unreachable_docker(tmp_path)),
    }


def run_with_terminal_stdout(args: list[str], env: dict[str, str]) -> str:
    """The CLI with a pseudo-terminal as stdout, as a person runs it; what it printed there."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvcache_tui", *args],
        cwd=REPO,
        env=cli_env(env),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    output = b""
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(master)
        proc.wait(timeout=300)
    assert proc.returncode in (0, 1), proc.stderr.read() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    return output.decode("ascii").replace("\r\n", "\n")  # the terminal's own line endings


def test_json_is_compact_ascii_in_a_pipe_for_every_command(
    rich_cache_template: RichCache, tmp_path: Path
) -> None:
    for name, (args, env) in json_commands(rich_cache_template.cache, tmp_path).items():
        result = run_cli(*args, env=env)
        assert result.returncode in (0, 1), (name, result.stderr)
        document = json.loads(result.stdout)
        assert result.stdout == json.dumps(document) + "\n", name
        assert result.stdout.isascii(), name


def test_json_is_indented_at_a_terminal_for_every_command(
    rich_cache_template: RichCache, tmp_path: Path
) -> None:
    for name, (args, env) in json_commands(rich_cache_template.cache, tmp_path).items():
        text = run_with_terminal_stdout(args, env)
        document = json.loads(text)
        assert text == json.dumps(document, indent=2) + "\n", name
    assert "Docker: not reachable" in text  # buildkit ls really printed its builders


@pytest.mark.docker
def test_declining_exits_2_in_prune_and_buildkit_prune(
    rich_cache: RichCache, docker_env: DockerEnv, tmp_path: Path
) -> None:
    """Both ask on a terminal; answering `n` is a refusal (exit 2) and nothing is deleted."""
    env = dict(rich_cache.env.env(), UVCACHE_TUI_STATE_DIR=str(tmp_path / "state"))
    signature = tree_signature(rich_cache.cache)
    prune = run_cli_with_tty("prune", str(rich_cache.cache), env=env, answer="n")
    as_json = run_cli_with_tty("prune", str(rich_cache.cache), "--json", env=env, answer="no")
    # With --json stdout is only ever the document: the preview and question went to stderr.
    assert as_json.returncode == EXIT_USAGE and as_json.stdout == ""
    assert "command: " in as_json.stderr and as_json.stderr.endswith("[y/N] " + DECLINED)

    engine = docker_env.modern
    tracker = Tracker(engine=engine, before=engine.record_ids())
    try:
        mount = build_one_mount(tracker, tmp_path / "ctx")
        records = engine.record_ids()
        buildkit = run_cli_with_tty("buildkit", "prune", mount, env=engine.env(), answer="n")
        assert engine.record_ids() == records
    finally:
        tracker.cleanup()

    for result in (prune, buildkit):
        assert result.returncode == EXIT_USAGE, result.stdout + result.stderr
        assert "[y/N] " + DECLINED in result.stderr
    assert mount in buildkit.stdout  # the preview came before the question
    assert "Run `" in prune.stderr and "cache prune" in prune.stdout
    assert tree_signature(rich_cache.cache) == signature
    assert not (tmp_path / "state").exists()  # nothing ran, so nothing was logged


def test_no_terminal_and_no_yes_is_the_same_refusal(
    rich_cache_template: RichCache, tmp_path: Path
) -> None:
    """In a script both refuse before any work, with the same line and nothing on stdout."""
    cache = str(rich_cache_template.cache)
    prune = run_cli("prune", cache, env=dict(os.environ, HOME=str(tmp_path)))
    buildkit = run_cli("buildkit", "prune", "--all-mounts", env=unreachable_docker(tmp_path))
    for result in (prune, buildkit):
        assert result.returncode == EXIT_USAGE
        assert result.stdout == ""
    assert prune.stderr == buildkit.stderr
    assert prune.stderr.startswith("uvcache-tui: refusing to delete without a terminal")
