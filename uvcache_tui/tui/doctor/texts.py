"""What the Doctor view says: Rich renderables made from a `DoctorResult`, in the words of
`uvcache-tui doctor` (its sentences come from the core: findings, record descriptions,
builder notes). No widget here (`view.py` shows them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uvcache_tui.core.buildkit.gc import describe_gc_policy
from uvcache_tui.core.buildkit.ondisk import MountKey, MountOnDisk
from uvcache_tui.core.buildkit.records import BuilderInfo, CacheMountRecord
from uvcache_tui.core.buildkit.texts import last_used, mount_size, true_size
from uvcache_tui.core.doctor import RULES, Finding
from uvcache_tui.core.doctor.engine import MountRecords, ephemeral_note
from uvcache_tui.core.doctor.findings import EXPANSION_EXPANDED, EXPANSION_LITERAL
from uvcache_tui.core.doctor.report import SEVERITY_ORDER, DockerfileDiagnosis
from uvcache_tui.core.words import counted
from uvcache_tui.tui.buildkit.details import builder_title
from uvcache_tui.tui.doctor.load import BuilderDoctor, DoctorResult, ImageCheck
from uvcache_tui.tui.format import format_size

SEVERITY_STYLES = {"error": "bold red", "warning": "bold yellow", "info": "bold blue"}
FIX_STYLE = "green"
CASES = {
    EXPANSION_LITERAL: "only on engines that keep --mount variables literal: Engine < 23 "
    "without a # syntax line",
    EXPANSION_EXPANDED: "only on engines that expand --mount variables: Engine >= 23, or a "
    "# syntax line",
}
NO_DOCKERFILE = (
    "No Dockerfile given: start with `uvcache-tui --dockerfile PATH` (and `--image IMAGE`) "
    "to see where its uv cache goes, what is wrong, and the corrected lines."
)


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    return grid


def indented(prefix: str, body: Text, prefix_style: str = "dim") -> Table:
    """`body` after `prefix`, its wrapped lines under its first one (not under the prefix)."""
    grid = Table.grid()
    grid.add_column(no_wrap=True, style=prefix_style)
    grid.add_column()
    grid.add_row(prefix, body)
    return grid


def heading(text: str) -> Text:
    return Text(text, style="bold underline")


def versions(builder: BuilderInfo) -> str:
    """`Engine 20.10.24 · BuildKit v0.8.2`, or what is missing."""
    parts = [
        f"Engine {builder.engine_version}" if builder.engine_version else "",
        f"BuildKit {builder.buildkit_version}" if builder.buildkit_version else "",
    ]
    return " · ".join(p for p in parts if p) or "not reported"


def judged_for(result: DoctorResult) -> str:
    used = result.used
    if used is not None and not used.builder.error:
        return (
            f"builder {used.builder.name} ({versions(used.builder)}), the one `docker build` uses"
        )
    return "no builder could be read: a finding that depends on the engine says so"


# --- the Dockerfile ----------------------------------------------------------------------


def _run_rows(diagnosis: DockerfileDiagnosis) -> list[RenderableType]:
    rows: list[RenderableType] = []
    if not diagnosis.runs:
        rows.append(Text("No RUN in this Dockerfile runs uv.", style="dim"))
    for run in diagnosis.runs:
        title = Text.assemble(
            (f"line {run.line}", "bold"), (f"  stage {run.stage}, user {run.user}  ", "dim")
        )
        title.append(run.command)
        rows.append(title)
        grid = _grid()
        grid.add_row(
            "  uv cache", f"{run.cache_dir or 'none (uv keeps no cache)'} ({run.cache_dir_source})"
        )
        for mount in run.cache_mounts:
            holds = Text("holds uv's cache", "green")
            if not mount.holds_cache:
                holds = Text("not uv's cache dir", "bold red")
            grid.add_row(
                "  cache mount",
                Text.assemble(f"{mount.target}  (key {mount.cache_id}; ", holds, ")"),
            )
        rows.append(grid)
    return rows


def image_lines(image: ImageCheck) -> list[RenderableType]:
    if image.caches is None:
        return [Text(f"Image {image.name}: not checked: {image.error}", style="yellow")]
    if not image.caches:
        return [Text(f"Image {image.name}: no uv cache in its layers.", style="green")]
    lines: list[RenderableType] = [Text(f"Image {image.name}", style="bold")]
    for cache in image.caches:
        line = Text(f"  layer {cache.layer_index} of {cache.layer_count}: ", style="bold")
        line.append(f"uv cache at {cache.path}, {format_size(cache.size_bytes)}", "bold red")
        line.append(f" ({', '.join(cache.buckets)})", "dim")
        lines.append(line)
        lines.append(indented("    created by: ", Text(cache.created_by or "?", "dim")))
    return lines


def dockerfile_section(result: DoctorResult) -> RenderableType:
    """The Dockerfile: for which builder it is judged, each uv RUN's cache and mounts."""
    parts: list[RenderableType] = [heading("Dockerfile")]
    if result.dockerfile is None:
        parts.append(Text(NO_DOCKERFILE, style="dim"))
    elif result.error is not None:
        parts.append(Text(f"Not checked: {result.error}", style="bold red"))
    diagnosis = result.diagnosis
    if diagnosis is not None:
        grid = _grid()
        grid.add_row("Path", result.dockerfile or "")
        grid.add_row("Judged for", judged_for(result))
        grid.add_row("--mount variables", diagnosis.expansion_reason)
        if diagnosis.bases_read:
            grid.add_row("Base images read", ", ".join(diagnosis.bases_read))
        unread = [b for b in diagnosis.bases if b not in diagnosis.bases_read]
        if unread:
            grid.add_row("Assumed root in /", ", ".join(unread))
        parts += [grid, Text(""), *_run_rows(diagnosis)]
    if result.image is not None:
        parts += [Text(""), *image_lines(result.image)]
    return Group(*parts)


