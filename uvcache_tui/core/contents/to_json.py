"""JSON-ready views of the deep contents, for `show --json` (schema in docs/json.md)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from uvcache_tui.core.contents import (
    CachedWheel,
    Contents,
    GitCheckout,
    IndexPages,
    InterpreterEntry,
    SdistRevision,
)


def timestamp(seconds: float | None) -> str | None:
    """UTC, to the second: `2026-12-01T01:52:26+00:00`."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


def wheel_json(wheel: CachedWheel) -> dict[str, Any]:
    return {
        "filename": wheel.filename,
        "version": wheel.version,
        "tags": wheel.tags,
        "built": wheel.built,
        "origin": wheel.origin.to_json(),
        "entry": wheel.entry,
        "bucket": wheel.bucket,
        "current": wheel.current,
        "archive": wheel.archive_id,
        "linked": wheel.linked,
        "allocated_bytes": wheel.allocated,
        "reclaimable_bytes": wheel.reclaimable,
        "links_outside": wheel.links_outside,
        "cached_at": timestamp(wheel.cached_at),
    }


def sdist_json(revision: SdistRevision) -> dict[str, Any]:
    return {
        "version": revision.version,
        "revision": revision.revision,
        "path": revision.path,
        "origin": revision.origin.to_json(),
        "current": revision.current,
        "wheels": list(revision.wheels),
        "allocated_bytes": revision.allocated,
        "reclaimable_bytes": revision.reclaimable,
    }


def interpreter_json(entry: InterpreterEntry) -> dict[str, Any]:
    return {
        "path": entry.path,
        "bucket": entry.bucket,
        "executable": entry.executable,
        "prefix": entry.prefix,
        "base_prefix": entry.base_prefix,
        "base_executable": entry.base_executable,
        "implementation": entry.implementation,
        "version": entry.version,
        "platform": entry.platform,
        "os_tag": entry.os_tag,
        "virtualenv": entry.is_virtualenv,
        "exists": entry.exists,
        "stale": None if entry.exists is None else not entry.exists,
        "allocated_bytes": entry.allocated,
    }


def index_json(index: IndexPages) -> dict[str, Any]:
    return {
        "label": index.label,
        "url": index.url,
        "path": index.path,
        "bucket": index.bucket,
        "current": index.current,
        "pages": index.pages,
        "allocated_bytes": index.allocated,
    }


def checkout_json(checkout: GitCheckout) -> dict[str, Any]:
    return {
        "path": checkout.path,
        "repository": checkout.repository,
        "commit": checkout.commit or checkout.short_commit,
        "complete": checkout.complete,
        "current": checkout.current,
        "allocated_bytes": checkout.allocated,
        "reclaimable_bytes": checkout.reclaimable,
    }


def package_contents_json(contents: Contents, package: str) -> dict[str, Any]:
    """The keys a `packages[]` item gains."""
    found = contents.of(package)
    return {
        "wheels": [wheel_json(wheel) for wheel in found.wheels],
        "sdist_revisions": [sdist_json(revision) for revision in found.sdists],
    }


def contents_json(contents: Contents) -> dict[str, Any]:
    """The top-level keys `show --json` gains."""
    return {
        "interpreters": [interpreter_json(entry) for entry in contents.interpreters],
        "indexes": [index_json(index) for index in contents.indexes],
        "git_checkouts": [checkout_json(checkout) for checkout in contents.git_checkouts],
        "undecoded": [entry.to_json() for entry in contents.undecoded],
    }
