"""Docker absent, stopped, slow or forbidden: one clear error per builder, never an exception.

These use sockets made here (no engine needed), except where buildx from the test env is
exercised on top.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dockerenv import DockerEnv, base_environ
from tests.unprivileged import open_for_others
from uvcache_tui.core.buildkit.budget import CONNECT_TIMEOUT_ENV as ENV_NAME
from uvcache_tui.core.buildkit.budget import Budget
from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.contexts import EngineEndpoint
from uvcache_tui.core.buildkit.engine import EngineError, connect
from uvcache_tui.core.buildkit.prune import execute_prune, plan_prune

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
            "from uvcache_tui.cli import main; "
            "raise SystemExit(main(['buildkit', 'ls', '--timeout', '5']))"
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


# --- one budget for engines that do not answer; the real error of one that lies -----------


class FakeEndpoint:
    """A unix-socket HTTP endpoint that models a broken engine (no Docker behaviour faked):
    `silent` accepts connections and never answers; `garbage` answers every request with
    HTTP 200 and a body that is not JSON. Counts the connections it accepted."""

    def __init__(self, path: Path, mode: str) -> None:
        self.path = path
        self.mode = mode
        self.accepted = 0
        self._open: list[socket.socket] = []
        self._answers: list[threading.Thread] = []
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(path))
        self._server.listen(64)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            self.accepted += 1
            if self.mode == "silent":
                self._open.append(conn)  # held open, never answered
                continue
            self._open.append(conn)
            answer = threading.Thread(target=self._answer, args=(conn,), daemon=True)
            self._answers.append(answer)
            answer.start()

    @staticmethod
    def _answer(conn: socket.socket) -> None:
        body = b"hello world, this is not an engine"
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        pending = b""
        try:
            # One answer per request (a request may arrive in several chunks; GETs and
            # HEADs carry no body), so a keep-alive client never reads half an answer.
            while chunk := conn.recv(65536):
                pending += chunk
                while b"\r\n\r\n" in pending:
                    request, pending = pending.split(b"\r\n\r\n", 1)
                    conn.sendall(FakeEndpoint.answer_to(request, head, body))
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def answer_to(request: bytes, head: bytes, body: bytes) -> bytes:
        """The answer to one request. An answer to HEAD has no body (RFC 9110 §9.3.2): the
        docker CLI pings with HEAD, and a body sent there stays on the keep-alive connection,
        where the client reads the next answer's status line from it ("malformed HTTP status
        code") instead of meeting the body that is not JSON."""
        return head if request.startswith(b"HEAD ") else head + body

    def close(self) -> None:
        """Stop every thread: a thread left behind makes later tests see a threaded process
        (the parallel scanner then refuses to fork)."""
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._server.close()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._thread.join(10)
        for answer in self._answers:
            answer.join(10)


@pytest.fixture
def silent_endpoint(sock_dir: Path) -> Iterator[FakeEndpoint]:
    endpoint = FakeEndpoint(sock_dir / "silent-http.sock", "silent")
    yield endpoint
    endpoint.close()


@pytest.fixture
def garbage_endpoint(sock_dir: Path) -> Iterator[FakeEndpoint]:
    endpoint = FakeEndpoint(sock_dir / "garbage-http.sock", "garbage")
    yield endpoint
    endpoint.close()


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uvcache_tui", "buildkit", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_budget_caps_every_wait() -> None:
    """The computed deadline: a call to an engine that has not answered waits at most what
    is left of the budget, whatever the per-call timeout."""
    budget = Budget.start(2.5)
    assert budget.seconds == 2.5 and budget.deadline is None  # starts with the first wait
    assert budget.cap(30.0) <= 2.5 and budget.cap(1.0) == 1.0
    assert budget.deadline is not None and budget.deadline - time.monotonic() <= 2.5
    spent = Budget(seconds=2.5, deadline=time.monotonic() - 1)
    assert spent.spent and spent.cap(30.0) == 0.0
    for bad in (float("nan"), float("inf"), 0.0, -1.0, 1e308):
        with pytest.raises(ValueError):
            Budget.start(bad)


