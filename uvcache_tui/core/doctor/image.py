"""uv caches baked into an image's layers, found by streaming `docker image save`.

The saved image is one tar (legacy layout: `<id>/layer.tar`; OCI layout, Engine 25+:
`blobs/sha256/<digest>`), whose layers are tars themselves, gzip or not. Both are read as
streams, member headers only (and the first bytes of a CACHEDIR.TAG): nothing is written to
disk and memory stays bounded by the number of cache roots, whatever the image's size.

A uv cache root in a layer: a dir with a CACHEDIR.TAG carrying the cache-dir signature, next
to uv bucket dirs (`archive-v0`, `wheels-vN`, …) and without `pyvenv.cfg` (uv's venvs carry a
CACHEDIR.TAG too). Its bytes are the sizes of the files under it in that layer.
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import re
import tarfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Any

from uvcache_tui.core.buildkit.contexts import ContextError, current_context_name, resolve_context
from uvcache_tui.core.buildkit.engine import EngineError, connect
from uvcache_tui.core.buildkit.proc import find_docker_cli
from uvcache_tui.core.dockerfile.stages import ImageConfig
from uvcache_tui.core.doctor.findings import WARNING, Finding, Fix
from uvcache_tui.core.doctor.report import UvRunSummary
from uvcache_tui.core.units import format_size

if TYPE_CHECKING:
    import docker

CACHEDIR_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
BUCKET_RE = re.compile(
    r"^(?:archive|wheels|sdists|simple|interpreter|builds|environments|git|flat-index|python)"
    r"-v\d+$"
)
SMALL_FILE = 4 << 20
"""JSON members (manifest, config) are kept in memory up to this size."""
_TAR_MAGIC_OFFSET = 257


@dataclass(frozen=True)
class BakedCache:
    """A uv cache inside one layer of an image."""

    layer_index: int
    """1-based, bottom layer first, as `docker history` lists them from the end."""
    layer_count: int
    created_by: str | None
    path: str
    size_bytes: int
    buckets: tuple[str, ...]
    removed_by_layer: int | None = None
    """A later layer deletes it (a whiteout): the bytes still ship in this layer."""
    layer_member: str = field(default="", compare=False)
    """The layer's name inside the saved image (where `baked.open_baked_cache` reads it)."""
    links_out: frozenset[str] = field(default=frozenset(), compare=False)
    """Files outside the cache that hardlinks inside it name (their data comes first)."""
    links_in: Mapping[str, int] = field(default_factory=dict, compare=False)
    """Files inside the cache -> hardlinks to them from outside it (a venv's, say)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "layer_index": self.layer_index,
            "layer_count": self.layer_count,
            "created_by": self.created_by,
            "path": self.path,
            "size_bytes": self.size_bytes,
            "buckets": list(self.buckets),
            "removed_by_layer": self.removed_by_layer,
        }


@dataclass
class _LayerScan:
    tagged: set[str] = field(default_factory=set)
    venvs: set[str] = field(default_factory=set)
    buckets: dict[str, set[str]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    whiteouts: list[str] = field(default_factory=list)
    hardlinks: list[tuple[str, str]] = field(default_factory=list)
    """(path, target) of the hardlinks whose path or target lies below a bucket dir."""

    def crossing_links(self, root: str) -> tuple[frozenset[str], dict[str, int]]:
        """Outside files that links inside `root` name; inside files -> links from outside."""
        inside = root.rstrip("/") + "/"
        out: set[str] = set()
        into: dict[str, int] = {}
        for path, target in self.hardlinks:
            if path.startswith(inside) and not target.startswith(inside):
                out.add(target)
            elif target.startswith(inside) and not path.startswith(inside):
                into[target] = into.get(target, 0) + 1
        return frozenset(out), into

    def roots(self) -> list[str]:
        return sorted(r for r in self.buckets if r in self.tagged and r not in self.venvs)


class _Prefixed(io.RawIOBase):
    """A stream with its first bytes already read put back in front."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = self._rest.read(len(view))
        view[: len(data)] = data
        return len(data)


class ChunkStream(io.RawIOBase):
    """An iterator of byte chunks (docker-py's `get_image`) as a readable stream."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        view = memoryview(buffer)
        count = min(len(view), len(self._buffer))
        view[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count


def layer_path(name: str) -> str:
    """A member's name in a layer as the absolute path it has in the image."""
    return "/" + posixpath.normpath(name.lstrip("./").lstrip("/")).lstrip("/")


