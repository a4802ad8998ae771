"""Every builder with its cache mounts, or with the error that kept us from reading it.

Builders come from `docker buildx ls`; docker-driver builders are then read through the
Engine API of their context (exact bytes), the others through `docker buildx du`. Without
buildx the current context's engine is still listed. Builders are read in parallel, and
nothing here raises for an unreachable Docker.

Timeouts (see `budget.py`): calls that wait on an engine which has not answered yet share
one budget per listing (`connect_timeout`); calls to an engine that answered get
`timeout` each. The current context's engine is asked first (one cheap `GET /version`): if
it gives no answer, `docker buildx ls`, which would wait on it too, is not run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from uvcache_tui.core.buildkit.budget import (
    DEFAULT_TIMEOUT,
    Budget,
    check_seconds,
    connect_timeout_from_env,
)
from uvcache_tui.core.buildkit.buildx import (
    BuildxBuilder,
    BuildxError,
    Version,
    buildx_du,
    buildx_version,
    list_buildx_builders,
)
from uvcache_tui.core.buildkit.contexts import (
    ContextError,
    EngineEndpoint,
    current_context_name,
    docker_config_dir,
    resolve_context,
)
from uvcache_tui.core.buildkit.engine import EngineError, connect, read_engine
from uvcache_tui.core.buildkit.proc import find_docker_cli
from uvcache_tui.core.buildkit.records import BuilderInfo, BuildkitReport, cache_mounts

DOCKER_DRIVER = "docker"


@dataclass(frozen=True)
class Tools:
    """What is installed and which builder is current, found once per call."""

    env: Mapping[str, str]
    docker_cli: str | None
    buildx: tuple[str, Version] | None
    builders: tuple[BuildxBuilder, ...]
    current: str
    warnings: tuple[str, ...]
    budget: Budget


@dataclass(frozen=True)
class ResolvedBuilder:
    """A listed builder plus what is needed to act on it (prune)."""

    info: BuilderInfo
    tools: Tools
    engine: EngineEndpoint | None


def _buildx_current_file(env: Mapping[str, str], context: str) -> str | None:
    """buildx < 0.24 has no `Current` in JSON: read `$DOCKER_CONFIG/buildx/current`."""
    try:
        data = json.loads((docker_config_dir(env) / "buildx" / "current").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not data.get("Name"):
        return None
    key = str(data.get("Key") or "")
    default_hosts = {env.get("DOCKER_HOST") or "unix:///var/run/docker.sock"}
    if data.get("Global") or key == context or (context == "default" and key in default_hosts):
        return str(data["Name"])
    return None


def _silent_current_engine(
    context: str, env: Mapping[str, str], docker_cli: str | None, timeout: float, budget: Budget
) -> str | None:
    """Ask the current context's engine first; its error if it gave no answer at all.

    Other failures (no socket, refused, not an Engine API answer) come back fast and are
    left to the builder that uses the engine; they are remembered in `budget`.
    """
    try:
        endpoint = resolve_context(context, env, docker_cli, timeout)
    except ContextError:
        return None
    try:
        connect(endpoint, timeout, budget).close()
    except EngineError as exc:
        return str(exc) if exc.timed_out else None
    return None


def discover(env: Mapping[str, str] | None, timeout: float, budget: Budget | None = None) -> Tools:
    """Find docker, buildx and the builders it knows; failures become warnings."""
    environ = dict(os.environ if env is None else env)
    warnings: list[str] = []
    if budget is None:
        seconds, problem = connect_timeout_from_env(environ)
        budget = Budget.start(seconds)
        if problem:
            warnings.append(problem)
    docker_cli = find_docker_cli(environ)
    context = current_context_name(environ)
    bx = buildx_version(docker_cli, environ, timeout) if docker_cli else None
    builders: list[BuildxBuilder] = []
    fallback = " (listing the current engine through its API only)"
    if docker_cli is None:
        warnings.append("docker CLI not found: listing the current engine through its API only")
    elif bx is None:
        warnings.append("docker buildx not found: listing the current engine through its API only")
    else:
        silent = _silent_current_engine(context, environ, docker_cli, timeout, budget)
        if silent is not None:
            warnings.append(
                f"`docker buildx ls` not run: it would wait on the same engine{fallback}"
            )
        elif budget.spent:
            warnings.append(
                f"`docker buildx ls` not run: the {budget.seconds:g}s allowed for engines that "
                f"have not answered is used up{fallback}"
            )
        else:
            try:
                builders = list_buildx_builders(docker_cli, environ, budget.cap(timeout), bx[1])
            except BuildxError as exc:
                warnings.append(f"{exc}{fallback}")
    current = environ.get("BUILDX_BUILDER") or ""
    if not current:
        current = next((b.name for b in builders if b.current), "")
    if not current and builders and all(b.current is None for b in builders):
        current = _buildx_current_file(environ, context) or ""
    return Tools(
        env=environ,
        docker_cli=docker_cli,
        buildx=bx,
        builders=tuple(builders),
        current=current or context,
        warnings=tuple(warnings),
        budget=budget,
    )


def _engine_builder(tools: Tools, base: BuilderInfo, timeout: float) -> ResolvedBuilder:
    """Read a docker-driver builder through its context's Engine API."""
    context = base.context or base.name
    try:
        endpoint = resolve_context(context, tools.env, tools.docker_cli, timeout)
    except ContextError as exc:
        return ResolvedBuilder(replace(base, error=f"Docker: {exc}"), tools, None)
    base = replace(base, host=endpoint.host, source="engine-api")
    try:
        listing = read_engine(endpoint, timeout, tools.budget)
    except EngineError as exc:
        return ResolvedBuilder(replace(base, error=str(exc), status="error"), tools, endpoint)
    info = replace(
        base,
        api_version=listing.api_version,
        engine_version=listing.engine_version,
        status=base.status or "running",
        records=listing.records,
        mounts=cache_mounts(listing.records),
        listed=True,
        error=None,
    )
    return ResolvedBuilder(info, tools, endpoint)


