"""uv caches baked into image layers: a saved image streamed, never written to disk.

Synthetic saved images (legacy and OCI names, gzip or not, a whiteout, a uv venv that also
carries CACHEDIR.TAG) test the reader's rules; the #16180 image built on the real engines tests
it end to end: on Engine 20.10 the cache is in the `uv sync` layer, on 28.5 it is not.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from tests.core.buildkit.scenarios import build_16180
from tests.dockerenv import Tracker
from uvcache_tui.core.doctor.image import (
    CACHEDIR_SIGNATURE,
    ImageNotFound,
    find_baked_caches,
    scan_image,
)

TAG = CACHEDIR_SIGNATURE + b"\n# This file is a cache directory tag created by uv.\n"


def _tar(files: dict[str, bytes], compress: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buffer.getvalue()
    return gzip.compress(raw) if compress else raw


def _saved(layers: list[dict[str, bytes]], oci: bool, compress: bool = False) -> io.BytesIO:
    names = [f"blobs/sha256/{i:064x}" if oci else f"{i:064x}/layer.tar" for i in range(len(layers))]
    history = [{"created_by": "FROM base"}, {"created_by": "ENV A=b", "empty_layer": True}]
    history += [{"created_by": f"RUN /bin/sh -c step{i}"} for i in range(1, len(layers))]
    config_name = "blobs/sha256/" + "c" * 64 if oci else "c" * 64 + ".json"
    files = {name: _tar(layer, compress) for name, layer in zip(names, layers, strict=True)}
    files[config_name] = json.dumps({"history": history}).encode()
    files["manifest.json"] = json.dumps([{"Config": config_name, "Layers": names}]).encode()
    return io.BytesIO(_tar(files))


CACHE_LAYER = {
    "application/cache/uv/CACHEDIR.TAG": TAG,
    "application/cache/uv/.gitignore": b"*",
    "application/cache/uv/wheels-v8/pypi/x/x.whl": b"w" * 1000,
    "application/cache/uv/archive-v0/abc/x/__init__.py": b"a" * 300,
    "app/.venv/CACHEDIR.TAG": TAG,
    "app/.venv/pyvenv.cfg": b"home = /usr\n",
    "app/.venv/lib/python3.12/site-packages/x.py": b"x",
}


@pytest.mark.parametrize("oci", [False, True])
@pytest.mark.parametrize("compress", [False, True])
def test_cache_found_in_its_layer(oci: bool, compress: bool) -> None:
    base = {"etc/passwd": b"root:x:0:0::/root:/bin/sh\n"}
    (cache,) = find_baked_caches(_saved([base, CACHE_LAYER, {"x": b""}], oci, compress))
    assert (cache.layer_index, cache.layer_count) == (2, 3)
    assert cache.path == "/application/cache/uv"
    assert cache.created_by == "RUN /bin/sh -c step1"
    assert cache.size_bytes == len(TAG) + 1 + 1000 + 300
    assert cache.buckets == ("archive-v0", "wheels-v8")
    assert cache.removed_by_layer is None


def test_whiteout_in_a_later_layer_is_reported() -> None:
    removal = {"application/cache/.wh.uv": b""}
    (cache,) = find_baked_caches(_saved([{}, CACHE_LAYER, removal], oci=False))
    assert cache.removed_by_layer == 3


def test_signature_and_buckets_are_both_needed() -> None:
    no_tag = {k: v for k, v in CACHE_LAYER.items() if not k.endswith("uv/CACHEDIR.TAG")}
    assert find_baked_caches(_saved([{}, no_tag], oci=True)) == ()
    foreign_tag = dict(CACHE_LAYER, **{"application/cache/uv/CACHEDIR.TAG": b"Signature: x"})
    assert find_baked_caches(_saved([{}, foreign_tag], oci=True)) == ()


def test_not_a_saved_image() -> None:
    with pytest.raises(ValueError, match="manifest.json"):
        find_baked_caches(io.BytesIO(_tar({"a": b"b"})))


@pytest.mark.docker
def test_16180_image_on_real_engines(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    _token, tag = build_16180(tracked, tmp_path / "ctx")
    caches = scan_image(tag, timeout=60, env=engine.env())
    if engine.legacy:
        (cache,) = caches
        assert cache.path == "/application/cache/uv"
        assert cache.created_by and "uv sync" in cache.created_by
        assert cache.layer_index == cache.layer_count  # the RUN is the last instruction
        assert cache.size_bytes > 0 and any(b.startswith("wheels-v") for b in cache.buckets)
    else:
        assert caches == ()
    with pytest.raises(ImageNotFound):
        scan_image(tag + "-missing", timeout=60, env=engine.env())