def _bucket_root(path: str) -> str | None:
    """The dir above the first uv bucket dir in `path` (a candidate cache root), if any."""
    parts = path.split("/")
    for index in range(1, len(parts)):
        if BUCKET_RE.match(parts[index]):
            return "/".join(parts[:index]) or "/"
    return None


def _scan_layer(stream: IO[bytes]) -> _LayerScan:
    scan = _LayerScan()
    with tarfile.open(fileobj=stream, mode="r|*") as layer:
        for member in layer:
            path = layer_path(member.name)
            if member.islnk():
                target = layer_path(member.linkname)
                if _bucket_root(path) != _bucket_root(target):
                    scan.hardlinks.append((path, target))
            base = posixpath.basename(path)
            parent = posixpath.dirname(path)
            if base.startswith(".wh."):
                name = base[len(".wh.") :]
                scan.whiteouts.append(
                    parent if name == ".wh..opq" else posixpath.join(parent, name)
                )
                continue
            if base == "pyvenv.cfg":
                scan.venvs.add(parent)
            if base == "CACHEDIR.TAG" and member.isfile():
                handle = layer.extractfile(member)
                if (
                    handle is not None
                    and handle.read(len(CACHEDIR_SIGNATURE)) == CACHEDIR_SIGNATURE
                ):
                    scan.tagged.add(parent)
            parts = path.split("/")
            for index in range(1, len(parts)):
                if BUCKET_RE.match(parts[index]):
                    root = "/".join(parts[:index]) or "/"
                    scan.buckets.setdefault(root, set()).add(parts[index])
                    if member.isfile():
                        scan.sizes[root] = scan.sizes.get(root, 0) + member.size
                    break
            else:
                if base in ("CACHEDIR.TAG", ".gitignore", ".lock") and member.isfile():
                    scan.sizes[parent] = scan.sizes.get(parent, 0) + member.size
    return scan


def _is_archive(head: bytes) -> bool:
    gz = head[:2] == b"\x1f\x8b"
    tar = head[_TAR_MAGIC_OFFSET : _TAR_MAGIC_OFFSET + 5] == b"ustar"
    return gz or tar


@dataclass
class _Saved:
    layers: dict[str, _LayerScan] = field(default_factory=dict)
    small: dict[str, bytes] = field(default_factory=dict)


def _read_saved(stream: IO[bytes]) -> _Saved:
    saved = _Saved()
    with tarfile.open(fileobj=stream, mode="r|") as outer:
        for member in outer:
            if not member.isfile():
                continue
            handle = outer.extractfile(member)
            if handle is None:
                continue
            head = handle.read(512)
            if _is_archive(head):
                saved.layers[member.name] = _scan_layer(io.BufferedReader(_Prefixed(head, handle)))
            elif member.size <= SMALL_FILE:
                saved.small[member.name] = head + handle.read()
    return saved


def _history(saved: _Saved, config_name: str) -> list[str | None]:
    """created_by of every history entry that made a layer, bottom first."""
    try:
        config = json.loads(saved.small.get(config_name, b"{}"))
    except ValueError:
        return []
    return [
        entry.get("created_by")
        for entry in config.get("history", [])
        if not entry.get("empty_layer")
    ]


def find_baked_caches(stream: IO[bytes]) -> tuple[BakedCache, ...]:
    """Every uv cache root in the layers of a `docker image save` stream."""
    saved = _read_saved(stream)
    try:
        manifest = json.loads(saved.small["manifest.json"])[0]
    except (KeyError, ValueError, IndexError) as exc:
        raise ValueError("not a saved image: no manifest.json") from exc
    layer_names: list[str] = list(manifest.get("Layers", []))
    history = _history(saved, str(manifest.get("Config", "")))
    found: list[BakedCache] = []
    scans = [saved.layers.get(name, _LayerScan()) for name in layer_names]
    for index, scan in enumerate(scans):
        for root in scan.roots():
            links_out, links_in = scan.crossing_links(root)
            removed = next(
                (
                    later + 1
                    for later in range(index + 1, len(scans))
                    if any(
                        root == w or root.startswith(w.rstrip("/") + "/")
                        for w in scans[later].whiteouts
                    )
                ),
                None,
            )
            found.append(
                BakedCache(
                    layer_index=index + 1,
                    layer_count=len(scans),
                    created_by=history[index] if index < len(history) else None,
                    path=root,
                    size_bytes=scan.sizes.get(root, 0),
                    buckets=tuple(sorted(scan.buckets[root])),
                    removed_by_layer=removed,
                    layer_member=layer_names[index],
                    links_out=links_out,
                    links_in=links_in,
                )
            )
    return tuple(found)


