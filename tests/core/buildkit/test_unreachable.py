"""Docker absent, stopped, slow or forbidden: one clear error per builder, never an exception.

These use sockets made here (no engine needed), except where buildx from the test env is
exercised on top.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import dockerenv
from tests.dockerenv import DockerEnv, base_environ
from tests.unprivileged import open_for_others
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.prune import execute_prune, plan_prune

docker_env = dockerenv.docker_env

PROJECT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sock_dir() -> Iterator[Path]:
    """A short, world-traversable directory for sockets (unix paths are limited to 107 bytes)."""
    path = Path(tempfile.mkdtemp(prefix="uvct-sock-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(host: str, config: Path, **extra: str) -> dict[str, str]:
    env = base_environ()
    env.update(DOCKER_HOST=host, DOCKER_CONFIG=str(config), **extra)
    return env


def test_missing_socket(sock_dir: Path, tmp_path: Path) -> None:
    path = sock_dir / "absent.sock"
    report = list_builders(timeout=5, env=_env(f"unix://{path}", tmp_path))
    (builder,) = report.builders
    assert builder.error == f"Docker: not reachable — no socket at {path} (engine not running?)"
    assert not builder.listed and builder.mounts == ()


def test_stopped_engine_leaves_a_dead_socket(sock_dir: Path, tmp_path: Path) -> None:
    path = sock_dir / "dead.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.close()  # the file stays, nobody listens: what a killed dockerd leaves behind
    report = list_builders(timeout=5, env=_env(f"unix://{path}", tmp_path))
    assert report.builders[0].error == (
        f"Docker: not reachable — connection refused by {path} (engine stopped?)"
    )


@pytest.fixture
def silent_socket(sock_dir: Path) -> Iterator[Path]:
    """A socket that accepts connections (backlog) but never answers."""
    path = sock_dir / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(16)
    yield path
    server.close()


def test_engine_that_never_answers(silent_socket: Path, tmp_path: Path) -> None:
    env = _env(f"unix://{silent_socket}", tmp_path)
    report = list_builders(timeout=1, env=env)
    assert report.builders[0].error == (
        f"Docker: not reachable — no answer from {silent_socket} within 1s"
    )
    plan = plan_prune(all_mounts=True, timeout=1, env=env)
    assert plan.error == report.builders[0].error
    assert plan.requests == ()
    assert execute_prune(plan).errors == (plan.error,)


@pytest.mark.docker
def test_never_answers_with_buildx(docker_env: DockerEnv, silent_socket: Path) -> None:
    """buildx hangs on the socket too; its call is killed and the API reports the reason."""
    for engine in docker_env.engines.values():
        env = engine.env(DOCKER_HOST=f"unix://{silent_socket}")
        report = list_builders(timeout=1, env=env)
        assert report.builders[0].error == (
            f"Docker: not reachable — no answer from {silent_socket} within 1s"
        )


def _python_for(user: str) -> str | None:
    """An interpreter `user` can execute that can import this project's dependencies."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, f"/usr/bin/{version}", f"/usr/local/bin/{version}"):
        if not os.path.exists(candidate):
            continue
        probe = subprocess.run(
            [
                "setpriv",
                f"--reuid={user}",
                "--regid=nogroup",
                "--clear-groups",
                candidate,
                "-c",
                "",
            ],
            capture_output=True,
            timeout=30,
        )
        if probe.returncode == 0:
            return candidate
    return None


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to create a root-owned socket")
def test_permission_denied_as_nobody(sock_dir: Path) -> None:
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv not available")
    open_for_others(PROJECT)
    python = _python_for("nobody")
    if python is None:
        pytest.skip("no Python interpreter that `nobody` may run")
    path = sock_dir / "root-only.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(4)
    try:
        os.chown(path, 0, 0)
        path.chmod(0o660)
        config = sock_dir / "config"
        config.mkdir(mode=0o755)
        site = next(p for p in sys.path if p.endswith("site-packages"))
        code = (
            "import sys; sys.path[:0] = sys.argv[1:3]; "
            "from uvcache_tui.cli_buildkit import run; "
            "raise SystemExit(run(['buildkit', 'ls', '--timeout', '5']))"
        )
        env = _env(f"unix://{path}", config, HOME=str(sock_dir))
        result = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            + [python, "-c", code, str(PROJECT), site],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        server.close()
    assert result.returncode == 1, result.stderr
    assert f"Docker: not reachable — permission denied on {path}" in result.stdout
    assert "Traceback" not in result.stderr
