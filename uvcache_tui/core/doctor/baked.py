"""Open a uv cache baked into an image layer like a local cache: the same model, the same
deep contents, whatever the source.

The layer is streamed out of `docker image save` a second time (the first pass,
`image.find_baked_caches`, found the cache and its layer) and only the cache's subtree is
extracted, member by member and checked like an imported tarball (`tarsafe`), into a
temporary directory that goes when the block ends. Hardlinks that cross the cache's
boundary inside the layer (uv hardlinks its archives into venvs) are kept as such: the
outside file is extracted beside the copy, so the model counts those bytes as shared, as
they are in the image. Nothing is written to the engine, the image or the user's caches.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tarfile
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from uvcache_tui.core.buckets import newest_writer, table_for
from uvcache_tui.core.buildkit.tarsafe import (
    UnsafeArchive,
    check_member,
    extract_member,
    finish_dirs,
)
from uvcache_tui.core.cache import CacheModel, load_cache
from uvcache_tui.core.doctor.image import (
    BakedCache,
    ChunkStream,
    ImageNotFound,
    engine_client,
    find_baked_caches,
    layer_path,
)

SIDE_DIR = "outside"
"""Beside the copy: the files outside the cache that share an inode with one inside."""


class BakedChoiceError(LookupError):
    """No baked cache, or several, matches what was asked: the candidates are listed."""

    def __init__(self, message: str, candidates: Sequence[BakedCache]) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


@dataclass(frozen=True)
class ExtractSummary:
    entries: int
    bytes: int
    """Regular files' sizes in the layer, under the cache root."""
    skipped: tuple[str, ...]
    """Members not recreated, with why (device nodes; a hardlink whose data is elsewhere)."""


@dataclass
class OpenedBakedCache:
    """A baked cache copied into a temporary directory and loaded like a local cache."""

    image: str
    baked: BakedCache
    model: CacheModel
    summary: ExtractSummary

    def to_json(self, cache_document: dict[str, Any]) -> dict[str, Any]:
        """`image show --json`: the `show --json` document plus `image` and `baked`;
        `path` is the cache's path inside the image (the temporary copy is gone)."""
        return {
            **cache_document,
            "path": self.baked.path,
            "image": self.image,
            "baked": self.baked.to_json(),
            "skipped": list(self.summary.skipped),
        }


def choose_baked(
    caches: Sequence[BakedCache], path: str | None = None, layer: int | None = None
) -> BakedCache:
    """The one baked cache matching `path` and/or `layer` (1-based), else BakedChoiceError."""
    wanted = [
        cache
        for cache in caches
        if (path is None or cache.path == "/" + path.strip("/"))
        and (layer is None or cache.layer_index == layer)
    ]
    if len(wanted) == 1:
        return wanted[0]
    if not caches:
        raise BakedChoiceError("no uv cache is baked into the image's layers", caches)
    if not wanted:
        raise BakedChoiceError("no baked uv cache matches that path/layer", caches)
    raise BakedChoiceError(
        "several uv caches are baked into the image: give --path and/or --layer", wanted
    )


def _side_name(path: str) -> str:
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()


def _relative(path: str, root: str) -> str | None:
    """`path` (absolute, as in the layer) relative to the cache root; None outside it."""
    if path == root:
        return "."
    prefix = root.rstrip("/") + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def extract_baked(layer: tarfile.TarFile, baked: BakedCache, dest: Path) -> ExtractSummary:
    """Extract the cache's subtree of one layer into `dest/cache` (made here), the outside
    ends of crossing hardlinks into `dest/outside`; every member checked first."""
    into = dest / "cache"
    side = dest / SIDE_DIR
    into.mkdir()
    side.mkdir()
    symlinks: set[str] = set()
    dirs: list[tarfile.TarInfo] = []
    inside: dict[str, str] = {}  # path in the layer -> relative name in the copy
    entries = 0
    total = 0
    skipped: list[str] = []
    for member in layer:
        path = layer_path(member.name)
        if member.isreg() and path in baked.links_out:
            outside = side / _side_name(path)
            with open(outside, "wb") as out:
                handle = layer.extractfile(member)
                if handle is not None:
                    shutil.copyfileobj(handle, out, 1 << 20)
            os.chmod(outside, member.mode & 0o7777)
            os.utime(outside, (member.mtime, member.mtime))
            continue
        relative = _relative(path, baked.path)
        if relative is None or os.path.basename(path).startswith(".wh."):
            continue
        if member.islnk():
            target = layer_path(member.linkname)
            target_rel = _relative(target, baked.path)
            if target_rel is None:
                as_file = member.replace(name=relative, linkname="", deep=False)
                as_file.type = tarfile.REGTYPE
                check_member(as_file, symlinks)
                source = side / _side_name(target)
                if not source.exists():
                    skipped.append(
                        f"{relative}: hardlink to {target}, whose data is not in the layer"
                    )
                    continue
                os.link(source, into / relative)
                entries += 1
                continue
            member = member.replace(linkname=target_rel, deep=False)
        renamed = member.replace(name=relative, deep=False)
        try:
            check_member(renamed, symlinks)
        except UnsafeArchive as exc:
            if not (member.ischr() or member.isblk()):
                raise
            skipped.append(f"{relative}: {exc}")
            continue
        entries += 1
        total += member.size if member.isreg() else 0
        inside[path] = relative
        extract_member(layer, renamed, into, dirs)
    finish_dirs(into, dirs)
    _mirror_links_in(baked.links_in, inside, into, side)
    return ExtractSummary(entries, total, tuple(skipped))


