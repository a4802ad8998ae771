"""Throw-away single-stage builds that read or fill one cache mount, then leave no trace.

BuildKit offers no API to browse or seed a cache mount; a build that mounts the same key
can (buildkit-cache.md §7.5). Both helpers are `FROM scratch` with a helper image
bind-mounted for `sh`/`tar`/`stat`, literal values only, and a fresh nonce in the command
(it busts the step cache and marks the helper's records):

- the **reader** mounts the key `readonly,sharing=locked` (a reader without `locked` forks
  an empty record while a writer runs) and returns `/out` as a tar on stdout;
- the **importer** mounts it `sharing=locked`, binds a tarball from a throw-away context
  and runs `tar -x` into it, with `-o type=cacheonly`.

Afterwards every record the helper made is pruned by anchored ID (`cleanup.py`). Never
`--no-cache`: it wipes every record of the id.

Over 400 lines because the two helper Dockerfiles, their heartbeat, their time limits and
the mapping of buildx's failures are one contract with BuildKit; apart, they would drift.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from uvcache_tui.core.buildkit.builders import DOCKER_DRIVER, ResolvedBuilder
from uvcache_tui.core.buildkit.buildx import BuildxError
from uvcache_tui.core.buildkit.cachekey import SOURCE_TAR, TOOLS, UNSAFE, CacheKey, literal
from uvcache_tui.core.buildkit.cleanup import (
    CleanupResult,
    cleanup_helper,
    list_records_patiently,
)
from uvcache_tui.core.buildkit.engine import EngineError
from uvcache_tui.core.buildkit.records import not_reachable
from uvcache_tui.core.buildkit.streams import StreamCancelled, StreamTimeout, run_streaming

DEFAULT_HELPER_IMAGE = "busybox:stable"
"""Public, tiny, has `sh`, `tar`, `find` and `stat` (busybox applets)."""
HELPER_IMAGE_ENV = "UVCACHE_TUI_HELPER_IMAGE"
HELPER_IMAGE_OPTION = "--helper-image"
BUILD_TIMEOUT = 900.0
"""Seconds for one helper build: a 50k-file mount takes a few; a stuck build is killed."""
IDLE_TIMEOUT_ENV = "UVCACHE_TUI_HELPER_IDLE_TIMEOUT"
DEFAULT_IDLE_TIMEOUT = 120.0
"""Seconds a helper build may print nothing before it is killed (a hang after a good
start); waiting for a build that holds the cache (`sharing=locked`) prints nothing too."""
IDLE_TIMEOUT_RANGE = (10.0, BUILD_TIMEOUT)
HEARTBEAT_SECONDS = 5
"""How often the helper's command reports that its output files grew."""

CONTEXT_TAR = "cache.tar"
PROGRESS = "/.progress"
"""The importer's `tar -v` names go there (in its own layer, pruned): its size is progress."""
DATA_MEMBER = "out/cache.tar"
LISTING_MEMBER = "out/listing"
LISTING_FORMAT = "%i %h %b %s %f %u:%g %Y %n"
"""`stat -c` fields of the listing: inode, links, blocks, size, raw mode (hex), owner,
mtime, name (busybox has no `find -printf`)."""


T = TypeVar("T")


class HelperError(Exception):
    """A helper build failed; `str()` is the one line to show."""


class HelperImageMissing(HelperError):
    """The helper image could not be used: the message names the option that sets it."""


class HelperCancelled(HelperError):
    """The caller stopped the helper build; its records were removed all the same."""


class NoSuchKey(HelperError):
    """No cache with that key existed: the reader would have read a new, empty one."""


def helper_image(option: str | None, env: Mapping[str, str]) -> str:
    """`--helper-image`, else $UVCACHE_TUI_HELPER_IMAGE, else busybox:stable."""
    chosen = (option or env.get(HELPER_IMAGE_ENV) or "").strip() or DEFAULT_HELPER_IMAGE
    if UNSAFE.search(chosen):
        raise ValueError(f"helper image {chosen!r} is not an image reference")
    return chosen


def helper_idle_timeout(env: Mapping[str, str]) -> float:
    """$UVCACHE_TUI_HELPER_IDLE_TIMEOUT, else 120 s; ValueError outside 10–900 s."""
    raw = (env.get(IDLE_TIMEOUT_ENV) or "").strip()
    if not raw:
        return DEFAULT_IDLE_TIMEOUT
    low, high = IDLE_TIMEOUT_RANGE
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not low <= value <= high:  # also rejects nan
        raise ValueError(
            f"${IDLE_TIMEOUT_ENV} must be a number of seconds from {low:g} to {high:g}, not {raw!r}"
        )
    return value


def with_heartbeat(command: str, watched: str) -> str:
    """`command`, with a background loop that prints the sizes of the `watched` files
    whenever they grew: the build's log shows progress while the command works and stays
    silent when it is stuck, which is what the idle timeout measures."""
    loop = (
        f"(last=; while sleep {HEARTBEAT_SECONDS}; do "
        f"now=$(stat -c %s {watched} 2>/dev/null | tr '\\n' ' '); "
        'if [ "$now" != "$last" ]; then echo "uvcache-tui progress: $now"; last=$now; fi; '
        "done) & hb=$!; "
    )
    return f"{loop}{command}; rc=$?; kill $hb; exit $rc"


