"""A Dockerfile as BuildKit runs it: stages, and for every RUN the variables, user, working
directory and mounts in force.

Scoping (BuildKit's rules): ARGs before the first FROM are global, visible in FROM lines and
inside a stage only once re-declared there (`ARG NAME`); an ARG or ENV lasts until the end of
its stage; `FROM <stage>` inherits the ENV, USER and WORKDIR of that stage, never its ARGs. A
base image's ENV, USER and WORKDIR come from the engine when the caller read them
(`base_images`); otherwise an image is assumed to start as root in `/` with no ENV.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field

from uvcache_tui.core.dockerfile.mounts import MountSpec, go_clean, parse_mount
from uvcache_tui.core.dockerfile.parse import DockerfileSource, Instruction
from uvcache_tui.core.dockerfile.words import expand_word


@dataclass(frozen=True)
class RunStep:
    """One RUN with everything in force when it runs."""

    stage: str
    """The stage's name (`AS name`), else its index as text."""
    stage_index: int
    instruction: Instruction
    env: dict[str, str]
    """ENV and ARG values visible to the command (ENV wins)."""
    env_names: frozenset[str]
    """Which of them come from ENV (the others are ARGs)."""
    user: str
    workdir: str
    mounts: tuple[MountSpec, ...]
    other_flags: tuple[str, ...]
    command: str
    """The shell text (JSON form joined with spaces), heredoc bodies appended."""

    @property
    def line(self) -> int:
        return self.instruction.line


@dataclass
class _Stage:
    name: str
    index: int
    env: dict[str, str] = field(default_factory=dict)
    env_names: set[str] = field(default_factory=set)
    user: str = "root"
    workdir: str = "/"


@dataclass(frozen=True)
class Stage:
    name: str
    index: int
    base: str
    line: int


@dataclass(frozen=True)
class ImageConfig:
    """What a base image brings to a stage: its ENV, USER and WORKDIR (from the engine)."""

    env: dict[str, str]
    user: str
    workdir: str


@dataclass(frozen=True)
class BuildPlan:
    """What the doctor needs from a Dockerfile."""

    source: DockerfileSource
    stages: tuple[Stage, ...]
    runs: tuple[RunStep, ...]
    expands_mounts: bool

    @property
    def external_bases(self) -> tuple[str, ...]:
        """The images the stages start from (not earlier stages, not `scratch`)."""
        names: set[str] = set()
        bases: list[str] = []
        for stage in self.stages:
            if stage.base not in names and stage.base != "scratch" and stage.base not in bases:
                bases.append(stage.base)
            names.update((stage.name, str(stage.index)))
        return tuple(bases)


def _pairs(instruction: Instruction) -> list[tuple[str, str | None]]:
    """ENV gives name, value, name, value…; ARG gives `NAME[=default]` tokens."""
    args = instruction.args
    if instruction.keyword == "ENV":
        return [(args[i], args[i + 1]) for i in range(0, len(args) - 1, 2)]
    pairs: list[tuple[str, str | None]] = []
    for token in args:
        name, sep, value = token.partition("=")
        pairs.append((name, value if sep else None))
    return pairs


def _command_text(instruction: Instruction) -> str:
    body = " ".join(instruction.args)
    bodies = [h.content for h in instruction.heredocs]
    return "\n".join([body, *bodies]) if bodies else body


def command_source(instruction: Instruction) -> str:
    """The command part of a RUN, for rewriting it: JSON form kept as JSON."""
    if instruction.json_form:
        return json.dumps(list(instruction.args))
    text = " ".join(instruction.args)
    for heredoc in instruction.heredocs:
        text += "\n" + heredoc.content + heredoc.name
    return text