# --- findings -----------------------------------------------------------------------------


def summary(findings: Sequence[Finding]) -> str:
    """`2 errors, 1 warning`."""
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITY_ORDER}
    return ", ".join(counted(n, s) for s, n in counts.items() if n)


def finding_block(finding: Finding) -> RenderableType:
    """Code, where, what; the case it holds in; why; each fix with its corrected lines."""
    title = Text.assemble(
        (finding.severity, SEVERITY_STYLES.get(finding.severity, "bold")),
        " ",
        (finding.code, "bold reverse"),
        (f" line {finding.line}" if finding.line else "", "bold"),
        ("  " + RULES[finding.code].title, "italic"),
    )
    parts: list[RenderableType] = [title, Text(finding.message, style="bold")]
    if finding.expansion in CASES:
        parts.append(Text(f"[{CASES[finding.expansion]}]", style="yellow"))
    parts.append(Text(finding.explanation))
    for index, fix in enumerate(finding.fixes):
        parts.append(Text.assemble(("Fix: " if index == 0 else "", "bold green"), fix.text))
        for line in fix.lines:
            parts.append(indented("  │ ", Text(line, FIX_STYLE)))
    return Group(*parts)


def findings_section(result: DoctorResult) -> RenderableType:
    findings = result.findings
    if result.diagnosis is None and result.image is None:
        return Group()
    if not findings:
        return Group(heading("Findings"), Text("No findings.", style="bold green"))
    parts: list[RenderableType] = [
        Text.assemble(("Findings", "bold underline"), f"  {summary(findings)}")
    ]
    for finding in findings:
        parts += [Text(""), finding_block(finding)]
    return Group(*parts)


# --- builders -----------------------------------------------------------------------------