def expands_variables(resolved: ResolvedBuilder) -> bool:
    """Does the builder's built-in frontend expand `${VAR}` in `--mount` (dockerfile 1.3)?

    Engine 20.10 (BuildKit 0.8) does not; Engine >= 23 and BuildKit >= 0.9 do.
    """
    info = resolved.info
    if info.driver == DOCKER_DRIVER and info.engine_version:
        major = re.match(r"(\d+)", info.engine_version)
        return bool(major) and int(major.group(1)) >= 23  # type: ignore[union-attr]
    version = re.match(r"v?(\d+)\.(\d+)", info.buildkit_version or "")
    if version and (int(version.group(1)), int(version.group(2))) != (0, 0):
        return (int(version.group(1)), int(version.group(2))) >= (0, 9)
    return True


def _run_line(mounts: list[str], command: str) -> str:
    argv = ["/.bb/bin/sh", "-c", f"export PATH={TOOLS}/bin; {command}"]
    return "RUN " + " ".join(f"--mount={m}" for m in mounts) + " " + json.dumps(argv)


def reader_dockerfile(key: CacheKey, image: str, nonce: str, expand: bool, data: bool) -> str:
    """Reader: `/out/listing` (one `stat` line per entry) and, with `data`, `/out/cache.tar`."""
    target = literal(key.target, expand)
    cache = f"type=cache,{key.options(expand)},target={target},readonly,sharing=locked"
    steps = [
        "mkdir /out",
        f"cd {shlex.quote(key.target)}",
        f"find . -exec stat -c '{LISTING_FORMAT}' {{}} + >/out/listing",
    ]
    if data:
        steps.append(f"tar -C {shlex.quote(key.target)} -cf /out/cache.tar .")
    run = _run_line(
        [f"type=bind,from={image},target={TOOLS}", cache],
        f": reader-{nonce}; " + with_heartbeat(" && ".join(steps), "/out/*"),
    )
    return f"FROM scratch\n{run}\n"


def importer_dockerfile(key: CacheKey, image: str, nonce: str, expand: bool) -> str:
    """Importer: extract the context's cache.tar into the mount (merging)."""
    target = literal(key.target, expand)
    cache = f"type=cache,{key.options(expand)},target={target},sharing=locked"
    run = _run_line(
        [
            f"type=bind,from={image},target={TOOLS}",
            f"type=bind,source={CONTEXT_TAR},target={SOURCE_TAR}",
            cache,
        ],
        f": import-{nonce}; "
        + with_heartbeat(
            f"tar -C {shlex.quote(key.target)} --numeric-owner -xvf {SOURCE_TAR} >{PROGRESS}",
            PROGRESS,
        ),
    )
    return f"FROM scratch\n{run}\n"


@dataclass(frozen=True)
class HelperRun:
    """One helper build: how long it took and what its cleanup removed or left."""

    nonce: str
    seconds: float
    cleanup: CleanupResult


def build_argv(resolved: ResolvedBuilder, output: str, context: str, namespace: str) -> list[str]:
    tools = resolved.tools
    if tools.docker_cli is None or tools.buildx is None:
        raise HelperError("docker buildx is needed to read or fill a cache mount")
    info = resolved.info
    argv = [tools.docker_cli]
    if info.driver == DOCKER_DRIVER and info.context:
        # another context's docker-driver builder is reached with --context, not --builder
        argv += ["--context", info.context]
    return [
        *argv,
        "buildx",
        "build",
        "--builder",
        info.name,
        "--network",
        "none",
        "--progress",
        "plain",
        "-f",
        "-",
        "--output",
        output,
        *(["--build-arg", f"BUILDKIT_CACHE_MOUNT_NS={namespace}"] if namespace else []),
        context,
    ]


IMAGE_PROBLEMS = (
    "not found",
    "pull access denied",
    "failed to resolve",
    "failed to do request",
    "no such host",
    "repository does not exist",
    "manifest unknown",
    "failed to authorize",
    "dial tcp",
    "lookup ",
)


def error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("ERROR")]
    line = (errors or lines or ["no output"])[-1]
    return re.sub(r"^ERROR:\s*", "", line)


def _failure(stderr: str, image: str, returncode: int) -> HelperError:
    line = error_line(stderr)
    lower = stderr.lower()
    bare = image.split("@")[0].rsplit(":", 1)[0] if "/" not in image else image.split("@")[0]
    if bare.lower() in lower and any(p in line.lower() for p in IMAGE_PROBLEMS):
        return HelperImageMissing(
            f"helper image {image} could not be used ({line}); set {HELPER_IMAGE_OPTION} "
            f"or ${HELPER_IMAGE_ENV} to a local or reachable image with sh, tar, find and stat"
        )
    if "cannot connect to the docker daemon" in lower or "connection refused" in lower:
        return HelperError(not_reachable(line))
    return HelperError(f"helper build failed (exit {returncode}): {line}")