def test_spent_budget_asks_nobody(silent_endpoint: FakeEndpoint) -> None:
    """Once the budget is used up, an engine that has not answered is not asked at all."""
    spent = Budget(seconds=1.5, deadline=time.monotonic() - 1)
    endpoint = EngineEndpoint(context="t", host=f"unix://{silent_endpoint.path}")
    with pytest.raises(EngineError) as caught:
        connect(endpoint, 30.0, spent)
    assert "not asked: the 1.5s allowed for engines that have not answered" in str(caught.value)
    assert silent_endpoint.accepted == 0


def test_silent_engine_costs_one_budget_without_cli(
    silent_endpoint: FakeEndpoint, tmp_path: Path
) -> None:
    env = _env(f"unix://{silent_endpoint.path}", tmp_path, PATH=os.defpath)
    report = list_builders(timeout=30, connect_timeout=1.5, env=env)
    (builder,) = report.builders
    assert builder.error == (
        f"Docker: not reachable — no answer from {silent_endpoint.path} within 1.5s"
    )
    assert silent_endpoint.accepted == 1  # one wait, not one per call


@pytest.mark.docker
def test_silent_engine_costs_one_budget_with_buildx(
    docker_env: DockerEnv, silent_endpoint: FakeEndpoint
) -> None:
    """With the docker CLI and buildx: `buildx ls` would wait on the same engine, so it is
    not run; the budget (not `--timeout`) bounds the one wait; CLI, JSON and env agree."""
    for engine in docker_env.engines.values():
        silent_endpoint.accepted = 0
        env = engine.env(DOCKER_HOST=f"unix://{silent_endpoint.path}")
        report = list_builders(timeout=30, connect_timeout=1.5, env=env)
        expected = f"Docker: not reachable — no answer from {silent_endpoint.path} within 1.5s"
        assert report.builders[0].error == expected
        assert any("`docker buildx ls` not run" in w for w in report.warnings)
        assert silent_endpoint.accepted == 1

        silent_endpoint.accepted = 0
        text = cli("ls", "--timeout", "30", "--connect-timeout", "1.5", env=env)
        assert text.returncode == 1 and "Traceback" not in text.stderr
        assert expected in text.stdout
        result = cli("ls", "--json", "--timeout", "30", env=dict(env, **{ENV_NAME: "1.5"}))
        assert result.returncode == 1, result.stderr
        assert json.loads(result.stdout)["builders"][0]["error"] == expected
        assert silent_endpoint.accepted == 2  # one per command


def test_garbage_answer_without_cli(garbage_endpoint: FakeEndpoint, tmp_path: Path) -> None:
    """HTTP 200 with a body that is not JSON: the error says so and shows the body."""
    env = _env(f"unix://{garbage_endpoint.path}", tmp_path, PATH=os.defpath)
    report = list_builders(timeout=5, env=env)
    error = report.builders[0].error or ""
    assert f"{garbage_endpoint.path} answered, but not as a Docker Engine does" in error
    assert "'hello world, this is not an engine'" in error
    result = cli("ls", "--json", env=env)
    assert json.loads(result.stdout)["builders"][0]["error"] == error


@pytest.mark.docker
def test_garbage_answer_keeps_buildx_error(
    docker_env: DockerEnv, garbage_endpoint: FakeEndpoint
) -> None:
    """buildx lists the builder with status "error" and its own reason: that reason is
    shown (it used to become "builder is error; not started just to list it")."""
    for engine in docker_env.engines.values():
        env = engine.env(DOCKER_HOST=f"unix://{garbage_endpoint.path}")
        real = "invalid character 'h' looking for beginning of value"
        report = list_builders(timeout=10, env=env)
        (builder,) = report.builders
        assert builder.error is not None and real in builder.error
        assert "not started" not in builder.error
        text = cli("ls", env=env)
        assert text.returncode == 1 and "Traceback" not in text.stderr
        assert real in text.stdout and "not started" not in text.stdout
        data = json.loads(cli("ls", "--json", env=env).stdout)
        assert real in data["builders"][0]["error"]
