"""`uvcache-tui buildkit show|export|import` end to end, as a subprocess, on both engines,
and their bad input (the issue's list): exit codes, one-line errors, nothing left."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import run_cli
from tests.cli.test_cli_buildkit import cli, cli_with_tty, ls_json, nowhere, one_line_usage_error
from tests.core.buildkit.scenarios import build_16180
from tests.core.buildkit.test_transfer import new_records
from tests.core.buildkit.transfer_scenarios import UvMount, build_uv_mount, consume, mount_records
from tests.dockerenv import Engine, Tracker, token


def failed_one_line(result: subprocess.CompletedProcess[str]) -> str:
    """Exit 1 with one `uvcache-tui: …` line on stderr (no traceback)."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("uvcache-tui: "), result.stderr
    return lines[0]


def helper(engine: Engine) -> list[str]:
    """The locally imported busybox: there is no registry here."""
    return ["--helper-image", engine.busybox_image]


def listed_mount(engine: Engine, record_id: str) -> dict[str, Any]:
    (builder,) = ls_json(engine.env())["builders"]
    (mount,) = [m for m in builder["mounts"] if m["id"] == record_id]
    return dict(mount)


@pytest.fixture
def uv_mount(tracked: Tracker, tmp_path: Path) -> UvMount:
    return build_uv_mount(tracked, tmp_path / "writer")


