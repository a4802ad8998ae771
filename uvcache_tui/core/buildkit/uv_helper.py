"""Throw-away builds that run the real uv against a cache mount, then leave no trace.

uv in the public images (and in a pip-installed uv) is not always static, so unlike the
reader (`helper_build.py`, `FROM scratch` with busybox bind-mounted) the uv image is the
build's root: `FROM <uv image>`, with `/bin/sh` and `uv` on its PATH. Everything else is
as for the reader and importer: literal values only, a fresh nonce at the start of the
command (it busts the step cache and marks the helper's records), `--network none`, the
cache mounted `sharing=locked` (read-write here), `-o type=cacheonly`, never `--no-cache`
(it wipes every record of the id), and every record the build made pruned by anchored ID
afterwards (`cleanup.py`).

What the command printed comes back through the build's plain progress log: uv writes to a
file in the throw-away root, and only its tail and the exit status are echoed, each line
behind the nonce, so BuildKit's step-log limit can never clip the exit status.
"""

from __future__ import annotations

import json
import re
import shlex
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from uvcache_tui.core.buckets import NEWEST_KNOWN
from uvcache_tui.core.buildkit.builders import ResolvedBuilder
from uvcache_tui.core.buildkit.buildx import BuildxError
from uvcache_tui.core.buildkit.cachekey import UNSAFE, CacheKey, literal
from uvcache_tui.core.buildkit.cleanup import cleanup_helper, list_records_patiently
from uvcache_tui.core.buildkit.engine import EngineError

# The reader's build rules, shared rather than copied: the argv of a helper build, how a
# failed build's one line is found and which words mean "the image cannot be used".
from uvcache_tui.core.buildkit.helper_build import (
    BUILD_TIMEOUT,
    IMAGE_PROBLEMS,
    HelperCancelled,
    HelperError,
    HelperImageMissing,
    HelperRun,
    NoSuchKey,
    error_line,
    expands_variables,
    new_nonce,
)
from uvcache_tui.core.buildkit.helper_build import build_argv as helper_build_argv
from uvcache_tui.core.buildkit.records import not_reachable
from uvcache_tui.core.buildkit.streams import StreamCancelled, StreamTimeout, run_streaming

UV_IMAGE_ENV = "UVCACHE_TUI_UV_IMAGE"
UV_IMAGE_OPTION = "--uv-image"
DEFAULT_UV_IMAGE = f"ghcr.io/astral-sh/uv:{NEWEST_KNOWN}-debian-slim"
"""The newest uv release this tool's bucket tables know, so its predictions are exact."""
UV_LOG = "/tmp/uvcache-tui-uv.log"
"""Where uv's output goes inside the helper (its throw-away root, never the mount)."""
OUTPUT_TAIL_LINES = 60
PROBE_TIMEOUT = 300.0


class UvImageMissing(HelperImageMissing):
    """The uv image could not be used: the message names --uv-image and its variable."""


def uv_image(option: str | None, env: Mapping[str, str]) -> str:
    """`--uv-image`, else $UVCACHE_TUI_UV_IMAGE, else DEFAULT_UV_IMAGE."""
    chosen = (option or env.get(UV_IMAGE_ENV) or "").strip() or DEFAULT_UV_IMAGE
    if UNSAFE.search(chosen) or chosen.startswith("-"):
        raise ValueError(f"uv image {chosen!r} is not an image reference")
    return chosen


def _marker(nonce: str) -> str:
    return f"UVCT-{nonce}"


def _dockerfile(image: str, nonce: str, mounts: Sequence[str], script: str) -> str:
    """`FROM <image>` and one exec-form RUN: the frontend expands nothing in it."""
    argv = ["/bin/sh", "-c", f": uvmaint-{nonce}; {script}"]
    run = "RUN " + " ".join(f"--mount={m}" for m in mounts) + " " + json.dumps(argv)
    return f"FROM {image}\n{run}\n"


def probe_dockerfile(image: str, nonce: str) -> str:
    """Ask the image's uv for its version; no cache is mounted."""
    mark = _marker(nonce)
    return _dockerfile(image, nonce, (), f'printf "%s\\n" "{mark} version $(uv --version 2>&1)"')


def maintenance_dockerfile(
    key: CacheKey,
    image: str,
    nonce: str,
    expand: bool,
    argv: Sequence[str],
    extra_env: Mapping[str, str],
) -> str:
    """Run `argv` (with `extra_env`) once against the mount of `key`, read-write and locked."""
    target = literal(key.target, expand)
    cache = f"type=cache,{key.options(expand)},target={target},sharing=locked"
    mark = _marker(nonce)
    assignments = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(extra_env.items()))
    script = (
        f"unset UV_CACHE_DIR; {assignments} {shlex.join(argv)} >{UV_LOG} 2>&1; code=$?; "
        f"tail -n {OUTPUT_TAIL_LINES} {UV_LOG} | while IFS= read -r line; do "
        f'printf "%s\\n" "{mark} out $line"; done; echo "{mark} exit $code"'
    )
    return _dockerfile(image, nonce, (cache,), script)


@dataclass(frozen=True)
class MarkedOutput:
    """The lines a helper echoed behind its marker: `kind` (version, out, exit) → texts."""

    lines: tuple[tuple[str, str], ...]

    def first(self, kind: str) -> str | None:
        return next((text for k, text in self.lines if k == kind), None)

    def all(self, kind: str) -> list[str]:
        return [text for k, text in self.lines if k == kind]