def _buildx_builder(tools: Tools, base: BuilderInfo, timeout: float) -> ResolvedBuilder:
    """Read a non-docker builder through `docker buildx du` (human sizes)."""
    base = replace(base, source="buildx-du")
    if tools.docker_cli is None or tools.buildx is None:
        return ResolvedBuilder(replace(base, error="docker buildx not available"), tools, None)
    if base.status not in (None, "running"):
        if base.error:
            # buildx could not talk to it: its own error is the real reason (e.g. an
            # endpoint answering HTTP 200 with a body that is not JSON)
            message = f"buildx: builder {base.name} is {base.status}: {base.error}"
        else:
            message = (
                f"builder is {base.status}; not started just to list it "
                f"(`docker buildx inspect --bootstrap {base.name}` starts it)"
            )
        return ResolvedBuilder(replace(base, error=message), tools, None)
    try:
        records = buildx_du(tools.docker_cli, tools.env, timeout, base.name, tools.buildx[1])
    except BuildxError as exc:
        return ResolvedBuilder(replace(base, error=str(exc)), tools, None)
    info = replace(
        base, records=tuple(records), mounts=cache_mounts(records), listed=True, error=None
    )
    return ResolvedBuilder(info, tools, None)


def _base_info(tools: Tools, builder: BuildxBuilder) -> BuilderInfo:
    """BuilderInfo from `buildx ls` data, before any records are read.

    An empty driver is buildx's implicit builder of a docker context whose engine it
    could not reach: it is a docker-driver builder named after the context.
    """
    node = builder.nodes[0] if builder.nodes else None
    driver = builder.driver or DOCKER_DRIVER
    errors = [e for e in [builder.error, *(n.error for n in builder.nodes)] if e]
    endpoint = node.endpoint if node and node.endpoint else None
    return BuilderInfo(
        name=builder.name,
        driver=driver,
        endpoint=endpoint or (builder.name if driver == DOCKER_DRIVER else None),
        status=node.status if node else None,
        buildkit_version=node.version if node else None,
        current=builder.name == tools.current,
        error=errors[0] if errors else None,
        context=(endpoint or builder.name) if driver == DOCKER_DRIVER else None,
        gc_policy=tuple(rule for n in builder.nodes for rule in n.gc_policy),
    )


