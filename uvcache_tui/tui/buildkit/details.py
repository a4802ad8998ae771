"""What the BuildKit detail pane says about a builder, one cache mount, or Docker's state:
Rich renderables built from the core's `BuilderInfo` / `CacheMountRecord`, with the wording
of `uvcache-tui buildkit ls`. No widget here (`view.py` shows them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import humanize
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from uvcache_tui.core.buildkit.gc import describe_gc_policy
from uvcache_tui.core.buildkit.ondisk import MountOnDisk
from uvcache_tui.core.buildkit.records import (
    FLAG_UNEXPANDED,
    FLAG_UNPARSED,
    SIZE_NOTE,
    BuilderInfo,
    CacheMountRecord,
)
from uvcache_tui.core.buildkit.texts import (
    describe_records,
    distinct_cache_id,
    last_used,
    mount_size,
    true_size,
)
from uvcache_tui.tui.buildkit.format import kind_text
from uvcache_tui.tui.format import format_size

WHAT_IS_A_CACHE_MOUNT = (
    "`RUN --mount=type=cache,target=…` lends the RUN step a directory that BuildKit keeps "
    "for itself. uv fills it; when the step ends the directory is unmounted and kept for the "
    "next build that asks for the same cache id (by default the target path). It is not in "
    "the image: the image gets only what the step wrote outside the mount, so `docker image "
    "ls` never counts it and deleting the image does not free it. It lives in the builder "
    "until it is pruned or garbage-collected."
)

WHY_REDOWNLOAD = (
    "a different cache id, target, uid/gid/mode or from= makes a different cache "
    "(the id defaults to the target path)",
    "a different builder (another docker context, a docker-container builder, CI's own "
    "builder) has caches of its own",
    "the record was pruned (docker builder prune, this tool, a GC policy)",
    "CI runners start with an empty builder: cache mounts are not exported by "
    "--cache-to/--cache-from, so nothing carries over unless the builder's state persists",
)

FLAG_HELP = {
    FLAG_UNEXPANDED: (
        "The target still holds a `${VAR}`: the built-in Dockerfile frontend of Docker "
        "Engine < 23 (without a `# syntax=` line) did not expand variables in `--mount` "
        "options. The mount landed on that literal path, while uv, whose shell does expand "
        "the variable, wrote its cache to the expanded path, so the uv cache most likely "
        "went into the image layer (astral-sh/uv#16180). Fix: a literal target "
        "(`target=/root/.cache/uv`), a `# syntax=docker/dockerfile:1` line, or Engine 23 or "
        "later."
    ),
    FLAG_UNPARSED: (
        "The description is not in the known form `cached mount <target> from exec "
        "<command>`: target, command and kind could not be read from it."
    ),
}

USAGE_NOTE = "a hint: rises by one or two per build that mounts the cache"


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "?"}[value]


def when(value: datetime | None, now: datetime, fallback: str | None = None) -> str:
    """`2026-11-29 07:58:46 UTC (3 minutes ago)`; buildx's "About a minute ago" without a time."""
    if value is None:
        return fallback or "-"
    stamp = value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"{stamp} ({humanize.naturaltime(now - value)})"


def _grid() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    return grid


def builder_title(builder: BuilderInfo) -> Text:
    """`Builder default  docker driver, current`."""
    title = Text.assemble(("Builder ", "bold"), (builder.name, "bold cyan"))
    parts = [f"{builder.driver} driver"]
    if builder.current:
        parts.append("current")
    title.append(f"  {', '.join(parts)}", style="dim")
    return title