class _Builder:
    def __init__(
        self,
        source: DockerfileSource,
        build_args: Mapping[str, str],
        expands: bool,
        base_images: Mapping[str, ImageConfig],
    ):
        self.base_images = base_images
        self.source = source
        self.escape = source.escape
        self.build_args = dict(build_args)
        self.expands = expands
        self.global_args: dict[str, str] = {}
        self.stages: list[Stage] = []
        self.finished: dict[str, _Stage] = {}
        self.current: _Stage | None = None
        self.runs: list[RunStep] = []

    def word(self, text: str, env: Mapping[str, str]) -> str:
        return expand_word(text, env, self.escape).value

    def declare_arg(self, name: str, default: str | None, scope: dict[str, str]) -> None:
        if name in self.build_args:
            scope[name] = self.build_args[name]
        elif default is not None:
            scope[name] = self.word(default, scope)
        elif name in self.global_args and scope is not self.global_args:
            scope[name] = self.global_args[name]

    def from_(self, instruction: Instruction) -> None:
        args = list(instruction.args)
        base = self.word(args[0], self.global_args) if args else ""
        index = len(self.stages)
        name = args[2] if len(args) >= 3 and args[1].upper() == "AS" else str(index)
        stage = _Stage(name=name, index=index)
        parent = self.finished.get(base)
        if parent is not None:
            stage.env = {k: v for k, v in parent.env.items() if k in parent.env_names}
            stage.env_names = set(parent.env_names)
            stage.user, stage.workdir = parent.user, parent.workdir
        elif base in self.base_images:
            image = self.base_images[base]
            stage.env = dict(image.env)
            stage.env_names = set(image.env)
            stage.user, stage.workdir = image.user or "root", image.workdir or "/"
        self.stages.append(Stage(name, index, base, instruction.line))
        self.finished[name] = stage
        self.finished[str(index)] = stage
        self.current = stage

    def apply(self, instruction: Instruction) -> None:
        keyword = instruction.keyword
        if keyword == "FROM":
            self.from_(instruction)
            return
        stage = self.current
        if stage is None:
            if keyword == "ARG":
                for name, default in _pairs(instruction):
                    self.declare_arg(name, default, self.global_args)
            return
        if keyword == "ARG":
            for name, default in _pairs(instruction):
                if name not in stage.env_names:
                    self.declare_arg(name, default, stage.env)
        elif keyword == "ENV":
            for name, value in _pairs(instruction):
                stage.env[name] = self.word(value or "", stage.env)
                stage.env_names.add(name)
        elif keyword == "USER" and instruction.args:
            stage.user = self.word(instruction.args[0], stage.env)
        elif keyword == "WORKDIR" and instruction.args:
            path = self.word(instruction.args[0], stage.env)
            stage.workdir = go_clean(posixpath.join(stage.workdir, path))
        elif keyword == "RUN":
            self.runs.append(self.run(stage, instruction))

    def run(self, stage: _Stage, instruction: Instruction) -> RunStep:
        mounts: list[MountSpec] = []
        others: list[str] = []
        for flag in instruction.flags:
            if flag.startswith("--mount="):
                text = flag[len("--mount=") :]
                mounts.append(
                    parse_mount(text, stage.env, stage.workdir, self.expands, self.escape)
                )
            else:
                others.append(flag)
        return RunStep(
            stage=stage.name,
            stage_index=stage.index,
            instruction=instruction,
            env=dict(stage.env),
            env_names=frozenset(stage.env_names),
            user=stage.user,
            workdir=stage.workdir,
            mounts=tuple(mounts),
            other_flags=tuple(others),
            command=_command_text(instruction),
        )


def plan_build(
    source: DockerfileSource,
    expands_mounts: bool,
    build_args: Mapping[str, str] | None = None,
    base_images: Mapping[str, ImageConfig] | None = None,
) -> BuildPlan:
    """Walk the instructions in order, as the engine would with these build args; a stage
    from an image in `base_images` starts with that image's ENV, USER and WORKDIR."""
    builder = _Builder(source, build_args or {}, expands_mounts, base_images or {})
    for instruction in source.instructions:
        builder.apply(instruction)
    return BuildPlan(source, tuple(builder.stages), tuple(builder.runs), expands_mounts)
