"""Where the docker CLI is, for an environment that may not be this process's."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping


def find_docker_cli(env: Mapping[str, str]) -> str | None:
    """Locate `docker` on the PATH of `env` (not necessarily this process's PATH)."""
    return shutil.which("docker", path=env.get("PATH", os.defpath))
