"""`uvcache-tui doctor [DOCKERFILE]`: where a Docker build's uv cache goes, and the fix.

Exit codes (docs/doctor.md): 0 no findings (at or above `--fail-on`), 1 findings, 2 bad input
— a Dockerfile that cannot be read or does not parse (the line and the reason).
"""

from __future__ import annotations

import os
import textwrap
from datetime import datetime, timezone
from pathlib import Path

from uvcache_tui.cli.buildkit import seconds_arg
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    Context,
    UsageError,
    print_json,
    print_lines,
)
from uvcache_tui.core.dockerfile import DockerfileError
from uvcache_tui.core.doctor import diagnose_dockerfile
from uvcache_tui.core.doctor.engine import (
    EngineCheck,
    describe_record,
    match_records,
    read_builder,
)
from uvcache_tui.core.doctor.findings import EXPANSION_EXPANDED, EXPANSION_LITERAL, Finding
from uvcache_tui.core.doctor.report import SEVERITY_ORDER, DockerfileDiagnosis

DEFAULT_TIMEOUT = 10.0
WIDTH = 96
_CASES = {
    EXPANSION_LITERAL: "only on engines that keep --mount variables literal: Engine < 23 "
    "without a # syntax line",
    EXPANSION_EXPANDED: "only on engines that expand --mount variables: Engine >= 23, or a "
    "# syntax line",
}


def _build_args(values: list[str]) -> dict[str, str]:
    args: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not name:
            raise UsageError(f"--build-arg {value!r}: expected NAME=VALUE")
        args[name] = text if sep else os.environ.get(name, "")
    return args


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _engine(ctx: Context) -> EngineCheck | None:
    args = ctx.args
    if args.engine_version is not None or args.no_engine:
        return None
    return read_builder(args.builder, args.timeout)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent) or [""]


def format_finding(finding: Finding) -> list[str]:
    lines = [f"{finding.severity} {finding.code} line {finding.line}: {finding.message}"]
    if finding.expansion in _CASES:
        lines.append(f"  [{_CASES[finding.expansion]}]")
    lines += _wrap(finding.explanation, "  ")
    for index, fix in enumerate(finding.fixes):
        lines += _wrap(("Fix: " if index == 0 else "") + fix.text, "  ")
        lines += [f"      {line}" for line in fix.lines]
    return lines


def format_report(
    path: Path, diagnosis: DockerfileDiagnosis, check: EngineCheck | None, now: datetime
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
    counts = {s: sum(f.severity == s for f in diagnosis.findings) for s in SEVERITY_ORDER}
    lines.append("")
    if not diagnosis.findings:
        lines.append("No findings.")
    else:
        summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
        lines.append(f"Findings: {summary}")
        for finding in diagnosis.findings:
            lines.append("")
            lines += format_finding(finding)
    return lines


def cmd_doctor(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.dockerfile)
    text = _read(path)
    build_args = _build_args(args.build_arg)
    check = _engine(ctx)
    engine_version = args.engine_version or (check.engine_version if check else None)
    buildkit_version = None if args.engine_version else (check.buildkit_version if check else None)
    try:
        diagnosis = diagnose_dockerfile(text, engine_version, build_args, buildkit_version)
    except DockerfileError as exc:
        where = f"{path}:{exc.line}" if exc.line else str(path)
        raise UsageError(f"{where}: {exc.reason}") from exc
    if check is not None:
        check = match_records(check, diagnosis)
    failing = [
        f for f in diagnosis.findings if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[args.fail_on]
    ]
    if args.json:
        document = {"dockerfile": str(path), **diagnosis.to_json()}
        document["builder"] = check.to_json() if check is not None else None
        print_json(document)
    else:
        print_lines(format_report(path, diagnosis, check, datetime.now(timezone.utc)))
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
        default="Dockerfile",
        metavar="DOCKERFILE",
        help="the Dockerfile (default: ./Dockerfile)",
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
