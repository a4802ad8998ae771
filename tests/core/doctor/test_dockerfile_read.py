"""Dockerfile reading: BuildKit's parser, directives, scoping, and the engines' expansion of
`--mount` options (a parser battery as issue 10 asks)."""

from __future__ import annotations

import pytest

from uvcache_tui.core.dockerfile import (
    DockerfileError,
    mount_expansion,
    parse_dockerfile,
    parse_mount,
    plan_build,
)
from uvcache_tui.core.dockerfile.mounts import frontend_expands
from uvcache_tui.core.dockerfile.words import expand_word

MOTIVATING = """\
FROM python:3.12-slim
ARG SERVICE_NAME=application
WORKDIR /build
ENV UV_CACHE_DIR=/${SERVICE_NAME}/cache/uv
RUN --mount=type=cache,target=${UV_CACHE_DIR} uv sync
"""


def _plan(text: str, expands: bool = True, **build_args: str):  # type: ignore[no-untyped-def]
    return plan_build(parse_dockerfile(text), expands, build_args)


def test_continuation_lines_and_flags() -> None:
    plan = _plan(
        "FROM x\nRUN --mount=type=cache,target=/root/.cache/uv \\\n"
        "    --mount=type=bind,source=uv.lock,target=uv.lock \\\n    uv sync --locked\n"
    )
    (run,) = plan.runs
    assert (run.instruction.line, run.instruction.end_line) == (2, 4)
    assert [m.type for m in run.mounts] == ["cache", "bind"]
    assert run.mounts[1].target == "/uv.lock"
    assert "uv sync --locked" in run.command


def test_heredoc_run_body_is_the_command() -> None:
    plan = _plan("FROM x\nRUN <<EOT bash\nset -e\nuv pip install --system idna\nEOT\n")
    (run,) = plan.runs
    assert "uv pip install --system idna" in run.command
    assert run.instruction.heredocs[0].name == "EOT"


def test_json_form_run() -> None:
    (run,) = _plan('FROM x\nRUN ["uv", "sync", "--no-cache"]\n').runs
    assert run.instruction.json_form
    assert run.command == "uv sync --no-cache"


def test_escape_directive_changes_continuation() -> None:
    source = parse_dockerfile("# escape=`\nFROM x\nRUN uv `\n  sync\n")
    assert source.escape == "`"
    assert source.instructions[1].args == ("uv   sync",)


def test_syntax_directive_only_at_the_top() -> None:
    assert parse_dockerfile("# syntax=docker/dockerfile:1\nFROM x\n").syntax == (
        "docker/dockerfile:1"
    )
    assert parse_dockerfile("# a comment\n# syntax=docker/dockerfile:1\nFROM x\n").syntax is None
    assert parse_dockerfile("FROM x\n# syntax=docker/dockerfile:1\n").syntax is None


def test_global_arg_needs_redeclaring_in_the_stage() -> None:
    text = "ARG BASE=python\nARG DIR=/g\nFROM ${BASE}\nRUN echo\nARG DIR\nRUN echo\n"
    plan = _plan(text)
    assert plan.stages[0].base == "python"
    assert "DIR" not in plan.runs[0].env
    assert plan.runs[1].env["DIR"] == "/g"
    assert _plan(text, DIR="/cli").runs[1].env["DIR"] == "/cli"


def test_multistage_inherits_env_user_workdir_not_args() -> None:
    text = (
        "FROM python AS base\nARG A=1\nENV E=2\nUSER app\nWORKDIR /srv\n"
        "FROM base AS build\nRUN echo\nFROM python\nCOPY --from=build /srv /srv\nRUN echo\n"
    )
    plan = _plan(text)
    build, final = plan.runs
    assert (build.stage, build.env, build.user, build.workdir) == (
        "build",
        {"E": "2"},
        "app",
        "/srv",
    )
    assert (final.stage, final.env, final.user, final.workdir) == ("2", {}, "root", "/")


def test_env_values_are_processed_words() -> None:
    (run,) = _plan("FROM x\nENV A=\"x y\" B=$A C='$A' D=${NOPE:-dflt}\nRUN echo\n").runs
    assert run.env == {"A": "x y", "B": "x y", "C": "$A", "D": "dflt"}


