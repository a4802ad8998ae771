"""`uvcache-tui buildkit uv-prune|uv-clean MOUNT` end to end, as a subprocess, on both
engines: the preview is what goes, a dry run changes nothing, bad input is refused before
anything reaches a builder, and no helper record is left behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli_buildkit import cli, cli_with_tty, nowhere, one_line_usage_error
from tests.cli.test_cli_buildkit_mounts import failed_one_line, helper
from tests.core.buildkit.test_transfer import new_records
from tests.core.buildkit.transfer_scenarios import UvMount, build_uv_mount
from tests.dockerenv import Engine, Tracker, token, wait_for
from uvcache_tui.core.pathset import list_paths, outermost, removed_paths


@pytest.fixture
def uv_mount(tracked: Tracker, tmp_path: Path) -> UvMount:
    return build_uv_mount(tracked, tmp_path / "writer")


def images(engine: Engine) -> list[str]:
    """The locally imported images: the base one has uv 0.13.9, busybox reads."""
    return ["--uv-image", engine.base_image, *helper(engine)]


def state_env(engine: Engine, tmp_path: Path) -> dict[str, str]:
    return engine.env(UVCACHE_TUI_STATE_DIR=str(tmp_path / "state"))


def witness(mount: UvMount, into: Path) -> Path:
    """The mount as it is now, exported and extracted (independent of uv-prune's result)."""
    engine = mount.engine
    tar = into.with_suffix(".tar")
    result = cli("export", mount.record_id, "--id", mount.cache_id, "--to", str(tar),
                 *helper(engine), env=engine.env())  # fmt: skip
    assert result.returncode == 0, result.stderr
    into.mkdir()
    with tarfile.open(tar) as archive:
        archive.extractall(into, numeric_owner=True, filter="fully_trusted")
    return into


def document(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def gone_between(before: Path, after: Path) -> list[str]:
    return outermost(removed_paths(list_paths(str(before)), list_paths(str(after))))


@pytest.mark.docker
@pytest.mark.parametrize(
    "command", [["uv-prune", "--ci"], ["uv-clean", "uvcttiny"]], ids=["prune-ci", "clean"]
)
def test_the_preview_is_what_goes(uv_mount: UvMount, tmp_path: Path, command: list[str]) -> None:
    engine = uv_mount.engine
    env = state_env(engine, tmp_path)
    subcommand, *rest = command
    args = [subcommand, uv_mount.record_id, *rest, "--id", uv_mount.cache_id, *images(engine)]
    first = witness(uv_mount, tmp_path / "first")
    before = engine.record_ids()

    preview = document(cli(*args, "--dry-run", "--json", env=env))
    predicted = sorted(entry["path"] for entry in preview["entries"])
    assert predicted, "the scenario must give uv something to remove"
    assert preview["uv_version"] == "0.13.9" and preview["read"]["via"] == "reader-build"
    assert preview["argv"][:2] == ["uv", "cache"] and preview["uv_image"] == engine.base_image
    if subcommand == "uv-clean":
        assert preview["argv"][-2:] == ["--", "uvcttiny"]
    assert new_records(engine, before) == []
    # a dry run changes nothing inside the mount (its UsageCount aside: the reader reads it)
    second = witness(uv_mount, tmp_path / "second")
    assert gone_between(first, second) == []
    assert not (tmp_path / "state" / "audit.log").exists()

    done = document(cli(*args, "--yes", "--json", env=env))
    assert done["uv_exit_code"] == 0 and done["command"] == preview["command"]
    assert done["unpredicted"] == [] and done["still_present"] == []
    assert done["freed_bytes"] == preview["totals"]["reclaimable_bytes"]
    assert done["helper_records_left"] == []
    # the probe, the read, the run and the read again: each left its exec layer to prune
    assert len(done["helper_records_pruned"]) >= 4
    assert new_records(engine, before) == []
    third = witness(uv_mount, tmp_path / "third")
    assert gone_between(second, third) == predicted
    audit = (tmp_path / "state" / "audit.log").read_text().splitlines()
    assert [json.loads(line)["status"] for line in audit] == ["started", "done"]
    assert all(uv_mount.record_id in json.loads(line)["cache"] for line in audit)

    # text output, nothing left to remove now: the same preview and result sentences
    again = cli(*args, "--yes", env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing to remove" in again.stdout and "Freed 0 B" in again.stdout


def test_hostile_names_are_refused_before_docker(tmp_path: Path) -> None:
    env = nowhere(tmp_path)  # nothing may reach a builder: there is none
    for names in (["--", "--verbose"], ["--", "-v"], ["uvct\udcff"], ["a b"], ["x;rm"]):
        line = one_line_usage_error(cli("uv-clean", "abcd", *names, "--yes", env=env))
        assert "is not a package name" in line, line
    option = cli("uv-clean", "abcd", "-v", "--yes", env=env)
    assert option.returncode == 2 and "unrecognized arguments: -v" in option.stderr
    refused = cli("uv-prune", "abcd", env=env)
    assert "pass --yes" in one_line_usage_error(refused)
    bad_image = cli("uv-prune", "abcd", "--uv-image", "a,b", "--yes", env=env)
    assert "uv image" in one_line_usage_error(bad_image)


@pytest.mark.docker
def test_a_missing_uv_image_names_the_option(uv_mount: UvMount, tmp_path: Path) -> None:
    engine = uv_mount.engine
    before = engine.record_ids()
    result = cli("uv-prune", uv_mount.record_id, "--id", uv_mount.cache_id, "--yes",
                 "--uv-image", f"uvct-missing-{token()}:1", *helper(engine),
                 env=state_env(engine, tmp_path))  # fmt: skip
    line = failed_one_line(result)
    assert "--uv-image" in line and "UVCACHE_TUI_UV_IMAGE" in line
    assert new_records(engine, before) == []
    declined = cli_with_tty("uv-prune", uv_mount.record_id, "--id", uv_mount.cache_id,
                            *images(engine), env=engine.env(), answer="n")  # fmt: skip
    assert declined.returncode == 2 and "declined" in declined.stderr
    assert new_records(engine, before) == []


HOLDER = """\
FROM {busybox}
ARG NONCE
RUN --mount=type=cache,id={cache_id},target=/held echo "$NONCE" && sleep {seconds}
"""


@pytest.mark.docker
def test_a_mount_in_use_is_refused_or_waited_for(uv_mount: UvMount, tmp_path: Path) -> None:
    engine = uv_mount.engine
    context = tmp_path / "holder"
    context.mkdir()
    (context / "Dockerfile").write_text(
        HOLDER.format(busybox=engine.busybox_image, cache_id=uv_mount.cache_id, seconds=30)
    )
    holder = subprocess.Popen(
        [engine.docker_bin, "build", "--network", "none", "--build-arg",
         f"NONCE={token()}", str(context)],
        env=engine.env(DOCKER_BUILDKIT="1"), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def in_use() -> bool:
            return any(r["ID"] == uv_mount.record_id and r["InUse"] for r in engine.records())

        wait_for(in_use, "the holder build to use the mount", timeout=60)
        args = ["uv-prune", uv_mount.record_id, "--id", uv_mount.cache_id, "--yes",
                *images(engine)]  # fmt: skip
        refused = cli(*args, env=state_env(engine, tmp_path))
        assert refused.returncode == 3, refused.stderr
        assert "a build is using the cache mount" in refused.stderr
        assert "--wait-for-builds" in refused.stderr
        assert not (tmp_path / "state" / "audit.log").exists()
        started = time.monotonic()
        waited = cli(*args, "--wait-for-builds", "120", env=state_env(engine, tmp_path))
        assert waited.returncode == 0, waited.stderr
        assert holder.poll() is not None and time.monotonic() - started > 1
    finally:
        holder.kill() if holder.poll() is None else None
        holder.wait()


SLOW_UV = """\
FROM {base}
RUN mv /usr/local/bin/uv /usr/local/bin/uv-real \\
 && printf '#!/bin/sh\\nif [ "$1" = cache ]; then echo slow-uv-waiting >&2; sleep 300; fi\\nexec /usr/local/bin/uv-real "$@"\\n' > /usr/local/bin/uv \\
 && chmod 0755 /usr/local/bin/uv
"""
"""A uv image whose `uv cache …` waits five minutes before running: a run to interrupt."""


@pytest.mark.docker
def test_an_interrupted_run_is_measured_and_logged(
    uv_mount: UvMount, tracked: Tracker, tmp_path: Path
) -> None:
    """SIGINT while uv's helper build runs: the build is stopped and its records removed,
    the mount is read again, the result says what went (here nothing: uv never started
    deleting), the audit log's final line is `interrupted` with the measured bytes, exit 130."""
    engine = uv_mount.engine
    context = tmp_path / "slow-uv"
    context.mkdir()
    (context / "Dockerfile").write_text(SLOW_UV.format(base=engine.base_image))
    image = f"uvct-slow-uv-{token()}:1"
    engine.build(context, tag=image)
    tracked.images.append(image)
    env = state_env(engine, tmp_path)
    first = witness(uv_mount, tmp_path / "first")
    before = engine.record_ids()
    audit = tmp_path / "state" / "audit.log"
    argv = [sys.executable, "-m", "uvcache_tui", "buildkit", "uv-prune", uv_mount.record_id,
            "--id", uv_mount.cache_id, "--uv-image", image, *helper(engine), "--yes", "--json"]  # fmt: skip
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        wait_for(lambda: audit.exists() and audit.read_text().strip(), "the started line", 240)
        time.sleep(2.0)  # the helper build under way (a stop before it starts is the same)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (out, err)
    done = json.loads(out)
    assert done["interrupted"] is True and done["uv_exit_code"] is None
    assert done["removed_paths"] == 0 and done["freed_bytes"] == 0
    assert done["reread"] is not None
    assert done["helper_records_left"] == []
    assert new_records(engine, before) == []
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [line["status"] for line in lines] == ["started", "interrupted"]
    assert lines[-1]["freed_bytes"] == 0 and lines[-1]["removed_paths"] == 0
    second = witness(uv_mount, tmp_path / "second")
    assert gone_between(first, second) == []
