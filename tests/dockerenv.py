"""Real Docker engines for tests (provisioned by scripts/test-docker.sh; no mocks).

The env file (default $UVCT_DOCKER_RUN/env, i.e. /tmp/uvcache-tui-docker/env, overridable with UVCACHE_TUI_DOCKER_ENV)
holds `export KEY=VALUE` lines. When it is missing or an engine does not answer, docker
tests are skipped, unless UVCACHE_TUI_REQUIRE_DOCKER=1, which turns that into a failure.

The fixtures `docker_env` (session: DockerEnv), `engine` (parametrised: modern, legacy) and
`tracked` (an engine plus cleanup) are registered for every test by tests/conftest.py.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import pytest

DEFAULT_ENV_FILE = "/tmp/uvcache-tui-docker/env"
ROLES = ("modern", "legacy")
BUILD_TIMEOUT = 300.0


def env_file() -> Path:
    """Where the provisioning script wrote the engines' coordinates."""
    explicit = os.environ.get("UVCACHE_TUI_DOCKER_ENV")
    if explicit:
        return Path(explicit)
    run_dir = os.environ.get("UVCT_DOCKER_RUN")
    return Path(run_dir) / "env" if run_dir else Path(DEFAULT_ENV_FILE)


def unavailable(reason: str) -> None:
    """Skip, or fail when UVCACHE_TUI_REQUIRE_DOCKER=1 (CI must not silently skip)."""
    if os.environ.get("UVCACHE_TUI_REQUIRE_DOCKER") == "1":
        pytest.fail(f"Docker required but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def read_env_file(path: Path) -> dict[str, str]:
    """Parse `export KEY=VALUE` lines (values may be shell-quoted)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, sep, value = line.partition("=")
        if sep:
            parsed = shlex.split(value)
            values[key.strip()] = parsed[0] if parsed else ""
    return values


def base_environ() -> dict[str, str]:
    """os.environ without anything that would point docker elsewhere."""
    env = dict(os.environ)
    for key in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "BUILDX_BUILDER"):
        env.pop(key, None)
    env.pop("DOCKER_TLS_VERIFY", None)
    env.pop("DOCKER_CERT_PATH", None)
    return env


@dataclass
class Engine:
    """One test engine: its socket, its DOCKER_CONFIG (with the matching buildx), images."""

    role: str
    host: str
    docker_config: str
    context: str
    api_version: str
    docker_bin: str
    base_image: str
    busybox_image: str

    def env(self, **extra: str) -> dict[str, str]:
        """Environment for the docker CLI and for `list_builders(env=...)`."""
        env = base_environ()
        env["DOCKER_HOST"] = self.host
        env["DOCKER_CONFIG"] = self.docker_config
        bin_dir = str(Path(self.docker_bin).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", os.defpath)
        env.update(extra)
        return env

    @property
    def legacy(self) -> bool:
        return self.role == "legacy"

    def docker(
        self,
        *args: str,
        check: bool = True,
        timeout: float = BUILD_TIMEOUT,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run the docker CLI against this engine."""
        result = subprocess.run(
            [self.docker_bin, *args],
            env=dict(env) if env is not None else self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def build(
        self, context_dir: Path, tag: str | None = None, build_args: Mapping[str, str] = {}
    ) -> subprocess.CompletedProcess[str]:
        """`docker build --network none` (BuildKit through buildx's docker driver)."""
        args = ["build", "--network", "none", "--progress", "plain"]
        for key, value in build_args.items():
            args += ["--build-arg", f"{key}={value}"]
        if tag:
            args += ["-t", tag]
        return self.docker(*args, str(context_dir), env=self.env(DOCKER_BUILDKIT="1"))

    def client(self, timeout: float = 30.0) -> docker.APIClient:
        """docker-py client, API version negotiated."""
        return docker.APIClient(base_url=self.host, version="auto", timeout=timeout)

    def records(self) -> list[dict[str, Any]]:
        """Raw build-cache records from the Engine API (independent of the code under test)."""
        api = self.client()
        try:
            if tuple(int(p) for p in str(api.api_version).split(".")) >= (1, 42):
                response = api._get(api._url("/system/df"), params={"type": "build-cache"})
                data = api._result(response, True)
            else:
                data = api.df()
        finally:
            api.close()
        return list(data.get("BuildCache") or [])

    def record_ids(self) -> set[str]:
        return {r["ID"] for r in self.records()}

    def prune_ids(self, ids: Sequence[str]) -> set[str]:
        """Delete records by anchored ID, repeating while parents become free."""
        remaining = set(ids)
        deleted: set[str] = set()
        api = self.client()
        try:
            for _ in range(6):
                progress = False
                for record_id in sorted(remaining - deleted):
                    result = api.prune_builds(filters={"id": f"^{record_id}$"})
                    gone = set(result.get("CachesDeleted") or [])
                    if gone:
                        progress = True
                        deleted |= gone
                if not progress:
                    break
        finally:
            api.close()
        return deleted


@dataclass
class DockerEnv:
    """Both engines plus the multi-context config."""

    values: dict[str, str]
    engines: dict[str, Engine] = field(default_factory=dict)

    @property
    def modern(self) -> Engine:
        return self.engines["modern"]

    @property
    def legacy(self) -> Engine:
        return self.engines["legacy"]

    def multi_env(self, **extra: str) -> dict[str, str]:
        """Both engines as contexts `uvct-modern`/`uvct-legacy` (current: modern)."""
        env = base_environ()
        env["DOCKER_CONFIG"] = self.values["UVCT_MULTI_DOCKER_CONFIG"]
        bin_dir = str(Path(self.values["UVCT_DOCKER_BIN"]).parent)
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", os.defpath)
        env.update(extra)
        return env


def _engine_answers(host: str) -> str | None:
    """None when the engine answers /_ping within 5 s, else the reason."""
    try:
        api = docker.APIClient(base_url=host, version="auto", timeout=5)
        try:
            api.ping()
        finally:
            api.close()
    except Exception as exc:
        return f"engine at {host} does not answer: {exc}"
    return None


def load_docker_env() -> DockerEnv:
    """Read the env file and check both engines; skip/fail via `unavailable()`."""
    path = env_file()
    if not path.is_file():
        unavailable(f"no Docker test env file at {path} (run scripts/test-docker.sh start)")
    values = read_env_file(path)
    required = [
        f"UVCT_{role.upper()}_{key}"
        for role in ROLES
        for key in ("HOST", "DOCKER_CONFIG", "CONTEXT")
    ] + ["UVCT_MULTI_DOCKER_CONFIG", "UVCT_BASE_IMAGE", "UVCT_BUSYBOX_IMAGE", "UVCT_DOCKER_BIN"]
    missing = [key for key in required if not values.get(key)]
    if missing:
        unavailable(f"{path} lacks {', '.join(missing)}")
    env = DockerEnv(values=values)
    for role in ROLES:
        prefix = f"UVCT_{role.upper()}_"
        host = values[prefix + "HOST"]
        reason = _engine_answers(host)
        if reason:
            unavailable(f"{role}: {reason}")
        env.engines[role] = Engine(
            role=role,
            host=host,
            docker_config=values[prefix + "DOCKER_CONFIG"],
            context=values[prefix + "CONTEXT"],
            api_version=values.get(prefix + "API_VERSION", ""),
            docker_bin=values["UVCT_DOCKER_BIN"],
            base_image=values["UVCT_BASE_IMAGE"],
            busybox_image=values["UVCT_BUSYBOX_IMAGE"],
        )
    return env


@pytest.fixture(scope="session")
def docker_env() -> DockerEnv:
    """Both real engines; skips (or fails with UVCACHE_TUI_REQUIRE_DOCKER=1) without them."""
    return load_docker_env()


@pytest.fixture(params=ROLES)
def engine(request: pytest.FixtureRequest, docker_env: DockerEnv) -> Engine:
    """Each test runs once per engine: modern (28.5, API 1.51) and legacy (20.10, API 1.41)."""
    return docker_env.engines[str(request.param)]


def token() -> str:
    """A unique marker for cache ids, commands and tags, so tests never see each other."""
    return "uvct" + uuid.uuid4().hex[:12]


@dataclass
class Tracker:
    """Remembers what a test created on an engine and removes it afterwards."""

    engine: Engine
    before: set[str]
    images: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        for image in self.images:
            self.engine.docker("image", "rm", "-f", image, check=False)
        created = self.engine.record_ids() - self.before
        self.engine.prune_ids(sorted(created))


@pytest.fixture
def tracked(engine: Engine) -> Iterator[Tracker]:
    """An engine plus cleanup of every record created during the test (pruned by ID)."""
    tracker = Tracker(engine=engine, before=engine.record_ids())
    yield tracker
    tracker.cleanup()


def wait_for(predicate: Any, what: str, timeout: float = 60.0, interval: float = 0.3) -> Any:
    """Poll until `predicate()` is truthy (a precondition, not a timed assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g}s")
        time.sleep(interval)
