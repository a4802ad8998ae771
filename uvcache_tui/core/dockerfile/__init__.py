"""Reading Dockerfiles: BuildKit's parser (`parse`), its word expansion (`words`), the
`--mount` options and when engines expand them (`mounts`), stages and RUN steps (`stages`)."""

from uvcache_tui.core.dockerfile.mounts import MountSpec, mount_expansion, parse_mount
from uvcache_tui.core.dockerfile.parse import (
    DockerfileError,
    DockerfileSource,
    Instruction,
    parse_dockerfile,
)
from uvcache_tui.core.dockerfile.stages import BuildPlan, RunStep, Stage, plan_build

__all__ = [
    "BuildPlan",
    "DockerfileError",
    "DockerfileSource",
    "Instruction",
    "MountSpec",
    "RunStep",
    "Stage",
    "mount_expansion",
    "parse_dockerfile",
    "parse_mount",
    "plan_build",
]