def _read(tools: Tools, base: BuilderInfo, timeout: float) -> ResolvedBuilder:
    if base.driver == DOCKER_DRIVER:
        return _engine_builder(tools, base, timeout)
    return _buildx_builder(tools, base, timeout)


def _bases(tools: Tools, name: str | None) -> list[BuilderInfo]:
    """The builders to read: all, or the one called `name`.

    Without buildx (or if `name` is a context buildx doesn't list), a docker-driver
    builder named after the context is assumed, as buildx itself does.
    """
    bases = [_base_info(tools, b) for b in tools.builders]
    if name is not None:
        bases = [b for b in bases if b.name == name]
    if bases:
        return bases
    fallback = name or tools.current
    if tools.builders and name is not None:
        return [
            BuilderInfo(
                name=name, driver="unknown", current=False, error=f'no builder "{name}" found'
            )
        ]
    return [
        BuilderInfo(
            name=fallback,
            driver=DOCKER_DRIVER,
            endpoint=fallback,
            current=fallback == tools.current,
            context=fallback,
        )
    ]


def _budget(
    connect_timeout: float | None, env: Mapping[str, str] | None
) -> tuple[Budget, str | None]:
    if connect_timeout is not None:
        return Budget.start(connect_timeout), None
    seconds, problem = connect_timeout_from_env(os.environ if env is None else env)
    return Budget.start(seconds), problem


def _discover(
    timeout: float, env: Mapping[str, str] | None, connect_timeout: float | None
) -> Tools:
    check_seconds(timeout, "timeout")
    budget, problem = _budget(connect_timeout, env)
    tools = discover(env, timeout, budget)
    if problem:
        tools = replace(tools, warnings=(problem, *tools.warnings))
    return tools


def list_builders(
    timeout: float = DEFAULT_TIMEOUT,
    builder: str | None = None,
    env: Mapping[str, str] | None = None,
    connect_timeout: float | None = None,
) -> BuildkitReport:
    """List every builder (or just `builder`) with its cache mounts or its error.

    `env` replaces os.environ for the docker CLI and context resolution (DOCKER_HOST,
    DOCKER_CONFIG, DOCKER_CONTEXT, PATH, UVCACHE_TUI_DOCKER_CONNECT_TIMEOUT).
    `connect_timeout` is the budget shared by every call to engines that have not answered
    yet (default: the env variable, else 5 s); `timeout` bounds each call to an engine that
    answered. Never raises for Docker problems (ValueError for invalid timeouts).
    """
    tools = _discover(timeout, env, connect_timeout)
    bases = _bases(tools, builder)
    to_read = [b for b in bases if not (b.driver == "unknown" and b.error)]
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(to_read)))) as pool:
        read = dict(
            zip(
                [b.name for b in to_read],
                pool.map(lambda b: _read(tools, b, timeout).info, to_read),
                strict=True,
            )
        )
    return BuildkitReport(
        builders=tuple(read.get(b.name, b) for b in bases),
        docker_cli=tools.docker_cli,
        buildx_version=tools.buildx[0] if tools.buildx else None,
        warnings=tools.warnings,
    )


def resolve_builder(
    builder: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    env: Mapping[str, str] | None = None,
    connect_timeout: float | None = None,
) -> ResolvedBuilder:
    """One builder (the current one when `builder` is None), read, ready to be acted on."""
    tools = _discover(timeout, env, connect_timeout)
    base = _bases(tools, builder or tools.current)[0]
    if base.driver == "unknown" and base.error:
        return ResolvedBuilder(base, tools, None)
    return _read(tools, base, timeout)


def builders_as_json(report: BuildkitReport) -> list[dict[str, object]]:
    """The `builders` array of `buildkit ls --json`."""
    return [b.to_json() for b in report.builders]
