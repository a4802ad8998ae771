"""Docker-driver builders through the Engine API (docker-py): exact bytes, no buildx needed.

`GET /system/df` has changed shape over API versions: `Parent` (< 1.42) vs the literal
`" Parents"` key (>= 1.42), and `BuildCache` vs `BuildCacheUsage.Items` (>= 1.52). All of
them are read here, and every failure becomes an `EngineError` with a user-facing message.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from uvcache_tui.core.buildkit.budget import Budget
from uvcache_tui.core.buildkit.contexts import EngineEndpoint

if TYPE_CHECKING:
    # docker-py (and requests) take ~0.25 s to import: loaded only when an engine is used.
    import docker
from uvcache_tui.core.buildkit.records import BuildCacheRecord, not_reachable
from uvcache_tui.core.buildkit.values import optional_int, parse_bool, parse_timestamp

FORBIDDEN_FILTER_KEYS = frozenset({"label", "label!", "dangling"})


class EngineError(Exception):
    """Talking to an engine failed; `str()` is the message to show.

    `timed_out` is True when the engine gave no answer at all (as opposed to refusing,
    being absent, or answering something that is not the Engine API).
    """

    def __init__(self, message: str, timed_out: bool = False) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True)
class EngineListing:
    """All build-cache records of one engine, with the versions that produced them."""

    records: tuple[BuildCacheRecord, ...]
    api_version: str
    engine_version: str | None


@dataclass(frozen=True)
class PruneResponse:
    """What one `POST /build/prune` (or `buildx prune`) reported as deleted."""

    deleted: tuple[str, ...]
    space_reclaimed: int | None


# --- errors ----------------------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (cause, context, urllib3 `reason`, args)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nested in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(nested, BaseException):
                stack.append(nested)
        stack.extend(arg for arg in current.args if isinstance(arg, BaseException))


def _socket_path(host: str) -> str | None:
    return host[len("unix://") :] if host.startswith("unix://") else None


def is_timeout(exc: BaseException) -> bool:
    """True when `exc` (or what it wraps) is a connect or read timeout."""
    import requests.exceptions

    for cause in _causes(exc):
        if isinstance(cause, (socket.timeout, TimeoutError, requests.exceptions.Timeout)):
            return True
        if type(cause).__name__ in ("ReadTimeoutError", "ConnectTimeoutError"):
            return True
    return False


def _body_excerpt(text: str, limit: int = 60) -> str:
    one_line = " ".join(text.split())
    return repr(one_line[:limit] + ("…" if len(one_line) > limit else ""))


def describe_exception(exc: BaseException, host: str, timeout: float) -> str:
    """A short reason for a failed connection: missing socket, refused, denied, timeout,
    or an answer that is not the Engine API's (HTTP 200 with a body that is not JSON)."""
    path = _socket_path(host)
    where = path or host
    for cause in _causes(exc):
        if isinstance(cause, PermissionError):
            return (
                f"permission denied on {where} (is your user in the docker group, "
                "or does the socket belong to another user?)"
            )
        if isinstance(cause, FileNotFoundError):
            return f"no socket at {where} (engine not running?)"
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused by {where} (engine stopped?)"
    if is_timeout(exc):
        return f"no answer from {where} within {timeout:g}s"
    for cause in _causes(exc):
        doc = getattr(cause, "doc", None)
        if isinstance(cause, ValueError) and isinstance(doc, str):
            return (
                f"{where} answered, but not as a Docker Engine does: the body is not JSON "
                f"({cause}; it starts with {_body_excerpt(doc)})"
            )
    text = str(exc).strip().splitlines()
    return f"{where}: {text[0] if text else type(exc).__name__}"


def _api_error(what: str, exc: docker.errors.APIError) -> EngineError:
    explanation = exc.explanation if exc.explanation else str(exc)
    return EngineError(f"Docker: {what} failed — {explanation}")


# --- connecting ------------------------------------------------------------------------


def connect(
    endpoint: EngineEndpoint, timeout: float, budget: Budget | None = None
) -> docker.APIClient:
    """Open an API client for `endpoint`, negotiating the API version (one GET /version).

    With a `budget`, that first call waits at most what is left of it (the engine has not
    answered yet), an engine that already failed in this listing is not asked again, and
    a failure is remembered. Once connected, the client's calls use `timeout`.
    """
    import docker
    import docker.tls

    where = _socket_path(endpoint.host) or endpoint.host
    wait = timeout
    if budget is not None:
        failure = budget.failure(endpoint.host)
        if failure is not None:
            raise EngineError(failure[0], timed_out=failure[1])
        if budget.spent:
            message = not_reachable(
                f"{where} not asked: the {budget.seconds:g}s allowed for engines that have "
                "not answered was used up by earlier calls"
            )
            budget.remember(endpoint.host, message, True)
            raise EngineError(message, timed_out=True)
        wait = budget.cap(timeout)

    tls: docker.tls.TLSConfig | bool = False
    if endpoint.tls is not None:
        cert = (
            (endpoint.tls.client_cert, endpoint.tls.client_key)
            if endpoint.tls.client_cert and endpoint.tls.client_key
            else None
        )
        tls = docker.tls.TLSConfig(
            client_cert=cert,
            ca_cert=endpoint.tls.ca_cert,
            verify=endpoint.tls.verify,
        )
    try:
        client = docker.APIClient(
            base_url=endpoint.host,
            version="auto",
            timeout=wait,
            tls=tls,
            use_ssh_client=endpoint.host.startswith("ssh://"),
        )
    except Exception as exc:  # docker-py wraps everything in DockerException
        message = not_reachable(describe_exception(exc, endpoint.host, wait))
        timed_out = is_timeout(exc)
        if budget is not None:
            budget.remember(endpoint.host, message, timed_out)
        raise EngineError(message, timed_out=timed_out) from exc
    client.timeout = timeout  # it answered: later calls get the per-call timeout
    return client


