"""`uvcache-tui doctor [DOCKERFILE]`: where a Docker build's uv cache goes, and the fix.

Exit codes (docs/doctor.md): 0 no findings (at or above `--fail-on`), 1 findings, 2 bad input
— a Dockerfile that cannot be read or does not parse (the line and the reason).
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from uvcache_tui.cli.buildkit import seconds_arg
from uvcache_tui.cli.buildkit_options import parse_build_args
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    Context,
    UsageError,
    print_json,
    print_lines,
)
from uvcache_tui.core.buildkit.contexts import ContextError
from uvcache_tui.core.buildkit.engine import EngineError
from uvcache_tui.core.dockerfile import DockerfileError
from uvcache_tui.core.dockerfile.stages import ImageConfig
from uvcache_tui.core.doctor import diagnose_dockerfile
from uvcache_tui.core.doctor.engine import (
    EngineCheck,
    describe_record,
    match_records,
    read_builder,
)
from uvcache_tui.core.doctor.findings import EXPANSION_EXPANDED, EXPANSION_LITERAL, Finding
from uvcache_tui.core.doctor.image import (
    BakedCache,
    ImageNotFound,
    image_findings,
    read_base_images,
    scan_image,
)
from uvcache_tui.core.doctor.report import SEVERITY_ORDER, DockerfileDiagnosis
from uvcache_tui.core.words import counted

DEFAULT_TIMEOUT = 10.0
WIDTH = 96
_CASES = {
    EXPANSION_LITERAL: "only on engines that keep --mount variables literal: Engine < 23 "
    "without a # syntax line",
    EXPANSION_EXPANDED: "only on engines that expand --mount variables: Engine >= 23, or a "
    "# syntax line",
}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _asks_engine(args: argparse.Namespace) -> bool:
    return args.engine_version is None and not args.no_engine


def _engine(ctx: Context) -> EngineCheck | None:
    args = ctx.args
    if not _asks_engine(args):
        return None
    return read_builder(args.builder, args.timeout)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]


def format_finding(finding: Finding) -> list[str]:
    where = f" line {finding.line}" if finding.line else ""
    lines = [f"{finding.severity} {finding.code}{where}: {finding.message}"]
    if finding.expansion in _CASES:
        lines.append(f"  [{_CASES[finding.expansion]}]")
    lines += _wrap(finding.explanation, "  ")
    for index, fix in enumerate(finding.fixes):
        lines += _wrap(("Fix: " if index == 0 else "") + fix.text, "  ")
        lines += [f"      {line}" for line in fix.lines]
    return lines


def format_report(
    path: Path,
    diagnosis: DockerfileDiagnosis,
    check: EngineCheck | None,
    now: datetime,
    findings: list[Finding],
) -> list[str]:
    lines = [f"Dockerfile: {path}"]
    if check is not None and check.builder is not None and check.error is None:
        info = check.builder
        versions = ", ".join(
            v
            for v in (
                f"Engine {info.engine_version}" if info.engine_version else "",
                f"BuildKit {info.buildkit_version}" if info.buildkit_version else "",
            )
            if v
        )
        lines.append(
            f"Builder: {info.name} ({info.driver} driver{', ' + versions if versions else ''})"
        )
    elif check is not None:
        lines.append(f"Builder: not checked: {check.error}")
    lines += _wrap(f"--mount variables: {diagnosis.expansion_reason}", "")
    unread = [b for b in diagnosis.bases if b not in diagnosis.bases_read]
    if diagnosis.bases_read:
        lines += _wrap(
            f"Base images (ENV, USER, WORKDIR read): {', '.join(diagnosis.bases_read)}", ""
        )
    if unread:
        lines += _wrap(f"Base images assumed root in / with no ENV: {', '.join(unread)}", "")
    records = {(m.line, m.mount.text): m for m in check.mounts} if check else {}
    if not diagnosis.runs:
        lines.append("No RUN in this Dockerfile runs uv with a cache.")
    for run in diagnosis.runs:
        lines.append(f"line {run.line} (stage {run.stage}, user {run.user}): {run.command}")
        where = run.cache_dir or "none (uv keeps no cache)"
        lines.append(f"  uv cache: {where} ({run.cache_dir_source})")
        for mount in run.cache_mounts:
            holds = "holds uv's cache" if mount.holds_cache else "not uv's cache dir"
            lines.append(f"  cache mount: {mount.target} (key {mount.cache_id}; {holds})")
            found = records.get((run.line, mount.text))
            if found is not None and check is not None and check.builder is not None:
                if not found.records:
                    lines.append(f"    no record on builder {check.builder.name} yet")
                for record in found.records:
                    lines.append(f"    {describe_record(record, now)}")
    if check is not None:
        lines += [line for note in check.notes for line in _wrap(f"Note: {note}", "")]
    return lines + format_findings(findings)


def format_findings(findings: list[Finding]) -> list[str]:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_ORDER}
    lines = [""]
    if not findings:
        lines.append("No findings.")
        return lines
    summary = ", ".join(counted(n, s) for s, n in counts.items() if n)
    lines.append(f"Findings: {summary}")
    for finding in findings:
        lines.append("")
        lines += format_finding(finding)
    return lines


def _dockerfile_path(args: argparse.Namespace) -> Path | None:
    """DOCKERFILE, else ./Dockerfile; with --image alone a missing ./Dockerfile is fine."""
    if args.dockerfile is not None:
        return Path(args.dockerfile)
    default = Path("Dockerfile")
    if default.exists() or args.image is None:
        return default
    return None


def _diagnose(
    path: Path,
    text: str,
    args: argparse.Namespace,
    check: EngineCheck | None,
    bases: Mapping[str, ImageConfig] | None = None,
) -> DockerfileDiagnosis:
    engine_version = args.engine_version or (check.engine_version if check else None)
    buildkit = None if args.engine_version else (check.buildkit_version if check else None)
    try:
        return diagnose_dockerfile(
            text, engine_version, parse_build_args(args.build_arg), buildkit, bases
        )
    except DockerfileError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise UsageError(f"{where}: {exc.reason}") from exc


def _scan_image(args: argparse.Namespace) -> tuple[tuple[BakedCache, ...] | None, str | None]:
    """The image's baked caches, or why the image could not be read (no engine)."""
    if args.image is None:
        return None, None
    try:
        return scan_image(args.image, args.timeout), None
    except ImageNotFound as exc:
        raise UsageError(str(exc)) from exc
    except (EngineError, ContextError, ValueError) as exc:
        return None, str(exc)


