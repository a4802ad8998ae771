"""Corrected Dockerfile lines: a RUN rewritten with other mounts, an ENV line, a # syntax line."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from uvcache_tui.core.dockerfile.mounts import MountSpec
from uvcache_tui.core.dockerfile.stages import RunStep, command_source

SYNTAX_LINE = "# syntax=docker/dockerfile:1"
_ORDER = ("type", "id", "target", "source", "from", "sharing", "uid", "gid", "mode")


def mount_option(options: Mapping[str, str]) -> str:
    """`type=cache,target=/root/.cache/uv`: keys in the usual order, values quoted if needed."""
    keys = [k for k in _ORDER if k in options] + [k for k in options if k not in _ORDER]
    parts = []
    for key in keys:
        value = options[key]
        part = f"{key}={value}" if value not in ("", "true") or key == "target" else key
        parts.append(f'"{part}"' if "," in part else part)
    return ",".join(parts)


def cache_mount(target: str, **extra: str) -> str:
    return mount_option({"type": "cache", "target": target, **extra})


def with_options(mount: MountSpec, **changes: str | None) -> str:
    """The mount as written, with some options changed (None removes one)."""
    options = dict(mount.options)
    for key, value in changes.items():
        if value is None:
            options.pop(key, None)
        else:
            options[key] = value
    return mount_option(options)


def run_lines(step: RunStep, mounts: Sequence[str], command: str | None = None) -> tuple[str, ...]:
    """`RUN --mount=… \\` / `    --mount=… \\` / `    command`: one flag a line when several."""
    flags = [f"--mount={text}" for text in mounts] + list(step.other_flags)
    body = command if command is not None else command_source(step.instruction)
    body_lines = body.split("\n")
    if len(flags) <= 1:
        head = " ".join(["RUN", *flags, body_lines[0]])
        return (head, *body_lines[1:])
    lines = [f"RUN {flags[0]} \\"]
    lines += [f"    {flag} \\" for flag in flags[1:]]
    lines.append(f"    {body_lines[0]}")
    return (*lines, *body_lines[1:])


def replaced_mounts(step: RunStep, index: int, text: str) -> list[str]:
    texts = [m.text for m in step.mounts]
    texts[index] = text
    return texts


def added_mount(step: RunStep, text: str) -> list[str]:
    return [text, *(m.text for m in step.mounts)]


def body_without_cache_clean(step: RunStep) -> str | None:
    """The RUN's command with its `uv cache clean` cut out; None when it cannot be."""
    body = command_source(step.instruction)
    cut = re.sub(r"\s*(?:&&|;)\s*uv\s+cache\s+(?:clean|clear)\b[^&;|\n]*", "", body)
    if cut == body:
        cut = re.sub(r"\buv\s+cache\s+(?:clean|clear)\b[^&;|\n]*\s*(?:&&|;)\s*", "", body)
    return None if cut == body else cut
