"""A package's sdist revisions and the wheels built from them (`sdists-vN`): the source
dirs as read from disk (`source_dirs`, ahead or now) joined with the model (origins, sizes)."""

from __future__ import annotations

from uvcache_tui.core.contents.git import repository_of
from uvcache_tui.core.contents.layout import Origin, index_label, normalize, wheel_parts
from uvcache_tui.core.contents.records import display_path
from uvcache_tui.core.contents.source_dirs import (
    INDEX_KINDS,
    SourceDirReading,
    read_source_dir,
    sdist_url,
    subdirs,
)
from uvcache_tui.core.contents.wheels import Context, PackageContents, SdistRevision, wheel_of


def _source_dir(ctx: Context, relative: str, with_pointer: bool) -> SourceDirReading:
    """The source dir read ahead, else read now."""
    ahead = ctx.sources.pop(relative, None)
    return ahead if ahead is not None else read_source_dir(ctx.root, relative, with_pointer)


def read_sdist_dir(ctx: Context, package: str, directory: str, out: PackageContents) -> None:
    """`sdists-vN/{pypi,index/<d>}/<name>` (one dir per version), or `…/{url,path,editable,
    git}/<digest>` (the source itself)."""
    parts = directory.split("/")
    kind_dir = parts[1]
    digest = parts[2] if kind_dir != "pypi" else None
    if kind_dir in INDEX_KINDS:
        index = index_label(kind_dir, digest, ctx.index_urls)
        versions = ctx.versions.pop(directory, None)
        for version in versions if versions is not None else subdirs(ctx.path(directory)):
            _read_revisions(ctx, package, f"{directory}/{version}", version, "index", index, out)
        return
    _read_revisions(ctx, package, directory, None, kind_dir, None, out)


def _read_revisions(
    ctx: Context,
    package: str,
    directory: str,
    version: str | None,
    kind: str,
    index: str | None,
    out: PackageContents,
) -> None:
    source = _source_dir(ctx, directory, kind != "git")
    if source.failure is not None:
        out.undecoded.append(source.failure)
    url = sdist_url(source.urls, package)
    bucket = directory.split("/", 1)[0]
    current = ctx.current.get(bucket, False)
    if kind == "index" and source.has_rev_pointer:
        kind = "find-links"  # a local --find-links dir: uv keeps a `.rev`, not `.http`
    for revision, built in source.revisions:
        rev_dir = f"{directory}/{revision}"
        if kind == "git":
            repository, commit = repository_of(revision, ctx.checkouts)
            origin = Origin("git", url=repository, commit=commit)
        else:
            origin = Origin(kind, index=index, url=url)
        for wheel in built:
            parsed = wheel_parts(wheel.filename)
            if parsed is None or normalize(parsed[0]) != package:
                continue
            entry = f"{rev_dir}/{wheel.filename[: -len('.whl')]}"
            out.wheels.append(
                wheel_of(
                    ctx,
                    package,
                    entry,
                    parsed[1],
                    parsed[2],
                    wheel.filename,
                    True,
                    origin,
                    None,
                    wheel.built_at,
                    bucket,
                    current,
                )
            )
        sizes = ctx.sizes([rev_dir])
        out.sdists.append(
            SdistRevision(
                package=package,
                version=version
                or next((w.version for w in out.wheels if w.entry.startswith(rev_dir + "/")), None),
                revision=display_path(revision),
                path=display_path(rev_dir),
                origin=origin,
                current=None if source.current is None else revision == source.current,
                wheels=tuple(w.filename for w in built),
                allocated=sizes.allocated,
                reclaimable=sizes.reclaimable,
            )
        )
