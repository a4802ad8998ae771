"""Every finding code on a small Dockerfile, and clean Dockerfiles that must stay clean."""

from __future__ import annotations

import pytest

from uvcache_tui.core.doctor import diagnose_dockerfile
from uvcache_tui.core.doctor.findings import Finding

OLD = "20.10.24"
NEW = "28.5.1"

MOTIVATING = """\
FROM python:3.12-slim
ARG SERVICE_NAME=application
WORKDIR /build
ENV UV_CACHE_DIR=/${SERVICE_NAME}/cache/uv
RUN --mount=type=cache,target=${UV_CACHE_DIR} uv sync
"""

UV_DOCKER_EXAMPLE = """\
FROM ghcr.io/astral-sh/uv:python3.12-bookworm-slim
RUN groupadd --system --gid 999 nonroot \\
 && useradd --system --gid 999 --uid 999 --create-home nonroot
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1
ENV UV_LINK_MODE=copy
ENV UV_NO_DEV=1
ENV UV_TOOL_BIN_DIR=/usr/local/bin
RUN --mount=type=cache,target=/root/.cache/uv \\
    --mount=type=bind,source=uv.lock,target=uv.lock \\
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\
    uv sync --locked --no-install-project
COPY . /app
RUN --mount=type=cache,target=/root/.cache/uv \\
    uv sync --locked
ENV PATH="/app/.venv/bin:$PATH"
ENTRYPOINT []
USER nonroot
CMD ["uv", "run", "fastapi", "dev", "--host", "0.0.0.0", "src/uv_docker_example"]
"""


def codes(text: str, engine: str | None = NEW) -> list[str]:
    return [f.code for f in diagnose_dockerfile(text, engine).findings]


def only(text: str, code: str, engine: str | None = NEW) -> Finding:
    found = [f for f in diagnose_dockerfile(text, engine).findings if f.code == code]
    assert len(found) == 1, diagnose_dockerfile(text, engine).findings
    return found[0]


def test_uv_docker_example_is_clean_on_both_engines() -> None:
    assert codes(UV_DOCKER_EXAMPLE, NEW) == []
    assert codes(UV_DOCKER_EXAMPLE, OLD) == []
    runs = diagnose_dockerfile(UV_DOCKER_EXAMPLE, NEW).runs
    assert [(r.line, r.cache_dir, r.mount_target) for r in runs] == [
        (9, "/root/.cache/uv", "/root/.cache/uv"),
        (14, "/root/.cache/uv", "/root/.cache/uv"),
    ]


def test_motivating_dockerfile_on_20_10_names_the_literal_mount_and_the_fix() -> None:
    finding = only(MOTIVATING, "UVD003", OLD)
    assert finding.severity == "error" and finding.line == 5
    assert finding.details["literal_target"] == "/build/${UV_CACHE_DIR}"
    assert finding.details["literal_cache_id"] == "${UV_CACHE_DIR}"
    assert finding.details["cache_dir"] == "/application/cache/uv"
    assert "baked into this RUN's image layer" in finding.explanation
    assert finding.fixes[0].lines == (
        "RUN --mount=type=cache,target=/application/cache/uv uv sync",
    )
    assert finding.fixes[1].lines == ("# syntax=docker/dockerfile:1",)
    assert codes(MOTIVATING, OLD) == ["UVD003"]


def test_motivating_dockerfile_on_28_5_has_no_finding_about_the_mount() -> None:
    assert "UVD003" not in codes(MOTIVATING, NEW)
    assert "UVD001" not in codes(MOTIVATING, NEW) and "UVD002" not in codes(MOTIVATING, NEW)
    (run,) = diagnose_dockerfile(MOTIVATING, NEW).runs
    assert run.mount_target == run.cache_id == "/application/cache/uv"


def test_unknown_engine_gives_both_cases() -> None:
    findings = diagnose_dockerfile(MOTIVATING, None).findings
    assert {(f.code, f.expansion) for f in findings} == {
        ("UVD003", "literal"),
        ("UVD006", "expanded"),
    }


def test_syntax_line_makes_old_engine_expand() -> None:
    text = "# syntax=docker/dockerfile:1\n" + MOTIVATING
    assert "UVD003" not in codes(text, OLD)
    assert "UVD003" in codes("# syntax=docker/dockerfile:1.2\n" + MOTIVATING, NEW)