def test_workdir_relative_and_user_expansion() -> None:
    (run,) = _plan("FROM x\nARG U=me\nWORKDIR /a\nWORKDIR b\nUSER ${U}:grp\nRUN echo\n").runs
    assert (run.workdir, run.user) == ("/a/b", "me:grp")


def test_motivating_mount_literal_before_engine_23() -> None:
    (old,) = _plan(MOTIVATING, expands=False).runs
    (mount,) = old.mounts
    assert mount.target == "/build/${UV_CACHE_DIR}"
    assert mount.cache_id == "${UV_CACHE_DIR}"
    assert mount.literal_variables == ("target=${UV_CACHE_DIR}",)
    assert old.env["UV_CACHE_DIR"] == "/application/cache/uv"
    (new,) = _plan(MOTIVATING, expands=True).runs
    assert new.mounts[0].target == new.mounts[0].cache_id == "/application/cache/uv"


@pytest.mark.parametrize(
    ("engine", "syntax", "expected"),
    [
        ("20.10.24", None, False),
        ("23.0.0", None, True),
        ("28.5.1", None, True),
        (None, None, None),
        ("20.10.24", "docker/dockerfile:1", True),
        ("20.10.24", "docker/dockerfile:1.2", False),
        ("28.5.1", "docker/dockerfile:1.2", False),
        ("20.10.24", "docker.io/docker/dockerfile:1.4-labs", True),
        (None, "example.com/my/frontend:1", None),
    ],
)
def test_mount_expansion_rules(
    engine: str | None, syntax: str | None, expected: bool | None
) -> None:
    assert mount_expansion(engine, syntax) is expected


def test_frontend_tags() -> None:
    assert frontend_expands("docker/dockerfile:experimental") is False
    assert frontend_expands("docker/dockerfile:1.3") is True
    assert frontend_expands("docker/dockerfile@sha256:0123") is True


def test_mount_options_csv_aliases_and_keys() -> None:
    mount = parse_mount('type=cache,dst=rel,id=uv,uid=1000,ro,"sharing=private"', {}, "/w", True)
    assert (mount.target, mount.raw_target, mount.cache_id) == ("/w/rel", "rel", "uv")
    assert mount.options["ro"] == "true" and mount.sharing == "private"
    assert mount.base_key == ("1000", "", "", "", "")
    assert parse_mount("target=/x", {}, "/", True).type == "bind"


def test_unset_variable_in_mount_is_named() -> None:
    mount = parse_mount("type=cache,target=/${NOPE}/uv", {}, "/", True)
    assert mount.target == "/uv" and mount.unset == ("NOPE",)


def test_words_quotes_escape_and_modifiers() -> None:
    env = {"A": "x", "E": ""}
    assert expand_word("${E:-z}${E-z}${A:+y}${B+n}", env).value == "zy"
    assert expand_word(r"a\$A", env).value == "a$A"
    assert expand_word("a`$A", env, escape="`").value == "a$A"
    assert expand_word("$ 5", env).value == "$ 5"


def test_parse_errors_name_the_line() -> None:
    with pytest.raises(DockerfileError) as caught:
        parse_dockerfile("FROM x\nRUN a\nRUN <<EOF\nabc\n")
    assert caught.value.line == 3 and "heredoc" in caught.value.reason
    with pytest.raises(DockerfileError) as caught:
        parse_dockerfile("FROM x\nRUN a\n\nENV A\n")
    assert caught.value.line == 4
    with pytest.raises(DockerfileError) as caught:
        parse_dockerfile("FROM x\nRUN <<EOF\na\nb\nEOF\nRUN c\nENV A\nRUN d\n")
    assert caught.value.line == 7
    with pytest.raises(DockerfileError, match="no FROM"):
        parse_dockerfile("RUN echo\n")


def test_non_utf8_text_does_not_reach_the_parser_raw() -> None:
    """A lone surrogate (a non-UTF-8 byte read with surrogateescape) crashed the native parser
    (SIGSEGV): it is replaced before parsing."""
    source = parse_dockerfile("FROM x\nRUN echo \udcff && uv sync\n")
    assert source.instructions[1].args == ("echo \ufffd && uv sync",)
    with pytest.raises(DockerfileError, match="NUL"):
        parse_dockerfile("FROM x\x00\n")