@pytest.mark.docker
def test_show_json(uv_mount: UvMount, tmp_path: Path) -> None:
    engine = uv_mount.engine
    before_read = listed_mount(engine, uv_mount.record_id)
    result = cli(
        "show", uv_mount.record_id, "--id", uv_mount.cache_id, *helper(engine), "--json",
        env=engine.env(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    # The record as it was before the read (`buildkit ls` adds its measured true size).
    assert document["mount"] == {k: before_read[k] for k in document["mount"]}
    assert document["key"]["id"] == uv_mount.cache_id
    assert [p["name"] for p in document["packages"]] == ["uvcttiny"]

    export = cli(
        "export", uv_mount.record_id, "--id", uv_mount.cache_id, "--to", str(tmp_path / "copy"),
        *helper(engine), env=engine.env(),
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    shown = run_cli("show", str(tmp_path / "copy"), "--json")
    assert shown.returncode == 0, shown.stderr
    local = json.loads(shown.stdout)
    assert set(local) <= set(document)
    assert document["totals"] == local["totals"]
    assert [p["name"] for p in document["packages"]] == [p["name"] for p in local["packages"]]

    text = cli("show", uv_mount.record_id, "--id", uv_mount.cache_id, *helper(engine),
               env=engine.env())  # fmt: skip
    assert text.returncode == 0, text.stderr
    assert "uvcttiny" in text.stdout and uv_mount.record_id in text.stdout


@pytest.mark.docker
def test_disk_and_reader_give_the_same_model(uv_mount: UvMount) -> None:
    """The fast path (the mount's directory here, no build) and the reader build open the
    same cache: totals, buckets, packages and wheels agree; only how it was read differs."""
    engine = uv_mount.engine
    documents = {}
    for via in ("disk", "reader"):
        result = cli(
            "show", uv_mount.record_id, "--id", uv_mount.cache_id, *helper(engine), "--json",
            "--via", via, env=engine.env(),
        )  # fmt: skip
        assert result.returncode == 0, (via, result.stderr)
        documents[via] = json.loads(result.stdout)
    disk, reader = documents["disk"], documents["reader"]
    assert disk["read"]["via"] == "on-disk" and reader["read"]["via"] == "reader-build"
    assert disk["read"]["path"] and reader["path"] is None
    for key in ("totals", "buckets", "packages", "archives", "uv_version_inside", "key"):
        assert disk[key] == reader[key], key
    assert disk["mount"]["id"] == reader["mount"]["id"] == uv_mount.record_id
    # The default takes the fast path where it opens a uv cache, unless a key is asked for:
    # that is what the reader mounts.
    auto = cli("show", uv_mount.record_id, *helper(engine), "--json", env=engine.env())
    assert json.loads(auto.stdout)["read"]["via"] == "on-disk"
    keyed = cli(
        "show", uv_mount.record_id, "--id", uv_mount.cache_id, *helper(engine), "--json",
        env=engine.env(),
    )  # fmt: skip
    assert json.loads(keyed.stdout)["read"]["via"] == "reader-build"


@pytest.mark.docker
def test_export_then_import_with_replace(uv_mount: UvMount, tmp_path: Path) -> None:
    engine = uv_mount.engine
    env = engine.env()
    target = tmp_path / "ci" / "uv-cache.tar"
    target.parent.mkdir()
    before = engine.record_ids()
    export = cli(
        "export", uv_mount.record_id, "--id", uv_mount.cache_id, "--to", str(target),
        *helper(engine), "--json", env=env,
    )  # fmt: skip
    assert export.returncode == 0, export.stderr
    exported = json.loads(export.stdout)
    assert exported["kind"] == "tar" and exported["entries"] > 10
    assert sorted(os.listdir(target.parent)) == ["uv-cache.tar", "uv-cache.tar.manifest.json"]
    assert new_records(engine, before) == []

    # an action: without --yes and without a terminal it refuses before asking Docker
    refused = cli("import", str(target), *helper(engine), env=env)
    assert "pass --yes" in one_line_usage_error(refused)
    declined = cli_with_tty("import", str(target), *helper(engine), env=env, answer="n")
    assert declined.returncode == 2 and "declined" in declined.stderr

    if engine.legacy:
        # Engine 20.10 does not show cache ids: --replace cannot find the records
        refused = cli("import", str(target), "--replace", "--yes", *helper(engine), env=env)
        assert "buildkit prune ID" in one_line_usage_error(refused)
        pruned = cli("prune", uv_mount.record_id, "--yes", env=env)
        assert pruned.returncode == 0, pruned.stderr
        replace: list[str] = []
    else:
        preview = cli("import", str(target), "--replace", "--dry-run", *helper(engine), env=env)
        assert preview.returncode == 0, preview.stderr
        assert uv_mount.record_id in preview.stdout and "--replace" in preview.stdout
        replace = ["--replace"]
    assert mount_records(uv_mount) == [] or not engine.legacy

    imported = cli("import", str(target), *replace, "--yes", *helper(engine), "--json", env=env)
    assert imported.returncode == 0, imported.stderr
    document = json.loads(imported.stdout)
    assert document["key"]["id"] == uv_mount.cache_id  # read from the manifest
    if replace:
        assert document["prune_result"]["deleted"] == [uv_mount.record_id]
    assert document["result"]["verified"] is True
    (created,) = document["result"]["created_records"]
    assert mount_records(uv_mount) == [created]
    assert consume(uv_mount, tmp_path / "consumer")


@pytest.mark.docker
def test_bad_keys_and_images_on_an_engine(uv_mount: UvMount) -> None:
    engine = uv_mount.engine
    env = engine.env()
    before = engine.record_ids()
    wrong = cli("show", uv_mount.record_id, "--id", uv_mount.cache_id, "--uid", "1000",
                "--gid", "1000", *helper(engine), env=env)  # fmt: skip
    assert "no cache with that key (uid/gid/mode or id differ?)" in failed_one_line(wrong)
    missing = cli("show", uv_mount.record_id, "--id", uv_mount.cache_id,
                  "--helper-image", f"uvct-missing-{token()}:1", env=env)  # fmt: skip
    assert "--helper-image" in failed_one_line(missing)
    unknown = cli("show", f"nosuch{token()}", *helper(engine), env=env)
    assert "no cache mount" in one_line_usage_error(unknown)
    assert new_records(engine, before) == []


DOCKERFILE_TWINS = """\
FROM {busybox}
RUN --mount=type=cache,id={tok},target=/twin echo {tok} a > /twin/f
RUN --mount=type=cache,id={tok},target=/twin,uid=1000,gid=1000 echo {tok} b > /twin/f
"""


@pytest.mark.docker
def test_an_ambiguous_mount_names_the_candidates(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    tok = token()
    (tmp_path / "Dockerfile").write_text(
        DOCKERFILE_TWINS.format(busybox=engine.busybox_image, tok=tok)
    )
    tracked.images.append(f"uvct-twins-{tok}")
    engine.build(tmp_path, tag=f"uvct-twins-{tok}")
    ids = [r["ID"] for r in engine.records() if f"echo {tok}" in r["Description"]
           and r["Type"] == "exec.cachemount"]  # fmt: skip
    assert len(ids) == 2
    # Engine >= 25 shows the id, 20.10 only the target: both are the same for the twins
    name = tok if not engine.legacy else "/twin"
    result = cli("show", name, *helper(engine), env=engine.env())
    line = one_line_usage_error(result)
    assert all(record_id in line for record_id in ids), line


def test_import_refuses_bad_sources_before_docker(tmp_path: Path) -> None:
    env = nowhere(tmp_path)  # nothing may reach a builder: there is none
    text = tmp_path / "notes.tar"
    text.write_text("not a tar\n" * 50)
    escaping = tmp_path / "escape.tar"
    with tarfile.open(escaping, "w") as archive:
        info = tarfile.TarInfo("../../etc/cron.d/x")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"x\n"))
    absolute = tmp_path / "absolute.tar"
    with tarfile.open(absolute, "w") as archive:
        info = tarfile.TarInfo("wheels-v8/ok")
        archive.addfile(info, io.BytesIO(b""))
        link = tarfile.TarInfo("wheels-v8/evil")
        link.type = tarfile.LNKTYPE
        link.linkname = "/etc/shadow"
        archive.addfile(link)
    for source, reason in ((text, "not a readable tar"), (escaping, "'..'"),
                           (absolute, "points outside")):  # fmt: skip
        result = cli("import", str(source), "--id", "x", "--yes", env=env)
        line = one_line_usage_error(result)
        assert "refused" in line and reason in line, line
    plain = tmp_path / "plain.tar"
    with tarfile.open(plain, "w") as archive:
        archive.addfile(tarfile.TarInfo("CACHEDIR.TAG"), io.BytesIO(b""))
    assert "--id" in one_line_usage_error(cli("import", str(plain), "--yes", env=env))


def test_engine_down_or_silent_is_a_quick_error(tmp_path: Path) -> None:
    env = nowhere(tmp_path)
    for args in (["show", "abcd"], ["export", "abcd", "--to", str(tmp_path / "x.tar")]):
        started = time.monotonic()
        line = failed_one_line(cli(*args, env=env))
        assert "not reachable" in line and time.monotonic() - started < 15
    silent_path = tmp_path / "silent.sock"
    with socket.socket(socket.AF_UNIX) as silent:
        silent.bind(str(silent_path))
        silent.listen(8)  # accepts connections, never answers
        env["DOCKER_HOST"] = f"unix://{silent_path}"
        started = time.monotonic()
        result = cli("show", "abcd", "--connect-timeout", "2", env=env)
        assert time.monotonic() - started < 20
    assert "not reachable" in failed_one_line(result)
    assert "x.tar" not in os.listdir(tmp_path)


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs (root only): an export of any uv cache fills it."""
    place = tmp_path / "full"
    place.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(place)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr!r}")
    try:
        yield place
    finally:
        subprocess.run(["umount", str(place)], check=True)


@pytest.mark.docker
@pytest.mark.parametrize("kind", ["uv-cache.tar", "uv-cache-dir"])
def test_export_to_a_full_disk_or_unwritable_path_leaves_nothing(
    uv_mount: UvMount, full_disk: Path, kind: str
) -> None:
    engine = uv_mount.engine
    env = engine.env()
    before = engine.record_ids()
    big = full_disk / "filler"
    big.write_bytes(b"\0" * 40 * 1024)
    result = cli("export", uv_mount.record_id, "--id", uv_mount.cache_id,
                 "--to", str(full_disk / kind), *helper(engine), env=env)  # fmt: skip
    assert "export to" in failed_one_line(result)
    assert os.listdir(full_disk) == ["filler"]
    unwritable = cli("export", uv_mount.record_id, "--to", "/proc/uvct-export.tar",
                     *helper(engine), env=env)  # fmt: skip
    assert "cannot write to /proc" in failed_one_line(unwritable)
    assert new_records(engine, before) == []


@pytest.mark.docker
def test_show_the_16180_seed(tracked: Tracker, tmp_path: Path) -> None:
    """The issue's seed: on Engine 20.10 the mount is keyed by the raw `${UV_CACHE_DIR}`
    (found although the record shows `/build/${UV_CACHE_DIR}`) and is empty, the cache
    having gone into the image; on Engine >= 23 it holds uv's cache."""
    engine = tracked.engine
    tok, _ = build_16180(tracked, tmp_path / "ctx")
    (record,) = [r for r in engine.records()
                 if r["Type"] == "exec.cachemount" and tok in r["Description"]]  # fmt: skip
    shown = cli("show", record["ID"], *helper(engine), "--json", env=engine.env())
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    if engine.legacy:
        assert document["key"]["id"] == "${UV_CACHE_DIR}"
        assert document["totals"]["files"] == 0 and document["packages"] == []
        text = cli("show", record["ID"], *helper(engine), env=engine.env())
        assert "unexpanded variable" in text.stdout
    else:
        assert document["key"]["id"] == "/application/cache/uv"
        assert [p["name"] for p in document["packages"]] == ["uvcttiny"]