def record_line(record: CacheMountRecord, on_disk: MountOnDisk | None, now: datetime) -> Text:
    """`record abc123  0 B as listed, 4.0 KiB on disk · used 2 times · last used …`."""
    line = Text.assemble(("record ", "dim"), (record.id[:12], "cyan"), "  ")
    line.append(f"{mount_size(record)} as listed")
    measured = true_size(on_disk)
    if measured != "-":
        line.append(f", {measured} on disk", "bold")
    elif on_disk is not None and on_disk.note:
        line.append(f" (on disk: {on_disk.note})", "dim")
    count = record.usage_count
    used = "-" if count is None else counted(count, "time")
    line.append(f" · used {used} · last used {last_used(record, now)}")
    if record.in_use:
        line.append(" · in use", "yellow")
    return line


def _records_rows(
    builder: BuilderInfo,
    mounts: Sequence[MountRecords],
    on_disk: Mapping[MountKey, MountOnDisk],
    now: datetime,
) -> list[RenderableType]:
    rows: list[RenderableType] = []
    for found in mounts:
        rows.append(
            Text.assemble(
                (f"  line {found.line} ", "bold"),
                f"cache mount {found.mount.target}",
                (f"  key {found.mount.cache_id}", "dim"),
            )
        )
        if not found.records:
            rows.append(Text("    no record on this builder yet", style="dim"))
        for record in found.records:
            rows.append(
                Text("    ").append_text(
                    record_line(record, on_disk.get((builder.name, record.id)), now)
                )
            )
    return rows


def gc_rules(builder: BuilderInfo) -> Text:
    """The policy as the BuildKit view says it (identical rules once); cache mounts go first."""
    if not builder.gc_policy:
        return Text("not reported by this builder", "dim")
    text = Text("\n".join(describe_gc_policy(builder.gc_policy, detailed=True)))
    text.append("\n(cache mounts go first)", "dim")
    return text


def _uses_line(item: BuilderDoctor, result: DoctorResult) -> Text:
    if item.used:
        return Text("yes: the current builder", style="bold green")
    used = result.used
    other = f"builds use {used.builder.name}" if used is not None else "not the current builder"
    return Text(f"no: {other} (`docker buildx use {item.builder.name}` selects this one)")


def builder_block(
    item: BuilderDoctor,
    result: DoctorResult,
    on_disk: Mapping[MountKey, MountOnDisk],
    now: datetime,
) -> RenderableType:
    builder = item.builder
    grid = _grid()
    grid.add_row("Versions", versions(builder))
    grid.add_row("Used by builds", _uses_line(item, result))
    uv_mounts = [m for m in builder.mounts if m.kind == "uv"]
    if builder.listed:
        grid.add_row("uv cache mounts", f"{len(uv_mounts)} of {len(builder.mounts)} cache mounts")
    if builder.listed:
        grid.add_row("GC policy", gc_rules(builder))
    diagnosis = result.diagnosis
    if diagnosis is not None and item.findings != diagnosis.findings and not builder.error:
        codes = ", ".join(f.code for f in item.findings) or "none"
        grid.add_row("Findings here", f"{codes} (this builder's versions read the Dockerfile)")
    parts: list[RenderableType] = [builder_title(builder), grid]
    if builder.error:
        parts.append(Text(builder.error, style="bold red"))
    elif result.diagnosis is not None:
        parts.append(Text("Records of the Dockerfile's uv cache mounts:", style="bold"))
        parts += _records_rows(builder, item.check.mounts, on_disk, now)
    ephemeral = ephemeral_note(builder)
    if ephemeral is not None:
        parts.append(Text(f"Note: {ephemeral}", style="yellow"))
    return Group(*parts)


def builders_section(
    result: DoctorResult, on_disk: Mapping[MountKey, MountOnDisk], now: datetime
) -> RenderableType:
    parts: list[RenderableType] = [heading("Builders")]
    if result.docker is not None:
        parts.append(Text(result.docker, style="yellow"))
        unchecked = "Not checked: the engine's version, the records, the GC policy."
        if result.diagnosis is not None:
            unchecked += " Findings that depend on the engine say which engines they hold on."
        parts.append(Text(unchecked, style="dim"))
        return Group(*parts)
    for index, item in enumerate(result.builders):
        if index:
            parts.append(Text(""))
        parts.append(builder_block(item, result, on_disk, now))
    return Group(*parts)