def _creating_line(cache: BakedCache, runs: Sequence[UvRunSummary]) -> int:
    """The Dockerfile line of the uv RUN whose command the layer's history shows, else 0."""
    text = cache.created_by or ""
    return next((run.line for run in runs if run.command and run.command in text), 0)


def image_findings(
    image: str, caches: Sequence[BakedCache], runs: Sequence[UvRunSummary] = ()
) -> list[Finding]:
    """UVD011 for every uv cache found in the image's layers."""
    found: list[Finding] = []
    for cache in caches:
        line = _creating_line(cache, runs)
        removed = (
            f" Layer {cache.removed_by_layer} deletes it, but deleting in a later layer frees "
            "nothing: the bytes still ship in this one."
            if cache.removed_by_layer
            else ""
        )
        found.append(
            Finding(
                "UVD011",
                WARNING,
                line,
                "",
                f"image {image}: a uv cache at {cache.path}, {format_size(cache.size_bytes)} in "
                f"layer {cache.layer_index} of {cache.layer_count}",
                f"Layer {cache.layer_index} of {cache.layer_count}, created by "
                f"`{cache.created_by or '?'}`, holds a uv cache at {cache.path} "
                f"({format_size(cache.size_bytes)}: {', '.join(cache.buckets)}). The image "
                f"carries it to every machine that pulls it.{removed}",
                (
                    Fix(
                        "Mount a build cache there on the RUN that made it"
                        + (f" (line {line})" if line else "")
                        + ", or set UV_NO_CACHE=1:",
                        (f"RUN --mount=type=cache,target={cache.path} …",),
                    ),
                ),
                {"image": image, **cache.to_json()},
            )
        )
    return found


def engine_client(
    timeout: float, env: Mapping[str, str] | None = None
) -> tuple[docker.APIClient, str]:
    """A client for the current context's engine (the one `docker build` talks to)."""
    environ = dict(os.environ if env is None else env)
    context = current_context_name(environ)
    endpoint = resolve_context(context, environ, find_docker_cli(environ), timeout)
    return connect(endpoint, timeout), endpoint.host


def read_base_images(
    names: Sequence[str], timeout: float, env: Mapping[str, str] | None = None
) -> dict[str, ImageConfig]:
    """ENV, USER and WORKDIR of the base images the engine has; the others are left out
    (not pulled yet), and so is everything when the engine cannot be reached."""
    import docker.errors

    if not names:
        return {}
    try:
        client, _host = engine_client(timeout, env)
    except (EngineError, ContextError):
        return {}
    found: dict[str, ImageConfig] = {}
    try:
        for name in names:
            try:
                config = client.inspect_image(name).get("Config") or {}
            except docker.errors.APIError:
                continue
            env_pairs = (item.partition("=") for item in config.get("Env") or [])
            found[name] = ImageConfig(
                env={key: value for key, _, value in env_pairs},
                user=str(config.get("User") or ""),
                workdir=str(config.get("WorkingDir") or ""),
            )
    finally:
        client.close()
    return found


class ImageNotFound(LookupError):
    """The engine has no such image (a usage error for the CLI)."""


def scan_image(
    image: str, timeout: float, env: Mapping[str, str] | None = None
) -> tuple[BakedCache, ...]:
    """Stream `image` out of the current context's engine and find the uv caches in it.

    Raises ImageNotFound, or EngineError/ContextError when the engine cannot be reached.
    """
    import docker.errors

    client, host = engine_client(timeout, env)
    try:
        try:
            client.inspect_image(image)
        except docker.errors.NotFound as exc:
            raise ImageNotFound(f"no image {image!r} on {host}") from exc
        except docker.errors.APIError as exc:
            raise EngineError(f"cannot inspect image {image!r}: {exc.explanation or exc}") from exc
        client.timeout = max(timeout, 300.0)  # the stream of a big image takes its time
        chunks = client.get_image(image, chunk_size=1 << 20)
        return find_baked_caches(io.BufferedReader(ChunkStream(chunks), 1 << 20))
    finally:
        client.close()
