"""A uv cache baked into an image layer, opened like a local cache.

Synthetic saved images test the extraction's rules (hardlinks that cross the cache's
boundary in either order, whiteouts, device nodes, hostile names); images built by the real
uv on both engines test it end to end against GNU tar's extraction of the whole layer,
shown by `show --json`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.cli.test_cli import run_cli
from tests.core.doctor.test_image import TAG
from tests.dockerenv import Tracker, token
from tests.uvcache_factory import du_bytes, make_wheel
from uvcache_tui.core.buildkit.tarsafe import UnsafeArchive
from uvcache_tui.core.doctor.baked import BakedChoiceError, choose_baked, open_saved
from uvcache_tui.core.doctor.image import find_baked_caches

ROOT = "app/cache/uv"


def _member(name: str, data: bytes = b"", kind: bytes = tarfile.REGTYPE, link: str = "") -> Any:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    return info, data


def _layer(members: list[Any]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def _image(layers: list[list[Any]]) -> bytes:
    names = [f"{i:064x}/layer.tar" for i in range(len(layers))]
    history = [{"created_by": f"RUN step{i}"} for i in range(len(layers))]
    files = [_member(n, _layer(layer)) for n, layer in zip(names, layers, strict=True)]
    files.append(_member("c.json", json.dumps({"history": history}).encode()))
    manifest = [{"Config": "c.json", "Layers": names}]
    files.append(_member("manifest.json", json.dumps(manifest).encode()))
    return _layer(files)


def _cache_members(*extra: Any) -> list[Any]:
    return [
        _member("app/", kind=tarfile.DIRTYPE),
        _member(f"{ROOT}/", kind=tarfile.DIRTYPE),
        _member(f"{ROOT}/CACHEDIR.TAG", TAG),
        _member(f"{ROOT}/archive-v0/", kind=tarfile.DIRTYPE),
        _member(f"{ROOT}/archive-v0/abc/", kind=tarfile.DIRTYPE),
        _member(f"{ROOT}/wheels-v8/", kind=tarfile.DIRTYPE),
        *extra,
    ]


def _extract(saved: bytes, into: Path) -> tuple[Any, Path]:
    (baked,) = find_baked_caches(io.BytesIO(saved))

    @contextlib.contextmanager
    def stream() -> Iterator[IO[bytes]]:
        yield io.BytesIO(saved)

    into.mkdir()
    return open_saved(stream, baked, into), into / "cache"


VENV_FILE = "app/.venv/lib/x.py"
CACHE_FILE = f"{ROOT}/archive-v0/abc/x.py"


@pytest.mark.parametrize("venv_first", [True, False])
def test_hardlinks_crossing_the_cache_keep_their_inode_shared(
    venv_first: bool, tmp_path: Path
) -> None:
    """uv hardlinks archives into venvs: whichever name the layer lists first carries the
    data; the copy's file has two links either way, as in the image."""
    data = b"x" * 5000
    venv = [
        _member("app/.venv/", kind=tarfile.DIRTYPE),
        _member("app/.venv/lib/", kind=tarfile.DIRTYPE),
    ]
    if venv_first:
        members = (
            venv
            + [_member(VENV_FILE, data)]
            + _cache_members(_member(CACHE_FILE, kind=tarfile.LNKTYPE, link=VENV_FILE))
        )
    else:
        members = (
            _cache_members(_member(CACHE_FILE, data))
            + venv
            + [_member(VENV_FILE, kind=tarfile.LNKTYPE, link=CACHE_FILE)]
        )
    summary, cache = _extract(_image([members]), tmp_path / "out")
    copied = cache / "archive-v0/abc/x.py"
    assert copied.read_bytes() == data
    assert copied.stat().st_nlink == 2
    assert summary.skipped == ()
    assert sorted(p.name for p in cache.iterdir()) == ["CACHEDIR.TAG", "archive-v0", "wheels-v8"]


def test_whiteouts_and_device_nodes_are_not_copied(tmp_path: Path) -> None:
    members = _cache_members(
        _member(f"{ROOT}/archive-v0/abc/.wh.gone", b""),
        _member(f"{ROOT}/archive-v0/abc/tty", kind=tarfile.CHRTYPE),
        _member(f"{ROOT}/archive-v0/abc/ok.py", b"ok"),
    )
    summary, cache = _extract(_image([members]), tmp_path / "out")
    assert sorted(os.listdir(cache / "archive-v0/abc")) == ["ok.py"]
    assert [line.split(":")[0] for line in summary.skipped] == ["archive-v0/abc/tty"]


def test_symlink_climbing_out_of_the_cache_is_refused(tmp_path: Path) -> None:
    up = _member(f"{ROOT}/archive-v0/abc/up", kind=tarfile.SYMTYPE, link="../../../../etc")
    below = _member(f"{ROOT}/archive-v0/abc/up/passwd", b"x")
    with pytest.raises(UnsafeArchive, match="outside"):
        _extract(_image([_cache_members(up, below)]), tmp_path / "out")
    assert not (tmp_path / "etc").exists()


