"""`uvcache-tui doctor` end to end, as a subprocess: exit codes, text, JSON, and the builder
cross-check against the real engines (Engine 20.10 keeps `${UV_CACHE_DIR}` literal, 28.5
expands it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import run_cli
from tests.cli.test_cli_buildkit import nowhere, one_line_usage_error
from tests.core.buildkit.scenarios import build_16180
from tests.core.doctor.test_findings import MOTIVATING, UV_DOCKER_EXAMPLE
from tests.dockerenv import Tracker, token, wait_for


def doctor(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_cli("doctor", *args, env=env)


def write(tmp_path: Path, text: str, name: str = "Dockerfile") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def as_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    env = nowhere(tmp_path)
    line = one_line_usage_error(doctor(str(tmp_path / "missing"), "--no-engine", env=env))
    assert "cannot read" in line and "missing" in line
    broken = write(tmp_path, "FROM x\nRUN a\nRUN <<EOF\nabc\n")
    line = one_line_usage_error(doctor(broken, "--no-engine", env=env))
    assert line == f"uvcache-tui: {broken}:3: unterminated heredoc"
    line = one_line_usage_error(
        doctor(write(tmp_path, "RUN uv sync\n", "x"), "--no-engine", env=env)
    )
    assert "no FROM instruction" in line
    one_line_usage_error(doctor(broken, "--fail-on", "never", env=env))
    one_line_usage_error(doctor(broken, "--timeout", "0", env=env))


def test_tui_options_before_a_command_are_refused(tmp_path: Path) -> None:
    """`--dockerfile`/`--image` open the TUI's Doctor view; `doctor` has its own."""
    env = nowhere(tmp_path)
    path = write(tmp_path, UV_DOCKER_EXAMPLE)
    line = one_line_usage_error(run_cli("--dockerfile", path, "doctor", path, env=env))
    assert "argument --dockerfile: an option of the TUI (as a command: doctor PATH)" in line
    line = one_line_usage_error(run_cli("--image", "x", "ls", "--no-docker", env=env))
    assert "argument --image: an option of the TUI (as a command: doctor --image IMAGE)" in line
    assert doctor(path, "--no-engine", env=env).returncode == 0