def mounts_table(
    builder: BuilderInfo, now: datetime, on_disk: Mapping[str, MountOnDisk] | None = None
) -> Table:
    """Kind, size (and on disk once measured), last used, uses, in use, target, ID: one row
    per cache mount."""
    table = Table(box=None, padding=(0, 1), header_style="bold", show_edge=False)
    table.add_column("Kind", no_wrap=True)
    table.add_column("Size", justify="right", no_wrap=True)
    if on_disk:
        table.add_column("On disk", justify="right", no_wrap=True)
    table.add_column("Last used", no_wrap=True)
    table.add_column("Uses", justify="right", no_wrap=True)
    table.add_column("In use", no_wrap=True)
    table.add_column("Target", min_width=20, overflow="fold")
    table.add_column("ID", no_wrap=True, style="dim")
    for mount in builder.mounts:
        target = Text(mount.target or mount.description)
        cache_id = distinct_cache_id(mount)
        if cache_id is not None:
            target.append(f" id={cache_id}", style="cyan")
        if mount.flags:
            target.append(f"  ! {', '.join(mount.flags)}", style="yellow")
        measured = [true_size(on_disk.get(mount.id))] if on_disk else []
        table.add_row(
            kind_text(mount.kind),
            mount_size(mount),
            *measured,
            last_used(mount, now),
            "-" if mount.usage_count is None else str(mount.usage_count),
            _yes_no(mount.in_use),
            target,
            mount.id,
        )
    return table


def builder_details(
    builder: BuilderInfo,
    now: datetime,
    warnings: Sequence[str] = (),
    read_only: bool = False,
    on_disk: Mapping[str, MountOnDisk] | None = None,
) -> RenderableType:
    """Everything known about a builder, then its cache mounts (`on_disk`: by record ID)."""
    parts: list[RenderableType] = [builder_title(builder), Text("")]
    grid = _grid()
    grid.add_row("Driver", builder.driver)
    if builder.endpoint:
        grid.add_row("Endpoint", builder.endpoint)
    if builder.host and builder.host != builder.endpoint:
        grid.add_row("Host", builder.host)
    grid.add_row("Status", builder.status or "-")
    grid.add_row("BuildKit", builder.buildkit_version or "not reported")
    if builder.engine_version or builder.api_version:
        grid.add_row(
            "Engine", f"{builder.engine_version or '?'} (API {builder.api_version or '?'})"
        )
    if builder.source == "engine-api":
        grid.add_row("Read with", "the Engine API (`GET /system/df`): exact bytes")
    elif builder.source == "buildx-du":
        grid.add_row("Read with", "`docker buildx du`: sizes parsed from human strings (~)")
    if builder.gc_policy:
        grid.add_row("GC policy", "\n".join(describe_gc_policy(builder.gc_policy, detailed=True)))
    elif builder.listed:
        grid.add_row("GC policy", Text("not reported by this builder", style="dim"))
    if builder.listed:
        grid.add_row("Records", describe_records(builder))
    parts.append(grid)
    if builder.error:
        parts += [Text(""), Text(builder.error, style="bold red")]
        parts.append(
            Text(
                "Local caches are not affected. Press r on a BuildKit row to try again.",
                style="dim",
            )
        )
    for warning in warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    if builder.listed:
        parts.append(Text(""))
        if builder.mounts:
            parts.append(mounts_table(builder, now, on_disk))
            if on_disk and any(f.size is not None and f.size.stale for f in on_disk.values()):
                parts.append(Text("* BuildKit's size is stale (On disk: measured now)", "dim"))
        else:
            parts.append(
                Text(
                    "No cache mounts: no build on this builder used "
                    "RUN --mount=type=cache (or they were pruned).",
                    style="dim",
                )
            )
        keys = "r reload" if read_only else "D prune all cache mounts of this builder · r reload"
        parts += [Text(""), Text(keys, style="dim")]
    return Group(*parts)


def mount_title(mount: CacheMountRecord) -> Text:
    """`uv cache mount  /root/.cache/uv`."""
    title = kind_text(mount.kind)
    title.append(" cache mount  ", style="bold")
    title.append(mount.target or mount.id, style="bold")
    cache_id = distinct_cache_id(mount)
    if cache_id is not None:
        title.append(f" id={cache_id}", style="cyan")
    return title


def size_line(mount: CacheMountRecord, on_disk: MountOnDisk | None) -> Text:
    """`on disk 512.0 KiB (du -sB1)  BuildKit says 1.7 KiB — stale`."""
    text = Text()
    if on_disk is not None and on_disk.size is not None:
        text.append("on disk ", style="dim")
        text.append(format_size(on_disk.size.allocated), style="bold")
        text.append(" (du -sB1)  ", style="dim")
    text.append("BuildKit says ", style="dim")
    text.append(mount_size(mount))
    if on_disk is not None and on_disk.size is not None and on_disk.size.stale:
        text.append(" — stale", style="bold yellow")
    return text


