"""Export/import without an engine: the tar rules, the helper Dockerfiles, key guessing,
what the cleanup picks. The engines are exercised in test_transfer.py."""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import time
from pathlib import Path

import pytest

from uvcache_tui.core.buckets import newest_writer
from uvcache_tui.core.buildkit.cleanup import helper_records
from uvcache_tui.core.buildkit.helper_build import (
    DEFAULT_HELPER_IMAGE,
    HELPER_IMAGE_ENV,
    CacheKey,
    helper_image,
    importer_dockerfile,
    reader_dockerfile,
)
from uvcache_tui.core.buildkit.mountref import KeyOptions, candidate_keys
from uvcache_tui.core.buildkit.records import BuildCacheRecord, cache_mounts
from uvcache_tui.core.buildkit.streams import StreamTimeout, run_streaming
from uvcache_tui.core.buildkit.tarsafe import (
    UnsafeArchive,
    check_archive,
    extract_stream,
    tar_directory,
)
from uvcache_tui.core.buildkit.transfer import parse_listing, prepare_source


def _tar(path: Path, *members: tuple[str, str, str]) -> Path:
    """A tar of (type, name, link/text) members: f file, d dir, l symlink, h hardlink."""
    with tarfile.open(path, "w") as archive:
        for kind, name, extra in members:
            info = tarfile.TarInfo(name)
            data = None
            if kind == "f":
                payload = extra.encode()
                info.size = len(payload)
                data = io.BytesIO(payload)
            elif kind == "d":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
            elif kind == "l":
                info.type = tarfile.SYMTYPE
                info.linkname = extra
            elif kind == "h":
                info.type = tarfile.LNKTYPE
                info.linkname = extra
            elif kind == "b":
                info.type = tarfile.BLKTYPE
                info.devmajor, info.devminor = 8, 0  # /dev/sda
            archive.addfile(info, data)
    return path


@pytest.mark.parametrize(
    ("members", "reason"),
    [
        ((("f", "/etc/passwd", "x"),), "absolute path"),
        ((("f", "a/../../x", "x"),), "'..'"),
        ((("f", "ok", "x"), ("h", "link", "../outside")), "hardlink"),
        ((("h", "link", "/etc/shadow"),), "hardlink"),
        ((("f", "ok", "x"), ("h", "link", "missing")), "not in the archive"),
        ((("d", "d", ""), ("l", "d/up", "../../x")), "points outside"),
        ((("l", "s", "/"), ("f", "s/etc/x", "x")), "below the symlink"),
        ((("f", "ok", "x"), ("b", "disk", "")), "device node"),
    ],
)
def test_unsafe_archives_are_refused(
    tmp_path: Path, members: tuple[tuple[str, str, str], ...], reason: str
) -> None:
    path = _tar(tmp_path / "bad.tar", *members)
    with pytest.raises(UnsafeArchive, match=reason):
        check_archive(path)
    with pytest.raises(UnsafeArchive, match=reason):
        prepare_source(path)


def test_not_a_tar_and_empty_file_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello\n" * 100)
    empty = tmp_path / "empty.tar"
    empty.write_bytes(b"")
    for path in (text, empty, tmp_path / "missing.tar"):
        with pytest.raises(UnsafeArchive):
            prepare_source(path)


def test_safe_links_are_kept_and_compressed_tars_accepted(tmp_path: Path) -> None:
    plain = _tar(
        tmp_path / "ok.tar",
        ("d", ".", ""),
        ("d", "wheels-v8", ""),
        ("f", "wheels-v8/a", "data"),
        ("h", "wheels-v8/b", "wheels-v8/a"),
        ("l", "env-python", "/usr/bin/python3"),
        ("l", "wheels-v8/rel", "../wheels-v8/a"),
    )
    summary = check_archive(plain)
    assert summary.entries == 6
    assert summary.top_level == {"wheels-v8", "env-python"}
    packed = tmp_path / "ok.tar.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    source = prepare_source(packed)
    try:
        assert source.summary.names == summary.names
        assert source.tarball.read_bytes() == plain.read_bytes()
    finally:
        source.close()


def test_extract_keeps_hardlinks_symlinks_modes(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "file").write_text("x" * 5000)
    os.link(tree / "sub" / "file", tree / "hard")
    (tree / "sym").symlink_to("sub/file")
    (tree / "abs").symlink_to("/usr/bin/python3")
    os.chmod(tree / "sub" / "file", 0o640)
    (tree / "ro").mkdir()
    (tree / "ro" / "inner").write_text("y")
    os.chmod(tree / "ro", 0o555)
    tarball = tmp_path / "tree.tar"
    made = tar_directory(tree, tarball)
    out = tmp_path / "out"
    out.mkdir()
    with open(tarball, "rb") as stream:
        got = extract_stream(stream, out)
    assert got.names == made.names
    assert os.stat(out / "hard").st_ino == os.stat(out / "sub" / "file").st_ino
    assert os.readlink(out / "sym") == "sub/file"
    assert os.readlink(out / "abs") == "/usr/bin/python3"
    assert stat.S_IMODE(os.stat(out / "sub" / "file").st_mode) == 0o640
    assert stat.S_IMODE(os.stat(out / "ro").st_mode) == 0o555
    assert (out / "ro" / "inner").read_text() == "y"
    os.chmod(out / "ro", 0o755)
    os.chmod(tree / "ro", 0o755)


