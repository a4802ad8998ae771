"""What the Doctor view shows, gathered in its worker thread from the core, as one value.

The same steps as `uvcache-tui doctor` (read the Dockerfile, ask the builder, read the base
images, stream the image, match the records), done for every builder at once: the
Dockerfile is judged for the builder a build uses (the current one), and each builder's
records are matched against the Dockerfile as that builder reads it (its own engine and
BuildKit versions decide whether `--mount` variables are expanded, hence the cache keys).
Nothing here touches a widget; `run_doctor` and `measure_records` may block on Docker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from uvcache_tui.core.buildkit.builders import list_builders
from uvcache_tui.core.buildkit.contexts import ContextError
from uvcache_tui.core.buildkit.engine import EngineError
from uvcache_tui.core.buildkit.ondisk import MountKey, MountOnDisk, measure_report
from uvcache_tui.core.buildkit.records import BuilderInfo, BuildkitReport
from uvcache_tui.core.dockerfile import DockerfileError
from uvcache_tui.core.dockerfile.stages import ImageConfig
from uvcache_tui.core.doctor import DockerfileDiagnosis, Finding, diagnose_dockerfile
from uvcache_tui.core.doctor.engine import EngineCheck, match_records
from uvcache_tui.core.doctor.image import (
    BakedCache,
    ImageNotFound,
    image_findings,
    read_base_images,
    scan_image,
)
from uvcache_tui.tui.buildkit.rows import unreachable_message


@dataclass(frozen=True)
class DoctorRequest:
    """What to check: the app's `--dockerfile` / `--image`, and how to reach Docker."""

    dockerfile: str | None
    image: str | None
    timeout: float
    env: Mapping[str, str] | None
    docker: bool = True
    """False: the app runs without its BuildKit section; Docker is not asked anything."""


@dataclass(frozen=True)
class BuilderDoctor:
    """One builder as the Doctor sees it."""

    builder: BuilderInfo
    used: bool
    """The builder `docker build` uses (the current one)."""
    check: EngineCheck
    """Its records for the Dockerfile's uv cache mounts (none without a Dockerfile)."""
    findings: tuple[Finding, ...] = ()
    """The Dockerfile's findings as this builder would build it."""


@dataclass(frozen=True)
class ImageCheck:
    name: str
    caches: tuple[BakedCache, ...] | None
    error: str | None
    """Why the image could not be read (no such image, no engine)."""


@dataclass(frozen=True)
class DoctorResult:
    """Everything the view shows; `error` when the Dockerfile could not be read or parsed."""

    dockerfile: str | None
    diagnosis: DockerfileDiagnosis | None
    error: str | None
    findings: tuple[Finding, ...]
    """The Dockerfile's (for the builder a build uses) and the image's."""
    builders: tuple[BuilderDoctor, ...]
    docker: str | None
    """Why no builder could be read (Docker not reachable, or not asked), else None."""
    image: ImageCheck | None = None

    @property
    def used(self) -> BuilderDoctor | None:
        return next((b for b in self.builders if b.used), None)


def read_dockerfile(path: str) -> str:
    """The Dockerfile's text as the CLI reads it (bytes that are not UTF-8 survive);
    OSError when it cannot be read."""
    return Path(path).read_text(encoding="utf-8", errors="surrogateescape")


def _diagnose(
    text: str, builder: BuilderInfo | None, bases: Mapping[str, ImageConfig] | None
) -> DockerfileDiagnosis:
    engine = builder.engine_version if builder is not None and not builder.error else None
    buildkit = builder.buildkit_version if builder is not None and not builder.error else None
    return diagnose_dockerfile(text, engine, None, buildkit, bases)


def _builder_doctor(
    builder: BuilderInfo, text: str | None, bases: Mapping[str, ImageConfig] | None
) -> BuilderDoctor:
    check = EngineCheck(builder, builder.error)
    if text is None or builder.error:
        return BuilderDoctor(builder, bool(builder.current), check)
    diagnosis = _diagnose(text, builder, bases)
    return BuilderDoctor(
        builder, bool(builder.current), match_records(check, diagnosis), diagnosis.findings
    )


def _check_image(name: str, request: DoctorRequest) -> ImageCheck:
    if not request.docker:
        return ImageCheck(name, None, "Docker is not asked (the app runs without BuildKit)")
    try:
        return ImageCheck(name, scan_image(name, request.timeout, request.env), None)
    except ImageNotFound as exc:
        return ImageCheck(name, None, str(exc))
    except (EngineError, ContextError, ValueError) as exc:
        return ImageCheck(name, None, str(exc))


def _read_text(path: str | None) -> tuple[str | None, str | None]:
    """(text, None), or (None, why it cannot be read)."""
    if path is None:
        return None, None
    try:
        return read_dockerfile(path), None
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"


def run_doctor(request: DoctorRequest) -> DoctorResult:
    """Read, diagnose and cross-check; never raises for a bad Dockerfile or absent Docker
    (the builders are shown whatever the Dockerfile's state)."""
    text, error = _read_text(request.dockerfile)
    report = (
        list_builders(timeout=request.timeout, env=request.env)
        if request.docker
        else BuildkitReport(())
    )
    docker = unreachable_message(report) if request.docker else "Docker is not asked"
    used = next((b for b in report.builders if b.current), None)
    diagnosis = None
    bases: dict[str, ImageConfig] = {}
    if text is not None:
        try:
            diagnosis = _diagnose(text, used, None)
        except DockerfileError as exc:
            where = f"{request.dockerfile}:{exc.line}" if exc.line else str(request.dockerfile)
            text, error = None, f"{where}: {exc.reason}"
    if diagnosis is not None and text is not None and docker is None:
        bases = read_base_images(diagnosis.bases, request.timeout, request.env)
        if bases:
            diagnosis = _diagnose(text, used, bases)
    builders = tuple(_builder_doctor(b, text, bases) for b in report.builders)
    findings = diagnosis.findings if diagnosis is not None else ()
    image = _check_image(request.image, request) if request.image is not None else None
    if image is not None and image.caches:
        runs = diagnosis.runs if diagnosis is not None else ()
        findings = (*findings, *image_findings(image.name, image.caches, runs))
    return DoctorResult(request.dockerfile, diagnosis, error, findings, builders, docker, image)


def measure_records(result: DoctorResult, timeout: float) -> dict[MountKey, MountOnDisk]:
    """The true size on disk of each matched record (the fast path, bounded in time)."""
    matched = []
    for item in result.builders:
        records = {r.id: r for m in item.check.mounts for r in m.records}
        if records:
            matched.append(replace(item.builder, mounts=tuple(records.values())))
    if not matched:
        return {}
    return measure_report(BuildkitReport(tuple(matched)), timeout)