def _helper_build(
    resolved: ResolvedBuilder,
    dockerfile: str,
    nonce: str,
    context: str,
    output: str,
    sink: Callable[[IO[bytes]], T],
    timeout: float,
    keep_mounts: bool,
    namespace: str,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[T, HelperRun]:
    """Run one helper build, hand its stdout to `sink`, then clean up its records."""
    listing_timeout = min(timeout, 60.0)
    try:
        idle = helper_idle_timeout(resolved.tools.env)
    except ValueError as exc:
        raise HelperError(str(exc)) from exc
    try:
        before = {r.id for r in list_records_patiently(resolved, listing_timeout)}
    except (EngineError, BuildxError) as exc:
        raise HelperError(str(exc)) from exc
    started = time.monotonic()
    result: T | None = None
    failed: list[Exception] = []

    def guarded(stream: IO[bytes]) -> T | None:
        # the build's own error (helper image missing, …) explains an empty stream better
        try:
            return sink(stream)
        except Exception as exc:
            failed.append(exc)
            return None

    try:
        try:
            outcome = run_streaming(
                build_argv(resolved, output, context, namespace),
                stdin=dockerfile.encode(),
                sink=guarded,
                timeout=timeout,
                env=resolved.tools.env,
                idle_timeout=idle,
                cancelled=cancelled,
            )
        except StreamCancelled as exc:
            raise HelperCancelled("the helper build was stopped") from exc
        except StreamTimeout as exc:
            if exc.idle:
                raise HelperError(
                    f"helper build printed nothing for {idle:g}s and was killed (stuck, or "
                    "waiting for a build that holds the cache; "
                    f"${IDLE_TIMEOUT_ENV} sets the limit)"
                ) from exc
            raise HelperError(
                f"helper build did not finish within {timeout:g}s and was killed"
            ) from exc
        if outcome.returncode != 0:
            raise _failure(outcome.stderr, _image_of(dockerfile), outcome.returncode)
        if failed:
            problem = failed[0]
            if isinstance(problem, (HelperError, OSError)):
                raise problem  # OSError: writing the export (full disk) is the caller's
            raise HelperError(f"the helper build's output could not be read: {problem}")
        result = outcome.value
    finally:
        seconds = time.monotonic() - started
        cleaned = cleanup_helper(resolved, before, nonce, listing_timeout, keep_mounts)
    if result is None:  # pragma: no cover - run_streaming returns the sink's value
        raise HelperError("helper build gave no output")
    return result, HelperRun(nonce, seconds, cleaned)


def _image_of(dockerfile: str) -> str:
    match = re.search(r"type=bind,from=([^,\s]+),target=" + re.escape(TOOLS), dockerfile)
    return match.group(1) if match else "?"


def new_nonce() -> str:
    """A marker no other build's description can carry by chance."""
    return "uvcache-tui-" + secrets.token_hex(8)


def run_reader(
    resolved: ResolvedBuilder,
    key: CacheKey,
    image: str,
    sink: Callable[[IO[bytes]], T],
    *,
    data: bool = True,
    timeout: float = BUILD_TIMEOUT,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[T, HelperRun]:
    """Read the mount of `key`; `sink` gets the exported tar stream (`out/listing`, and
    `out/cache.tar` with `data`). Raises NoSuchKey (nothing left behind) when no cache has
    that key, HelperImageMissing, HelperError."""
    nonce = new_nonce()
    dockerfile = reader_dockerfile(key, image, nonce, expands_variables(resolved), data)
    with tempfile.TemporaryDirectory(prefix="uvct-reader-") as context:
        value, run = _helper_build(
            resolved,
            dockerfile,
            nonce,
            context,
            "type=tar,dest=-",
            sink,
            timeout,
            False,
            key.namespace,
            cancelled,
        )
    if run.cleanup.created_mounts:
        # the reader made (and cleanup removed) a new, empty cache: the key did not exist
        raise NoSuchKey(f"no cache with that key (uid/gid/mode or id differ?): {key.describe()}")
    return value, run


def run_importer(
    resolved: ResolvedBuilder,
    key: CacheKey,
    image: str,
    tarball: Path,
    *,
    timeout: float = BUILD_TIMEOUT,
) -> HelperRun:
    """Extract `tarball` into the mount of `key` (merging with what is there)."""
    nonce = new_nonce()
    dockerfile = importer_dockerfile(key, image, nonce, expands_variables(resolved))
    with tempfile.TemporaryDirectory(prefix="uvct-import-") as context:
        target = os.path.join(context, CONTEXT_TAR)
        try:
            os.link(tarball, target)
        except OSError:
            shutil.copyfile(tarball, target)
        _, run = _helper_build(
            resolved,
            dockerfile,
            nonce,
            context,
            "type=cacheonly",
            _drain,
            timeout,
            True,
            key.namespace,
        )
    return run


def _drain(stream: IO[bytes]) -> int:
    """Read (and drop) a stream: `type=cacheonly` prints nothing of interest."""
    total = 0
    while chunk := stream.read(1 << 16):
        total += len(chunk)
    return total