def marked_lines(progress: str, nonce: str) -> MarkedOutput:
    """The helper's own lines from a plain progress log (`#5 0.089 UVCT-… kind text`)."""
    pattern = re.compile(rf"^#\d+ [\d.]+ {re.escape(_marker(nonce))} (\w+) ?(.*)$")
    found = []
    for line in progress.splitlines():
        match = pattern.match(line.rstrip("\r"))
        if match:
            found.append((match.group(1), match.group(2)))
    return MarkedOutput(tuple(found))


def image_failure(stderr: str, image: str, returncode: int) -> HelperError:
    """The build's error as one line; UvImageMissing when the image is what failed."""
    line = error_line(stderr)
    lower = stderr.lower()
    bare = image.split("@")[0]
    if "/" not in bare:
        bare = bare.rsplit(":", 1)[0]
    fix = (
        f"set {UV_IMAGE_OPTION} or ${UV_IMAGE_ENV} to a local or reachable image with "
        "/bin/sh and uv on its PATH (e.g. a uv `-debian-slim` or `-alpine` tag)"
    )
    if bare.lower() in lower and any(p in line.lower() for p in IMAGE_PROBLEMS):
        return UvImageMissing(f"uv image {image} could not be used ({line}); {fix}")
    if "/bin/sh" in line and ("no such file" in line.lower() or "not found" in line.lower()):
        return UvImageMissing(f"uv image {image} has no /bin/sh ({line}); {fix}")
    if "cannot connect to the docker daemon" in lower or "connection refused" in lower:
        return HelperError(not_reachable(line))
    return HelperError(f"uv helper build failed (exit {returncode}): {line}")


@dataclass(frozen=True)
class UvHelperRun:
    """One uv helper build: what it echoed and what its cleanup removed or left."""

    output: MarkedOutput
    run: HelperRun


class UvHelperStopped(HelperCancelled):
    """The uv helper build was stopped (`cancelled()`): uv may have removed part of what was
    planned. Its records were removed all the same; `run` says how."""

    def __init__(self, run: HelperRun) -> None:
        super().__init__("the uv helper build was stopped")
        self.run = run


def _uv_build(
    resolved: ResolvedBuilder,
    dockerfile: str,
    nonce: str,
    image: str,
    namespace: str,
    timeout: float,
    cancelled: Callable[[], bool] | None = None,
) -> UvHelperRun:
    """Run one uv helper build (its output is the progress log), then prune its records."""
    listing_timeout = min(timeout, 60.0)
    try:
        before = {r.id for r in list_records_patiently(resolved, listing_timeout)}
    except (EngineError, BuildxError) as exc:
        raise HelperError(str(exc)) from exc
    started = time.monotonic()
    stopped = False
    try:
        with tempfile.TemporaryDirectory(prefix="uvct-uv-") as context:
            try:
                outcome = run_streaming(
                    helper_build_argv(resolved, "type=cacheonly", context, namespace),
                    stdin=dockerfile.encode(),
                    sink=lambda stream: stream.read(),
                    timeout=timeout,
                    env=resolved.tools.env,
                    cancelled=cancelled,
                )
            except StreamCancelled:
                stopped = True
            except StreamTimeout as exc:
                raise HelperError(
                    f"uv helper build did not finish within {timeout:g}s and was killed"
                ) from exc
        if not stopped and outcome.returncode != 0:
            raise image_failure(outcome.stderr, image, outcome.returncode)
    finally:
        seconds = time.monotonic() - started
        cleaned = cleanup_helper(resolved, before, nonce, listing_timeout, False)
    if stopped:
        raise UvHelperStopped(HelperRun(nonce, seconds, cleaned))
    return UvHelperRun(marked_lines(outcome.stderr, nonce), HelperRun(nonce, seconds, cleaned))


_VERSION = re.compile(r"^uv (\d+\.\d+\.\d+\S*)")


def probe_uv_version(
    resolved: ResolvedBuilder, image: str, timeout: float = PROBE_TIMEOUT
) -> tuple[str, UvHelperRun]:
    """The version of the uv that `image` runs (`uv --version` inside a helper build)."""
    nonce = new_nonce()
    done = _uv_build(resolved, probe_dockerfile(image, nonce), nonce, image, "", timeout)
    answer = done.output.first("version") or ""
    match = _VERSION.match(answer)
    if not match:
        raise UvImageMissing(
            f"uv image {image} did not answer `uv --version` ({answer or 'no output'}); "
            f"set {UV_IMAGE_OPTION} or ${UV_IMAGE_ENV} to an image with uv on its PATH"
        )
    return match.group(1), done


@dataclass(frozen=True)
class UvInMount:
    """What uv did inside the helper: its exit status and the tail of its output."""

    exit_code: int
    output: str
    helper: UvHelperRun


def run_uv_in_mount(
    resolved: ResolvedBuilder,
    key: CacheKey,
    image: str,
    argv: Sequence[str],
    extra_env: Mapping[str, str],
    timeout: float = BUILD_TIMEOUT,
    cancelled: Callable[[], bool] | None = None,
) -> UvInMount:
    """Run `argv` once against the mount of `key`. NoSuchKey when no cache had that key:
    uv then ran on a new, empty cache, which the cleanup removed again. `cancelled()` true
    stops the build (UvHelperStopped)."""
    nonce = new_nonce()
    expand = expands_variables(resolved)
    dockerfile = maintenance_dockerfile(key, image, nonce, expand, argv, extra_env)
    done = _uv_build(resolved, dockerfile, nonce, image, key.namespace, timeout, cancelled)
    if done.run.cleanup.created_mounts:
        raise NoSuchKey(
            f"no cache with that key (uid/gid/mode or id differ?): {key.describe()}; "
            "nothing was removed"
        )
    status = done.output.first("exit")
    if status is None or not status.strip().isdigit():
        raise HelperError("the uv helper build did not report uv's exit status")
    return UvInMount(int(status), "\n".join(done.output.all("out")), done)