def api_version(client: docker.APIClient) -> str:
    """The negotiated API version, e.g. "1.41"."""
    return str(client.api_version)


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


# --- listing ---------------------------------------------------------------------------


def record_from_api(item: Mapping[str, Any]) -> BuildCacheRecord:
    """One `BuildCache[]` / `BuildCacheUsage.Items[]` entry → record (any API version)."""
    parents_raw = item.get("Parents") or item.get(" Parents")
    if parents_raw:
        parents = tuple(str(p) for p in parents_raw if p)
    elif item.get("Parent"):
        parents = (str(item["Parent"]),)
    else:
        parents = ()
    usage = item.get("UsageCount")
    return BuildCacheRecord(
        id=str(item.get("ID", "")),
        type=str(item.get("Type") or "regular"),
        description=str(item.get("Description") or ""),
        size_bytes=optional_int(item.get("Size")),
        size_exact=True,
        created_at=parse_timestamp(item.get("CreatedAt")),
        last_used_at=parse_timestamp(item.get("LastUsedAt")),
        usage_count=usage if isinstance(usage, int) else None,
        in_use=parse_bool(item.get("InUse")),
        shared=parse_bool(item.get("Shared")),
        mutable=None,
        parents=parents,
    )


def parse_system_df(data: Mapping[str, Any]) -> tuple[BuildCacheRecord, ...] | None:
    """Records from a `/system/df` answer; None when it carries no build-cache list."""
    items = data.get("BuildCache")
    if items is None:
        usage = data.get("BuildCacheUsage")
        if isinstance(usage, Mapping):
            items = usage.get("Items")
    if items is None:
        return None
    return tuple(record_from_api(item) for item in items if isinstance(item, Mapping))


def _system_df(client: docker.APIClient, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """`GET /system/df` with query params docker-py's `df()` cannot pass."""
    response = client._get(client._url("/system/df"), params=dict(params))
    result: Mapping[str, Any] = client._result(response, True)
    return result


def read_records(client: docker.APIClient) -> tuple[BuildCacheRecord, ...]:
    """Every build-cache record of the engine behind `client`.

    API >= 1.42 accepts `type=build-cache`, sparing the engine the image/volume sizes;
    >= 1.52 needs `verbose=1` for `BuildCacheUsage.Items` when legacy fields are gone.
    """
    version = _version_tuple(api_version(client))
    if version >= (1, 52):
        attempts: list[dict[str, Any]] = [
            {"type": "build-cache"},
            {"type": "build-cache", "verbose": 1},
        ]
    elif version >= (1, 42):
        attempts = [{"type": "build-cache"}]
    else:
        attempts = [{}]
    for params in attempts:
        data = _system_df(client, params)
        records = parse_system_df(data)
        if records is not None:
            return records
    return ()


def list_engine(client: docker.APIClient, host: str, timeout: float) -> EngineListing:
    """List the records of a connected engine; raises EngineError."""
    import docker.errors

    try:
        records = read_records(client)
        version = client.version(api_version=False)
    except docker.errors.APIError as exc:
        raise _api_error("listing the build cache", exc) from exc
    except Exception as exc:
        reason = describe_exception(exc, host, timeout)
        raise EngineError(not_reachable(reason), timed_out=is_timeout(exc)) from exc
    engine_version = version.get("Version") if isinstance(version, Mapping) else None
    return EngineListing(
        records=records,
        api_version=api_version(client),
        engine_version=str(engine_version) if engine_version else None,
    )


def read_engine(
    endpoint: EngineEndpoint, timeout: float, budget: Budget | None = None
) -> EngineListing:
    """Connect to `endpoint` (within `budget`) and list its records; raises EngineError."""
    client = connect(endpoint, timeout, budget)
    try:
        return list_engine(client, endpoint.host, timeout)
    finally:
        client.close()


# --- pruning ---------------------------------------------------------------------------


def check_filters(filters: Mapping[str, str]) -> None:
    """Refuse filters that moby ignores (→ unfiltered prune) or rejects; one value per key."""
    for key, value in filters.items():
        if key in FORBIDDEN_FILTER_KEYS:
            raise ValueError(f"refusing to send the {key!r} prune filter")
        if not isinstance(value, str):
            raise ValueError(f"prune filter {key!r} must have exactly one value")


def describe_prune_call(version: str | None, filters: Mapping[str, str], all_: bool) -> str:
    """The HTTP request as a readable line, for previews and results."""
    check_filters(filters)
    encoded = json.dumps({k: [v] for k, v in filters.items()}, separators=(",", ":"))
    prefix = f"/v{version}" if version else ""
    extra = "&all=1" if all_ else ""
    return f"POST {prefix}/build/prune?filters={encoded}{extra}"


def prune(
    client: docker.APIClient, filters: Mapping[str, str], all_: bool, timeout: float
) -> PruneResponse:
    """One `POST /build/prune`; raises EngineError."""
    import docker.errors

    check_filters(filters)
    host = str(client.base_url)
    try:
        result = client.prune_builds(filters=dict(filters), all=True if all_ else None)
    except docker.errors.APIError as exc:
        raise _api_error("prune", exc) from exc
    except Exception as exc:
        raise EngineError(not_reachable(describe_exception(exc, host, timeout))) from exc
    deleted = result.get("CachesDeleted") or []
    return PruneResponse(
        deleted=tuple(str(d) for d in deleted),
        space_reclaimed=optional_int(result.get("SpaceReclaimed")),
    )