def test_uvd001_no_cache_mount() -> None:
    finding = only("FROM python\nRUN uv pip install --system idna\n", "UVD001")
    assert finding.details["cache_dir"] == "/root/.cache/uv"
    assert finding.fixes[0].lines == (
        "RUN --mount=type=cache,target=/root/.cache/uv uv pip install --system idna",
    )
    assert finding.fixes[1].lines == ("ENV UV_NO_CACHE=1",)


@pytest.mark.parametrize(
    "text",
    [
        "FROM python\nENV UV_NO_CACHE=1\nRUN uv sync\n",
        "FROM python\nRUN uv sync --no-cache\n",
        "FROM python\nRUN UV_NO_CACHE=true uv sync\n",
        'FROM python\nRUN ["uv", "sync", "-n"]\n',
        "FROM python\nRUN uv sync && rm -rf /root/.cache/uv\n",
        "FROM python\nRUN uv --version && uv cache dir\n",
        "FROM python\nRUN pip install uv\n",
    ],
)
def test_no_cache_or_no_uv_is_clean(text: str) -> None:
    assert codes(text) == []


def test_uvd002_non_root_user_with_root_target() -> None:
    text = (
        "FROM python\nRUN useradd --uid 1000 --create-home app\nUSER app\nENV UV_LINK_MODE=copy\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
    )
    finding = only(text, "UVD002")
    assert "user app" in finding.message and "/home/app/.cache/uv" in finding.message
    assert finding.fixes[0].lines == (
        "RUN --mount=type=cache,target=/home/app/.cache/uv,uid=1000,gid=1000 uv sync",
    )
    assert finding.fixes[1].lines == ("ENV UV_CACHE_DIR=/root/.cache/uv",)


def test_uvd002_home_and_xdg_move_the_cache() -> None:
    mount = "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
    home = only("FROM python\nENV HOME=/srv\n" + mount, "UVD002")
    assert home.details["cache_dir"] == "/srv/.cache/uv"
    xdg = only("FROM python\nENV XDG_CACHE_HOME=/xdg\n" + mount, "UVD002")
    assert xdg.details["cache_dir"] == "/xdg/uv"
    relative = "FROM python\nENV XDG_CACHE_HOME=rel UV_LINK_MODE=copy\n" + mount
    assert codes(relative) == []  # a relative XDG_CACHE_HOME is ignored by uv


def test_uvd002_useradd_home_dir_and_unknown_user() -> None:
    text = (
        "FROM python\nRUN useradd -d /opt/svc svc\nUSER svc\n"
        "RUN --mount=type=cache,target=/root/.cache/uv,uid=0 uv lock\n"
    )
    assert only(text, "UVD002").details["cache_dir"] == "/opt/svc/.cache/uv"
    guessed = only(text.replace("RUN useradd -d /opt/svc svc\n", ""), "UVD002")
    assert "assumed" in guessed.explanation


def test_uvd003_in_other_options() -> None:
    text = (
        "FROM python\nARG UID=1000\nENV UV_LINK_MODE=copy\n"
        "RUN --mount=type=cache,target=/root/.cache/uv,uid=${UID} uv sync\n"
    )
    finding = only(text, "UVD003", OLD)
    assert finding.severity == "error" and "the build stops" in finding.explanation
    sharing = only(text.replace("uid=${UID}", "sharing=${S:-locked}"), "UVD003", OLD)
    assert sharing.severity == "warning"
    assert (
        finding.fixes[0]
        .lines[0]
        .startswith("RUN --mount=type=cache,target=/root/.cache/uv,uid=1000")
    )
    assert "UVD003" not in codes(text, NEW)


def test_uvd004_mount_options_differ_between_stages() -> None:
    text = (
        "FROM python AS a\nENV UV_LINK_MODE=copy\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
        "FROM a AS b\nRUN --mount=type=cache,target=/root/.cache/uv,id=other uv sync\n"
    )
    finding = only(text, "UVD004")
    assert (finding.line, finding.details["other_line"]) == (5, 3)
    assert finding.fixes[0].lines == ("RUN --mount=type=cache,target=/root/.cache/uv uv sync",)
    same = text.replace(",id=other", "")
    assert codes(same) == []


def test_uvd005_sharing_private() -> None:
    text = (
        "FROM python\nENV UV_LINK_MODE=copy\n"
        "RUN --mount=type=cache,target=/root/.cache/uv,sharing=private uv sync\n"
    )
    finding = only(text, "UVD005")
    assert finding.fixes[0].lines == ("RUN --mount=type=cache,target=/root/.cache/uv uv sync",)
    assert codes(text.replace("private", "locked")) == []