def test_non_utf8_and_directory(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_bytes(b"FROM x\nRUN echo \xff && uv sync\n")
    result = doctor(str(bad), "--no-engine", env=nowhere(tmp_path))
    assert result.returncode == 1 and "UVD001" in result.stdout, result.stderr
    line = one_line_usage_error(doctor(str(tmp_path), "--no-engine", env=nowhere(tmp_path)))
    assert "Is a directory" in line


def test_motivating_on_20_10_text_and_exit_1(tmp_path: Path) -> None:
    result = doctor(
        write(tmp_path, MOTIVATING), "--engine-version", "20.10.24", env=nowhere(tmp_path)
    )
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "error UVD003 line 5:" in out
    assert "cache mount: /build/${UV_CACHE_DIR} (key ${UV_CACHE_DIR}; not uv's cache dir)" in out
    assert "      RUN --mount=type=cache,target=/application/cache/uv uv sync" in out
    assert "Builder:" not in out  # --engine-version: Docker is not asked


def test_json_document(tmp_path: Path) -> None:
    path = write(tmp_path, MOTIVATING)
    result = doctor(path, "--engine-version", "28.5.1", "--json", env=nowhere(tmp_path))
    data = as_json(result)
    assert data["dockerfile"] == path and data["builder"] is None
    assert data["mount_expansion"] is True and data["engine_version"] == "28.5.1"
    (run,) = data["uv_runs"]
    assert run["cache_dir"] == run["mount_target"] == "/application/cache/uv"
    assert [f["code"] for f in data["findings"]] == ["UVD006"]
    finding = data["findings"][0]
    assert set(finding) == {
        "code",
        "name",
        "severity",
        "line",
        "stage",
        "message",
        "explanation",
        "fixes",
        "details",
        "expansion",
    }
    assert finding["fixes"] == [{"text": "Before this RUN:", "lines": ["ENV UV_LINK_MODE=copy"]}]
    assert result.returncode == 1
    assert (
        doctor(
            path, "--engine-version", "28.5.1", "--fail-on", "warning", env=nowhere(tmp_path)
        ).returncode
        == 0
    )


def test_clean_dockerfile_exits_0(tmp_path: Path) -> None:
    result = doctor(write(tmp_path, UV_DOCKER_EXAMPLE), "--no-engine", env=nowhere(tmp_path))
    assert result.returncode == 0, result.stdout
    assert result.stdout.rstrip().endswith("No findings.")


def test_unreachable_engine_still_reads_the_dockerfile(tmp_path: Path) -> None:
    result = doctor(write(tmp_path, MOTIVATING), "--json", env=nowhere(tmp_path))
    data = as_json(result)
    assert data["builder"]["error"] and "not reachable" in data["builder"]["error"]
    assert data["mount_expansion"] is None
    assert {(f["code"], f["expansion"]) for f in data["findings"]} == {
        ("UVD003", "literal"),
        ("UVD006", "expanded"),
    }
    text = doctor(write(tmp_path, MOTIVATING), env=nowhere(tmp_path)).stdout
    assert "Builder: not checked: Docker: not reachable" in text
    assert "[only on engines that keep --mount variables literal" in text


def test_build_args_reach_the_dockerfile(tmp_path: Path) -> None:
    path = write(tmp_path, MOTIVATING)
    data = as_json(
        doctor(
            path,
            "--engine-version",
            "28.5",
            "--build-arg",
            "SERVICE_NAME=svc",
            "--json",
            env=nowhere(tmp_path),
        )
    )
    assert data["uv_runs"][0]["cache_dir"] == "/svc/cache/uv"


@pytest.mark.docker
def test_builder_cross_check_16180(tracked: Tracker, tmp_path: Path) -> None:
    """The issue's case built for real: the report names the records BuildKit keeps for it."""
    engine = tracked.engine
    token, _tag = build_16180(tracked, tmp_path / "ctx")
    dockerfile = str(tmp_path / "ctx" / "Dockerfile")

    def report() -> dict[str, Any]:
        data = as_json(doctor(dockerfile, "--json", env=engine.env()))
        mounts = data["builder"]["mounts"]
        return data if mounts and mounts[0]["records"] else {}

    data = wait_for(report, "the build's cache-mount record", timeout=90)
    builder = data["builder"]
    assert builder["error"] is None and builder["driver"] == "docker"
    (mount,) = builder["mounts"]
    codes = [f["code"] for f in data["findings"]]
    if engine.legacy:
        assert data["mount_expansion"] is False
        assert mount["target"] == "/build/${UV_CACHE_DIR}"
        assert "UVD003" in codes
        assert all(r["target"] == "/build/${UV_CACHE_DIR}" for r in mount["records"])
    else:
        assert data["mount_expansion"] is True
        assert mount["cache_id"] == "/application/cache/uv"
        assert "UVD003" not in codes and "UVD002" not in codes and "UVD001" not in codes
        assert all(r["target"] == "/application/cache/uv" for r in mount["records"])
    # BuildKit reuses a record with the same key (its description keeps the first build's
    # command), so the record is recognised by its key, not by this build's token.
    assert all("uv sync --offline" in (r["command"] or "") for r in mount["records"])
    assert token


def test_image_without_engine_is_reported_not_checked(tmp_path: Path) -> None:
    path = write(tmp_path, UV_DOCKER_EXAMPLE)
    data = as_json(
        doctor(path, "--no-engine", "--image", "some:image", "--json", env=nowhere(tmp_path))
    )
    assert data["image"]["caches"] is None and "not reachable" in data["image"]["error"]
    text = doctor(path, "--no-engine", "--image", "some:image", env=nowhere(tmp_path))
    assert text.returncode == 0
    assert "Image some:image: not checked: Docker: not reachable" in text.stdout


@pytest.mark.docker
def test_image_check_16180(tracked: Tracker, tmp_path: Path) -> None:
    """Engine 20.10: the report names the layer, the RUN, the path and the size of the baked
    cache and the literal mount; 28.5: nothing about either."""
    engine = tracked.engine
    _token, tag = build_16180(tracked, tmp_path / "ctx")
    dockerfile = str(tmp_path / "ctx" / "Dockerfile")
    result = doctor(dockerfile, "--image", tag, "--json", env=engine.env())
    data = as_json(result)
    codes = [f["code"] for f in data["findings"]]
    if engine.legacy:
        (cache,) = data["image"]["caches"]
        assert cache["path"] == "/application/cache/uv" and cache["size_bytes"] > 0
        (baked,) = [f for f in data["findings"] if f["code"] == "UVD011"]
        assert baked["line"] == 7  # the RUN of DOCKERFILE_16180
        assert "UVD003" in codes and result.returncode == 1
        text = doctor(dockerfile, "--image", tag, env=engine.env()).stdout
        assert (
            f"layer {cache['layer_index']} of {cache['layer_count']}: uv cache at /application/cache/uv"
            in text
        )
        assert "cache mount: /build/${UV_CACHE_DIR}" in text
    else:
        assert data["image"]["caches"] == []
        assert "UVD011" not in codes and "UVD003" not in codes
    missing = doctor(dockerfile, "--image", tag + "-missing", env=engine.env())
    assert one_line_usage_error(missing).startswith("uvcache-tui: no image")


@pytest.mark.docker
def test_base_image_user_read_from_the_engine(tracked: Tracker, tmp_path: Path) -> None:
    """A base image that sets USER: the doctor reads it from the engine and says whose cache
    dir the mount misses."""
    engine = tracked.engine
    base_dir = tmp_path / "base"
    base_dir.mkdir()
    (base_dir / "Dockerfile").write_text(
        f"FROM {engine.base_image}\nRUN useradd --uid 1234 --create-home app\n"
        "USER app\nENV UV_LINK_MODE=copy\n"
    )
    tag = f"uvct-doctor-base-{token()}"
    tracked.images.append(tag)
    engine.build(base_dir, tag=tag)
    path = write(tmp_path, f"FROM {tag}\nRUN --mount=type=cache,target=/root/.cache/uv uv sync\n")
    data = as_json(doctor(path, "--json", env=engine.env()))
    assert data["base_images_read"] == [tag]
    assert [f["code"] for f in data["findings"]] == ["UVD002"]
    assert data["uv_runs"][0]["cache_dir"] == "/home/app/.cache/uv"
    offline = as_json(doctor(path, "--json", "--no-engine", env=engine.env()))
    assert offline["base_images_read"] == [] and offline["uv_runs"][0]["user"] == "root"