def format_image(image: str, caches: tuple[BakedCache, ...] | None, error: str | None) -> list[str]:
    if caches is None:
        return [f"Image {image}: not checked: {error}"]
    if not caches:
        return [f"Image {image}: no uv cache in its layers."]
    lines = [f"Image {image}:"]
    for cache in caches:
        lines.append(
            f"  layer {cache.layer_index} of {cache.layer_count}: uv cache at {cache.path}, "
            f"{cache.size_bytes} bytes ({', '.join(cache.buckets)})"
        )
        lines += _wrap(f"created by: {cache.created_by or '?'}", "    ")
    return lines


def cmd_doctor(ctx: Context) -> int:
    args = ctx.args
    path = _dockerfile_path(args)
    # An unreadable Dockerfile is refused before Docker is asked anything.
    text = _read(path) if path is not None else None
    check = _engine(ctx)
    diagnosis = _diagnose(path, text, args, check) if path and text is not None else None
    if diagnosis is not None and path is not None and text is not None and _asks_engine(args):
        bases = read_base_images(diagnosis.bases, args.timeout)
        if bases:
            diagnosis = _diagnose(path, text, args, check, bases)
    caches, image_error = _scan_image(args)
    if check is not None and diagnosis is not None:
        check = match_records(check, diagnosis)
    findings = list(diagnosis.findings) if diagnosis else []
    if caches:
        findings += image_findings(args.image, caches, diagnosis.runs if diagnosis else ())
    failing = [f for f in findings if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[args.fail_on]]
    if args.json:
        document: dict[str, object] = {"dockerfile": str(path) if path else None}
        document.update(diagnosis.to_json() if diagnosis else {"uv_runs": [], "findings": []})
        document["findings"] = [f.to_json() for f in findings]
        document["builder"] = check.to_json() if check is not None else None
        document["image"] = (
            None
            if args.image is None
            else {
                "name": args.image,
                "error": image_error,
                "caches": None if caches is None else [c.to_json() for c in caches],
            }
        )
        print_json(document)
    else:
        lines = (
            format_report(path, diagnosis, check, datetime.now(timezone.utc), findings)
            if path is not None and diagnosis is not None
            else format_findings(findings)
        )
        if args.image is not None:
            at = lines.index("") if "" in lines else len(lines)
            lines[at:at] = format_image(args.image, caches, image_error)
        print_lines(lines)
    return EXIT_FAILED if failing else EXIT_OK


def register(commands: Commands) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check a Dockerfile's uv cache mounts, and say the fix",
        description="Where a Docker build's uv cache goes: every RUN that runs uv, its cache "
        "dir against its cache mounts, the engine's rules for variables in --mount, and the "
        "records on the builder. Exit 0 without findings, 1 with findings, 2 on bad input.",
    )
    doctor.add_argument(
        "dockerfile",
        nargs="?",
        default=None,
        metavar="DOCKERFILE",
        help="the Dockerfile (default: ./Dockerfile; optional with --image)",
    )
    doctor.add_argument(
        "--image",
        metavar="IMAGE",
        help="also look for uv caches baked into this local image's layers (streamed)",
    )
    doctor.add_argument(
        "--engine-version",
        metavar="X",
        help="judge for this Docker Engine version (e.g. 20.10.24) instead of asking the builder",
    )
    doctor.add_argument("--builder", metavar="NAME", help="the builder (default: the current one)")
    doctor.add_argument(
        "--no-engine", action="store_true", help="do not ask Docker (the Dockerfile alone)"
    )
    doctor.add_argument(
        "--build-arg",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="a build argument, as for docker build (repeatable)",
    )
    doctor.add_argument(
        "--fail-on",
        choices=tuple(SEVERITY_ORDER),
        default="info",
        help="lowest severity that makes the exit code 1 (default: info, every finding)",
    )
    doctor.add_argument(
        "--timeout",
        type=seconds_arg,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"for each call to Docker (default {DEFAULT_TIMEOUT:g})",
    )
    doctor.add_argument("--json", action="store_true", help="JSON output (see docs/doctor.md)")
    doctor.set_defaults(func=cmd_doctor)
