"""Which Docker engine a context (and so a docker-driver builder) talks to.

A docker-driver builder is named after its docker context; its records are read through
the Engine API of that context's host, which `docker context inspect` reports. Without a
docker CLI the context store is read directly, so the current engine can still be listed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uvcache_tui.core.proc import CommandNotFound, CommandTimeout, run_command

DEFAULT_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class TLSFiles:
    """Client certificate material for a TCP engine."""

    ca_cert: str | None
    client_cert: str | None
    client_key: str | None
    verify: bool


@dataclass(frozen=True)
class EngineEndpoint:
    """Where a context's engine listens."""

    context: str
    host: str
    tls: TLSFiles | None = None


class ContextError(Exception):
    """A context could not be resolved; the message is meant for the user."""


def docker_config_dir(env: Mapping[str, str]) -> Path:
    """`$DOCKER_CONFIG`, else `~/.docker` of the HOME in `env`."""
    if env.get("DOCKER_CONFIG"):
        return Path(env["DOCKER_CONFIG"])
    home = env.get("HOME") or os.path.expanduser("~")
    return Path(home) / ".docker"


def current_context_name(env: Mapping[str, str]) -> str:
    """The context the docker CLI would use: DOCKER_CONTEXT, DOCKER_HOST, config.json."""
    if env.get("DOCKER_CONTEXT"):
        return env["DOCKER_CONTEXT"]
    if env.get("DOCKER_HOST"):
        return "default"
    try:
        config = json.loads((docker_config_dir(env) / "config.json").read_text())
    except (OSError, ValueError):
        return "default"
    name = config.get("currentContext") if isinstance(config, dict) else None
    return name if isinstance(name, str) and name else "default"


def _default_endpoint(env: Mapping[str, str]) -> EngineEndpoint:
    """The `default` context: DOCKER_HOST (+ DOCKER_TLS_VERIFY/DOCKER_CERT_PATH) or the socket."""
    host = env.get("DOCKER_HOST") or DEFAULT_HOST
    cert_path = env.get("DOCKER_CERT_PATH") or None
    verify_env = env.get("DOCKER_TLS_VERIFY")
    verify = verify_env is not None and verify_env != ""
    if not (cert_path or verify):
        return EngineEndpoint(context="default", host=host)
    base = Path(cert_path) if cert_path else docker_config_dir(env)
    return EngineEndpoint(
        context="default",
        host=host,
        tls=TLSFiles(
            ca_cert=str(base / "ca.pem"),
            client_cert=str(base / "cert.pem"),
            client_key=str(base / "key.pem"),
            verify=verify,
        ),
    )


def _endpoint_from_inspect(name: str, data: Mapping[str, Any]) -> EngineEndpoint:
    """Build an endpoint from one `docker context inspect` object (or a meta.json)."""
    endpoints = data.get("Endpoints") or {}
    docker_ep = endpoints.get("docker") if isinstance(endpoints, Mapping) else None
    if not isinstance(docker_ep, Mapping) or not docker_ep.get("Host"):
        raise ContextError(f'context "{name}" has no docker endpoint')
    host = str(docker_ep["Host"])
    tls: TLSFiles | None = None
    storage = data.get("Storage") or {}
    tls_path = storage.get("TLSPath") if isinstance(storage, Mapping) else None
    material = data.get("TLSMaterial") or {}
    if isinstance(material, Mapping) and material.get("docker") and isinstance(tls_path, str):
        base = Path(tls_path) / "docker"
        files = set(material["docker"])

        def pick(file: str) -> str | None:
            return str(base / file) if file in files else None

        tls = TLSFiles(
            ca_cert=pick("ca.pem"),
            client_cert=pick("cert.pem"),
            client_key=pick("key.pem"),
            verify=not bool(docker_ep.get("SkipTLSVerify")),
        )
    return EngineEndpoint(context=name, host=host, tls=tls)


def parse_context_inspect(name: str, text: str) -> EngineEndpoint:
    """Parse `docker context inspect NAME` output (a JSON list with one object)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ContextError(f"cannot read `docker context inspect {name}`: {exc}") from exc
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        return _endpoint_from_inspect(name, data[0])
    raise ContextError(f"`docker context inspect {name}` returned nothing usable")


def _endpoint_from_store(name: str, env: Mapping[str, str]) -> EngineEndpoint:
    """Read the context store directly (no docker CLI): contexts/meta/<sha256(name)>."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    contexts = docker_config_dir(env) / "contexts"
    meta = contexts / "meta" / digest / "meta.json"
    try:
        data = json.loads(meta.read_text())
    except OSError as exc:
        raise ContextError(f'context "{name}" not found ({meta})') from exc
    except ValueError as exc:
        raise ContextError(f'context "{name}": unreadable {meta}: {exc}') from exc
    tls_dir = contexts / "tls" / digest / "docker"
    if tls_dir.is_dir():
        data = dict(data)
        data["TLSMaterial"] = {"docker": [p.name for p in tls_dir.iterdir()]}
        data["Storage"] = {"TLSPath": str(contexts / "tls" / digest)}
    return _endpoint_from_inspect(name, data)


def resolve_context(
    name: str, env: Mapping[str, str], docker_cli: str | None, timeout: float
) -> EngineEndpoint:
    """Where context `name` points; raises ContextError with a user-facing message."""
    if name == "default":
        return _default_endpoint(env)
    if docker_cli is None:
        return _endpoint_from_store(name, env)
    try:
        result = run_command([docker_cli, "context", "inspect", name], timeout=timeout, env=env)
    except (CommandTimeout, CommandNotFound) as exc:
        raise ContextError(str(exc)) from exc
    if result.returncode != 0:
        message = result.stderr.strip().splitlines()
        raise ContextError(message[-1] if message else f'context "{name}" not found')
    return parse_context_inspect(name, result.stdout)