def on_disk_rows(grid: Table, mount: CacheMountRecord, on_disk: MountOnDisk) -> None:
    """The true size and the directory, or why the fast path cannot read the mount."""
    if on_disk.size is not None:
        grid.add_row("On disk", size_line(mount, on_disk))
    if on_disk.path is not None:
        grid.add_row("Path", on_disk.path)
    elif on_disk.note:
        grid.add_row("On disk", Text(f"not read here: {on_disk.note}", style="yellow"))


def mount_details(
    builder: BuilderInfo,
    mount: CacheMountRecord,
    now: datetime,
    read_only: bool = False,
    on_disk: MountOnDisk | None = None,
    contents: str | None = None,
) -> RenderableType:
    """One cache mount: its record, its true size and contents when read on disk, its
    flags explained, and what a cache mount is."""
    parts: list[RenderableType] = [
        mount_title(mount),
        Text(f"in builder {builder.name} ({builder.driver} driver)", style="dim"),
        Text(""),
    ]
    grid = _grid()
    grid.add_row("ID", mount.id)
    grid.add_row("Target", mount.target or Text("unknown", style="dim"))
    grid.add_row("Command", mount.command or Text("unknown", style="dim"))
    if mount.cache_id is not None:
        grid.add_row("Cache id", mount.cache_id)
        grid.add_row(
            "Namespace",
            mount.namespace or Text("none (BUILDKIT_CACHE_MOUNT_NS not set)", style="dim"),
        )
    else:
        grid.add_row(
            "Cache id",
            Text(
                "not in the description (printed from BuildKit 0.12 / Engine 25 on); "
                "by default the target path",
                style="dim",
            ),
        )
    grid.add_row("Size", Text.assemble((mount_size(mount), "bold"), (f"  {SIZE_NOTE}", "dim")))
    grid.add_row("Created", when(mount.created_at, now))
    grid.add_row("Last used", when(mount.last_used_at, now, mount.last_used_text))
    usage = "-" if mount.usage_count is None else str(mount.usage_count)
    grid.add_row("Usage count", Text.assemble(usage, (f"  {USAGE_NOTE}", "dim")))
    grid.add_row("In use", _yes_no(mount.in_use))
    grid.add_row("Shared", _yes_no(mount.shared))
    grid.add_row("Kind", kind_text(mount.kind))
    grid.add_row("Description", Text(mount.description, style="dim"))
    if on_disk is not None:
        on_disk_rows(grid, mount, on_disk)
    parts.append(grid)
    if contents:
        parts += [Text(""), Text("Contents", style="bold underline"), Text(contents)]
    if mount.flags:
        parts += [Text(""), Text("Flags", style="bold yellow underline")]
        for flag in mount.flags:
            line = Text.assemble((f"! {flag}: ", "bold yellow"))
            line.append(FLAG_HELP.get(flag, ""))
            parts.append(line)
    parts += [
        Text(""),
        Text("What a cache mount is", style="bold underline"),
        Text(WHAT_IS_A_CACHE_MOUNT),
        Text(""),
        Text("Why `uv sync` may download again", style="bold underline"),
    ]
    parts += [Text(f"• {reason}") for reason in WHY_REDOWNLOAD]
    keys = (
        "r reload"
        if read_only
        else "d prune this mount · D prune all cache mounts of this builder · r reload"
    )
    parts += [Text(""), Text(keys, style="dim")]
    return Group(*parts)


def status_details(title: str, message: str | None, builders: Sequence[BuilderInfo]) -> Group:
    """Loading, Docker not reachable, or no builders: the message and every builder's error."""
    parts: list[RenderableType] = [Text(title, style="bold")]
    if message:
        parts += [Text(""), Text(message, style="bold red")]
    errors = [b for b in builders if b.error]
    if len(errors) > 1 or (errors and errors[0].error != message):
        parts.append(Text(""))
        grid = _grid()
        for builder in errors:
            grid.add_row(builder.name, builder.error or "")
        parts.append(grid)
    if message:
        parts += [
            Text(""),
            Text(
                "Local caches are not affected. BuildKit cache mounts are read through Docker "
                "(DOCKER_HOST, DOCKER_CONTEXT, docker buildx); press r on this row to try again.",
                style="dim",
            ),
        ]
    return Group(*parts)