def test_uvd006_link_mode() -> None:
    text = "FROM python\nRUN --mount=type=cache,target=/root/.cache/uv uv pip install x\n"
    assert only(text, "UVD006").fixes[0].lines == ("ENV UV_LINK_MODE=copy",)
    assert codes(text.replace("install x", "install --link-mode=copy x")) == []
    assert codes(text.replace("uv pip", "UV_LINK_MODE=copy uv pip")) == []
    assert codes(text.replace("pip install x", "lock")) == []  # lock installs nothing
    chained = text.replace("uv pip install x", "uv venv /v && VIRTUAL_ENV=/v uv pip install x")
    assert codes(chained) == ["UVD006"]


def test_uvd007_cache_clean_with_and_without_mount() -> None:
    mounted = (
        "FROM python\nENV UV_LINK_MODE=copy\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync && uv cache clean\n"
    )
    finding = only(mounted, "UVD007")
    assert finding.severity == "warning"
    assert finding.fixes[0].lines == ("RUN --mount=type=cache,target=/root/.cache/uv uv sync",)
    bare = only("FROM python\nRUN uv sync && uv cache clean\n", "UVD007")
    assert bare.severity == "info"
    assert codes("FROM python\nRUN uv sync && uv cache clean\n") == ["UVD007"]  # no UVD001


def test_uvd008_python_dirs_inside_the_cache() -> None:
    text = (
        "FROM python\nENV UV_LINK_MODE=copy UV_PYTHON_INSTALL_DIR=/root/.cache/uv/pythons\n"
        "ENV UV_PYTHON_CACHE_DIR=/root/.cache/uv/python\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv python install 3.12\n"
    )
    found = [f for f in diagnose_dockerfile(text, NEW).findings if f.code == "UVD008"]
    assert [(f.details["variable"], f.severity) for f in found] == [
        ("UV_PYTHON_INSTALL_DIR", "error"),
        ("UV_PYTHON_CACHE_DIR", "warning"),
    ]
    assert found[0].fixes[0].lines == ("ENV UV_PYTHON_INSTALL_DIR=/python",)
    twice = text + "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
    assert [f.code for f in diagnose_dockerfile(twice, NEW).findings].count("UVD008") == 2
    assert found[1].fixes[0].lines == ("ENV UV_PYTHON_CACHE_DIR=/root/.cache/uv-python",)


def test_uvd009_symlink_mode() -> None:
    text = (
        "FROM python\nENV UV_LINK_MODE=symlink\n"
        "RUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
    )
    assert only(text, "UVD009").severity == "error"
    assert "UVD006" not in codes(text)


def test_uvd010_non_root_mount_without_uid() -> None:
    text = (
        "FROM python\nRUN useradd -u 1001 app\nUSER app\nENV UV_LINK_MODE=copy\n"
        "RUN --mount=type=cache,target=/home/app/.cache/uv uv sync\n"
    )
    finding = only(text, "UVD010")
    assert finding.fixes[0].lines == (
        "RUN --mount=type=cache,target=/home/app/.cache/uv,uid=1001,gid=1001 uv sync",
    )
    assert codes(text.replace("uv uv", "uv,uid=1001,gid=1001 uv")) == []


def test_heredoc_and_multiline_fix_keep_the_other_mounts() -> None:
    text = (
        "FROM python\nRUN --mount=type=bind,source=uv.lock,target=uv.lock <<EOT\n"
        "uv sync --locked\nEOT\n"
    )
    finding = only(text, "UVD001")
    assert finding.fixes[0].lines == (
        "RUN --mount=type=cache,target=/root/.cache/uv \\",
        "    --mount=type=bind,source=uv.lock,target=uv.lock \\",
        "    <<EOT",
        "uv sync --locked",
        "EOT",
    )


def test_base_image_user_and_env_from_the_engine() -> None:
    from uvcache_tui.core.dockerfile.stages import ImageConfig

    text = "FROM app-base\nRUN --mount=type=cache,target=/root/.cache/uv uv sync\n"
    base = ImageConfig(env={"UV_LINK_MODE": "copy"}, user="app", workdir="/srv")
    diagnosis = diagnose_dockerfile(text, NEW, base_images={"app-base": base})
    assert diagnosis.bases == diagnosis.bases_read == ("app-base",)
    (finding,) = diagnosis.findings
    assert finding.code == "UVD002" and "user app" in finding.message
    assert diagnose_dockerfile(text, NEW).bases_read == ()
    assert codes(text) == ["UVD006"]  # root, and no UV_LINK_MODE, when the image is unknown