def _mirror_links_in(
    links_in: Mapping[str, int], inside: Mapping[str, str], into: Path, side: Path
) -> None:
    """A file of the cache that outside files of the layer link to (listed after it) gets
    as many links beside the copy: the model then counts it as shared, as in the image."""
    for target, count in links_in.items():
        relative = inside.get(target)
        if relative is None:
            continue
        for index in range(count):
            try:
                os.link(into / relative, side / f"{_side_name(target)}.{index}")
            except OSError:
                break


def _layer_stream(image_stream: IO[bytes], member_name: str) -> Iterator[tarfile.TarFile]:
    with tarfile.open(fileobj=image_stream, mode="r|") as outer:
        for member in outer:
            if member.name != member_name:
                continue
            handle = outer.extractfile(member)
            if handle is None:
                break
            with tarfile.open(fileobj=handle, mode="r|*") as layer:
                yield layer
            return
    raise UnsafeArchive(f"the saved image has no layer {member_name!r}")


def open_saved(stream_factory: Any, baked: BakedCache, dest: Path) -> ExtractSummary:
    """Extract `baked` from a fresh `image save` stream (`stream_factory()`) into `dest`."""
    with stream_factory() as stream:
        for layer in _layer_stream(stream, baked.layer_member):
            return extract_baked(layer, baked, dest)
    raise UnsafeArchive("the layer could not be read")  # pragma: no cover - loop returns


@contextmanager
def open_baked_cache(
    image: str,
    path: str | None = None,
    layer: int | None = None,
    timeout: float = 10.0,
    env: Mapping[str, str] | None = None,
) -> Iterator[OpenedBakedCache]:
    """Find the uv caches baked into `image`, copy the chosen one out of its layer and
    load its model; the copy goes when the block ends. Raises ImageNotFound,
    BakedChoiceError, UnsafeArchive, or EngineError/ContextError."""
    import docker.errors

    from uvcache_tui.core.buildkit.engine import EngineError

    client, host = engine_client(timeout, env)
    try:
        try:
            client.inspect_image(image)
        except docker.errors.NotFound as exc:
            raise ImageNotFound(f"no image {image!r} on {host}") from exc
        except docker.errors.APIError as exc:
            raise EngineError(f"cannot inspect image {image!r}: {exc.explanation or exc}") from exc
        client.timeout = max(timeout, 300.0)

        @contextmanager
        def saved() -> Iterator[IO[bytes]]:
            chunks = client.get_image(image, chunk_size=1 << 20)
            stream = io.BufferedReader(ChunkStream(chunks), 1 << 20)
            try:
                yield stream
            finally:
                stream.close()

        with saved() as stream:
            baked = choose_baked(find_baked_caches(stream), path, layer)
        with tempfile.TemporaryDirectory(prefix="uvct-image-") as tmp:
            summary = open_saved(saved, baked, Path(tmp))
            into = Path(tmp) / "cache"
            table = table_for(newest_writer(frozenset(os.listdir(into))))
            model = load_cache(str(into), table, read_records=True, host_paths=False)
            yield OpenedBakedCache(image, baked, model, summary)
    finally:
        client.close()