def test_dotdot_names_are_read_as_the_paths_they_name(tmp_path: Path) -> None:
    """A layer's names are normalised as the engine does: `..` climbing out of the cache
    names a file outside it (not copied); nothing lands outside the copy."""
    members = _cache_members(
        _member(f"{ROOT}/archive-v0/abc/../../../../../../escape", b"x"),
        _member(f"{ROOT}/wheels-v8/../archive-v0/abc/inside.py", b"in"),
    )
    _, cache = _extract(_image([members]), tmp_path / "out")
    assert (cache / "archive-v0/abc/inside.py").read_bytes() == b"in"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cache", "outside"]


def test_choice_names_the_candidates() -> None:
    two = _image(
        [
            _cache_members(),
            [_member("srv/", kind=tarfile.DIRTYPE)]
            + [
                (m[0].replace(name=m[0].name.replace("app/", "srv/", 1), deep=False), m[1])
                for m in _cache_members()
            ],
        ]
    )
    caches = find_baked_caches(io.BytesIO(two))
    assert [c.path for c in caches] == ["/app/cache/uv", "/srv/cache/uv"]
    with pytest.raises(BakedChoiceError) as raised:
        choose_baked(caches)
    assert len(raised.value.candidates) == 2
    assert choose_baked(caches, layer=2).path == "/srv/cache/uv"
    assert choose_baked(caches, path="app/cache/uv/").layer_index == 1
    with pytest.raises(BakedChoiceError, match="matches"):
        choose_baked(caches, path="/nowhere")
    with pytest.raises(BakedChoiceError, match="no uv cache"):
        choose_baked(())


# --- real images -------------------------------------------------------------------------


def _layer_extracted(engine: Any, tag: str, tmp_path: Path) -> Path:
    """The image's last layer extracted whole by GNU tar: the reference."""
    saved = tmp_path / "saved.tar"
    engine.docker("save", "-o", str(saved), tag)
    unpacked = tmp_path / "saved"
    unpacked.mkdir()
    subprocess.run(["tar", "-xf", str(saved), "-C", str(unpacked)], check=True)
    manifest = json.loads((unpacked / "manifest.json").read_text())
    layer = unpacked / manifest[0]["Layers"][-1]
    root = tmp_path / "layer"
    root.mkdir()
    subprocess.run(["tar", "-xf", str(layer), "-C", str(root)], check=True)
    return root


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    def wheel(w: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in w.items() if k != "cached_at"}

    return {
        "totals": document["totals"],
        "interpreters": [i["executable"] for i in document["interpreters"]],
        "buckets": document["buckets"],
        "packages": [
            {**p, "wheels": [wheel(w) for w in p.get("wheels", [])]} for p in document["packages"]
        ],
        "indexes": document.get("indexes"),
    }


@pytest.mark.docker
def test_baked_cache_opens_like_the_layer_extracted_by_tar(
    tracked: Tracker, tmp_path: Path
) -> None:
    """A `uv pip install` without a cache mount bakes /root/.cache/uv into its layer, its
    archive hardlinked into the venv: `image show` gives what `show` gives on the layer
    extracted by GNU tar, and the wheel's link from the venv is counted."""
    engine = tracked.engine
    context = tmp_path / "context"
    make_wheel(context / "wheels", "uvctbaked", "0.1.0", modules=3)
    (context / "Dockerfile").write_text(
        f"FROM {engine.base_image}\nCOPY wheels /wheels\n"
        "RUN uv venv /opt/venv && VIRTUAL_ENV=/opt/venv uv pip install --offline --no-index "
        f"--find-links /wheels uvctbaked && echo {token()}\n"
    )
    tag = f"uvct-baked-{token()}"
    tracked.images.append(tag)
    built = engine.build(context, tag)
    assert built.returncode == 0, built.stderr

    shown = run_cli("image", "show", tag, "--json", env=engine.env())
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["path"] == "/root/.cache/uv"
    assert document["baked"]["layer_index"] == document["baked"]["layer_count"]

    layer = _layer_extracted(engine, tag, tmp_path)
    reference = run_cli("show", str(layer / "root/.cache/uv"), "--json", env=engine.env())
    assert reference.returncode == 0, reference.stderr
    expected = json.loads(reference.stdout)
    assert _comparable(document) == _comparable(expected)
    assert document["totals"]["allocated_bytes"] == du_bytes(layer / "root/.cache/uv")
    (package,) = [p for p in document["packages"] if p["name"] == "uvctbaked"]
    (wheel,) = package["wheels"]
    assert wheel["links_outside"] == 1, "the venv's hardlink, as in the image"
    assert document["totals"]["reclaimable_bytes"] < document["totals"]["allocated_bytes"]
    assert document["interpreters"], "uv queried the image's Python"
    assert {i["exists"] for i in document["interpreters"]} == {None}, "the image's paths"


@pytest.mark.docker
def test_image_without_a_baked_cache_is_a_usage_error(tracked: Tracker) -> None:
    engine = tracked.engine
    result = run_cli("image", "show", engine.busybox_image, env=engine.env())
    assert result.returncode == 2
    assert "no uv cache is baked" in result.stderr
    missing = run_cli("image", "show", f"uvct-missing-{token()}", env=engine.env())
    assert missing.returncode == 2 and "no image" in missing.stderr