def test_a_directory_with_an_escaping_symlink_is_refused(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "up").symlink_to("../../etc")
    with pytest.raises(UnsafeArchive, match="points outside"):
        prepare_source(tree)


def test_helper_dockerfiles_are_literal() -> None:
    key = CacheKey("${UV_CACHE_DIR}", uid=1000, gid=1000, mode=0o755)
    legacy = reader_dockerfile(key, "busybox:stable", "uvctnonce", expand=False, data=True)
    modern = reader_dockerfile(key, "busybox:stable", "uvctnonce", expand=True, data=True)
    for text in (legacy, modern):
        assert text.startswith("FROM scratch\nRUN ")
        assert "ARG" not in text and "ENV" not in text
        assert "readonly,sharing=locked" in text
        assert "uid=1000,gid=1000,mode=0755" in text
        assert "reader-uvctnonce" in text
    assert "id=${UV_CACHE_DIR}," in legacy
    assert "id=\\${UV_CACHE_DIR}," in modern
    imported = importer_dockerfile(CacheKey("/root/.cache/uv"), "img", "n1", expand=True)
    assert "target=/root/.cache/uv,sharing=locked" in imported
    assert "readonly" not in imported
    assert "type=bind,source=cache.tar,target=/.src.tar" in imported
    assert CacheKey("uv").target == "/.m/uv"
    assert CacheKey("/proc/x").target == "/.m"


@pytest.mark.parametrize("bad", ["", "a b", "a,b", 'a"b', "a\\b"])
def test_keys_that_cannot_be_written_literally(bad: str) -> None:
    with pytest.raises(ValueError):
        CacheKey(bad)


def test_helper_image_precedence() -> None:
    assert helper_image(None, {}) == DEFAULT_HELPER_IMAGE
    assert helper_image(None, {HELPER_IMAGE_ENV: "my/bb:1"}) == "my/bb:1"
    assert helper_image("opt:2", {HELPER_IMAGE_ENV: "my/bb:1"}) == "opt:2"


def _mount(description: str) -> BuildCacheRecord:
    return BuildCacheRecord(id="m1", type="exec.cachemount", description=description)


def test_candidate_keys() -> None:
    (legacy16180,) = cache_mounts(
        [_mount("cached mount /build/${UV_CACHE_DIR} from exec /bin/sh -c uv sync")]
    )
    keys = candidate_keys(legacy16180, KeyOptions())
    assert [k.id for k in keys] == ["/build/${UV_CACHE_DIR}", "${UV_CACHE_DIR}"]
    (modern,) = cache_mounts(
        [_mount('cached mount /x from exec /bin/sh -c true with id "ns//root/.cache/uv"')]
    )
    (key,) = candidate_keys(modern, KeyOptions(uid=1, gid=2, mode=0o700))
    assert (key.id, key.namespace, key.uid, key.gid, key.mode) == (
        "/root/.cache/uv",
        "ns",
        1,
        2,
        0o700,
    )
    (given,) = candidate_keys(modern, KeyOptions(id="other"))
    assert (given.id, given.namespace) == ("other", "")


def test_cleanup_picks_only_the_helpers_records() -> None:
    before = {"old"}
    records = (
        BuildCacheRecord("old", "regular", "mount / from exec reader-N1"),
        BuildCacheRecord("exec", "regular", "mount / from exec sh -c : reader-N1; tar"),
        BuildCacheRecord("mnt", "exec.cachemount", "cached mount /.m from exec : reader-N1"),
        BuildCacheRecord("base", "regular", "fileop target"),
        BuildCacheRecord(
            "mnt2", "exec.cachemount", "cached mount /.m from exec x N1", (), parents=("base",)
        ),
        BuildCacheRecord("ctx", "source.local", "local source for context"),
        BuildCacheRecord("other", "exec.cachemount", "cached mount /y from exec someone else"),
    )
    targets, mounts = helper_records(records, before, "N1", keep_mounts=False)
    assert set(targets) == {"exec", "mnt", "mnt2", "base", "ctx"}
    assert targets.index("mnt2") < targets.index("base")
    assert set(mounts) == {"mnt", "mnt2"}
    kept, _ = helper_records(records, before, "N1", keep_mounts=True)
    assert set(kept) == {"exec", "ctx"}


def test_listing_and_uv_version() -> None:
    text = "12 1 8 4096 41ed 0:0 1700000000 .\n13 2 8 5 81a4 0:0 1700000000 ./a b/c\n"
    assert parse_listing(text) == {".", "a b/c"}
    assert newest_writer(["wheels-v8", "archive-v0", "CACHEDIR.TAG"]) == "0.13.9"
    assert newest_writer(["something"]) is None


def test_streaming_command_is_bounded_and_streams() -> None:
    env = dict(os.environ)
    echoed = run_streaming(["cat"], stdin=b"hello", sink=lambda s: s.read(), timeout=10, env=env)
    assert (echoed.value, echoed.returncode) == (b"hello", 0)
    started = time.monotonic()
    with pytest.raises(StreamTimeout):
        run_streaming(
            ["sh", "-c", "sleep 30 & sleep 30"], stdin=b"", sink=lambda s: s.read(),
            timeout=0.5, env=env,
        )  # fmt: skip
    assert time.monotonic() - started < 5  # the grandchild holding stdout was killed too

    def refuse(stream: object) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        run_streaming(["sh", "-c", "yes | head -c 1000000"], stdin=b"", sink=refuse,
                      timeout=10, env=env)  # fmt: skip
