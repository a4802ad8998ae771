"""`buildkit export|import --dockerfile`: the CI recipe in two lines, end to end on both
engines (build, export, prune every record of the id, import, offline `uv sync`), and its
bad input before Docker is asked anything."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.cli.test_cli_buildkit import cli, nowhere, one_line_usage_error
from tests.cli.test_cli_buildkit_mounts import helper
from tests.core.buildkit.scenarios import build_16180
from tests.core.buildkit.test_transfer import new_records
from tests.core.buildkit.transfer_scenarios import build_uv_mount, consume, mount_records
from tests.dockerenv import Tracker


@pytest.mark.docker
def test_the_ci_recipe_in_two_lines(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    env = engine.env()
    mount = build_uv_mount(tracked, tmp_path / "writer")
    dockerfile = str(mount.directory / "Dockerfile")
    ci = tmp_path / "ci-cache"
    before = engine.record_ids()

    exported = cli("export", "--dockerfile", dockerfile, "--to", str(ci), *helper(engine),
                   "--json", env=env)  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    document = json.loads(exported.stdout)
    (export,) = document["exports"]
    assert export["key"] == {"namespace": "", "id": mount.cache_id, "uid": None,
                             "gid": None, "mode": None}  # fmt: skip
    assert export["holds_uv_cache"] and export["entries"] > 10
    name = Path(export["path"]).name
    assert sorted(os.listdir(ci)) == [name, name + ".manifest.json"]
    manifest = json.loads((ci / (name + ".manifest.json")).read_text())
    assert manifest["key"]["id"] == mount.cache_id
    assert manifest["dockerfile"]["lines"] == [6]  # the RUN of WRITER
    assert new_records(engine, before) == []

    # The next CI job's builder has nothing of that id.
    assert engine.prune_ids(mount_records(mount))
    assert mount_records(mount) == []

    preview = cli("import", "--dockerfile", dockerfile, str(ci), "--dry-run", *helper(engine),
                  env=env)  # fmt: skip
    assert preview.returncode == 0, preview.stderr
    assert name in preview.stdout and mount.cache_id in preview.stdout
    assert mount_records(mount) == []

    imported = cli("import", "--dockerfile", dockerfile, str(ci), "--yes", *helper(engine),
                   "--json", env=env)  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    result = json.loads(imported.stdout)
    (step,) = result["imports"]
    assert step["key"]["id"] == mount.cache_id and step["result"]["verified"] is True
    (created,) = step["result"]["created_records"]
    assert mount_records(mount) == [created]
    assert result["not_found"] == [] and result["notes"] == []
    assert consume(mount, tmp_path / "consumer"), "uv sync failed after the import"


@pytest.mark.docker
def test_the_16180_dockerfile_is_keyed_as_its_engine_keys_it(
    tracked: Tracker, tmp_path: Path
) -> None:
    """`${UV_CACHE_DIR}` in the target: expanded on Engine >= 23, the raw text on 20.10
    (where the mount stays empty); either way the export finds the cache the build used."""
    engine = tracked.engine
    _, _ = build_16180(tracked, tmp_path / "ctx")
    ci = tmp_path / "ci"
    exported = cli("export", "--dockerfile", str(tmp_path / "ctx" / "Dockerfile"), "--to",
                   str(ci), *helper(engine), "--json", env=engine.env())  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    (export,) = json.loads(exported.stdout)["exports"]
    if engine.legacy:
        assert export["key"]["id"] == "${UV_CACHE_DIR}" and not export["holds_uv_cache"]
    else:
        assert export["key"]["id"] == "/application/cache/uv" and export["holds_uv_cache"]
        assert export["entries"] > 10


@pytest.mark.docker
def test_first_run_nothing_exported_yet(tracked: Tracker, tmp_path: Path) -> None:
    """The first CI job: an empty cache directory imports nothing and succeeds; a key never
    built cannot be exported (exit 1) and leaves no record."""
    engine = tracked.engine
    env = engine.env()
    (tmp_path / "Dockerfile").write_text(
        f"FROM {engine.base_image}\n"
        f"RUN --mount=type=cache,id=uvct-never-{os.getpid()},target=/root/.cache/uv uv sync\n"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    before = engine.record_ids()
    for saved in (empty, tmp_path / "not-yet"):  # an empty directory, or none at all
        imported = cli("import", "--dockerfile", str(tmp_path / "Dockerfile"), str(saved),
                       "--yes", *helper(engine), env=env)  # fmt: skip
        assert imported.returncode == 0, imported.stderr
        assert "nothing to import" in imported.stdout
    exported = cli("export", "--dockerfile", str(tmp_path / "Dockerfile"), "--to",
                   str(tmp_path / "out"), *helper(engine), env=env)  # fmt: skip
    assert exported.returncode == 1 and "no cache mount of" in exported.stderr
    assert "not built yet" in exported.stdout
    assert os.listdir(tmp_path / "out") == []
    assert new_records(engine, before) == []


def test_dockerfile_form_bad_input(tmp_path: Path) -> None:
    env = nowhere(tmp_path)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM x\nRUN --mount=type=cache,target=/root/.cache/uv uv sync\n")
    stranger = tmp_path / "notes"
    stranger.mkdir()
    (stranger / "README").write_text("mine\n")
    cases = [
        (["export", "abcd", "--dockerfile", str(dockerfile), "--to", str(tmp_path / "o")],
         "not both"),
        (["export", "--dockerfile", str(dockerfile), "--id", "x", "--to", str(tmp_path / "o")],
         "--id cannot go with --dockerfile"),
        (["export", "--to", str(tmp_path / "o")], "or --dockerfile"),
        (["export", "--dockerfile", str(dockerfile), "--to", str(stranger)], "not exports"),
        (["import", "--dockerfile", str(dockerfile), str(dockerfile), "--yes"],
         "is not a directory"),
        (["export", "abcd", "--build-arg", "A=1", "--to", str(tmp_path / "o.tar")],
         "--build-arg goes with --dockerfile"),
    ]  # fmt: skip
    for args, expected in cases:
        line = one_line_usage_error(cli(*args, env=env))
        assert expected in line, (args, line)
    assert sorted(os.listdir(tmp_path)) == ["Dockerfile", "notes"]
