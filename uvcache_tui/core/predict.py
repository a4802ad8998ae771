"""What `uv cache prune`, `prune --ci`, `clean NAME…` and `clean` will remove, before they run.

The rules follow uv's source and observed behaviour for the detected uv version
(uv-cache.md §5.2–5.5), each version gate checked against real releases
(tests/core/test_predict_versions.py). The prediction is a list of entries (dirs or files,
relative to the cache root, none inside another) whose union is exactly what uv deletes.
Over 400 lines: the four predictions share one collector and its bucket walks.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from uvcache_tui.core.archive_links import ARCHIVE_BUCKET
from uvcache_tui.core.buckets import BucketStatus, parse_version
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.model import Sizes
from uvcache_tui.core.packages import built_distribution, index_page_name, normalize_name
from uvcache_tui.core.scan.tree import add_sizes, file_sizes

PYTHON_BUCKET_PRUNE_FIXED = (0, 11, 21)
"""uv releases before this delete their own `python-vN` bucket on prune (uv#19795)."""
BUILDS_PRUNED_SINCE = (0, 12, 24)
"""First uv whose prune empties `builds-v0` (observed: 0.12.23 leaves a leftover build env)."""
CACHE_ROOT_KEPT_SINCE = (0, 13, 1)
"""First uv whose `cache clean` keeps the cache dir and its `.lock` (0.13.0 removes both)."""


class ActionKind(str, Enum):
    PRUNE = "prune"
    PRUNE_CI = "prune-ci"
    CLEAN_PACKAGES = "clean-packages"
    CLEAR_ALL = "clear-all"

    @property
    def display_name(self) -> str:
        return {
            ActionKind.PRUNE: "Prune",
            ActionKind.PRUNE_CI: "Prune for CI",
            ActionKind.CLEAN_PACKAGES: "Clean packages",
            ActionKind.CLEAR_ALL: "Clear all",
        }[self]


@dataclass(frozen=True)
class PlannedRemoval:
    """One entry uv will delete, with a name a person can read."""

    path: str
    """Relative to the cache root."""
    kind: str
    label: str
    is_dir: bool
    sizes: Sizes


@dataclass
class Prediction:
    action: ActionKind
    entries: list[PlannedRemoval]
    totals: Sizes
    shrink_bytes: int = 0
    """How much the cache's own allocated total will drop (what `du` on the cache will show)."""
    packages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the user should know about the prediction itself (uv quirks it follows)."""
    blockers: list[str] = field(default_factory=list)
    """Why uv would not do what is predicted (e.g. it stops with an error part-way)."""

    def groups(self) -> dict[str, list[PlannedRemoval]]:
        grouped: dict[str, list[PlannedRemoval]] = {}
        for entry in self.entries:
            grouped.setdefault(entry.kind, []).append(entry)
        return grouped


def _listdir(path: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(path) as entries:
            return sorted(entries, key=lambda e: e.name)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


class _Collector:
    """Collects removals, keeping them disjoint and labelled."""

    def __init__(self, model: CacheModel) -> None:
        self.model = model
        self.entries: dict[str, tuple[str, str, bool]] = {}
        self.blockers: list[str] = []

    def add(self, relpath: str, kind: str, label: str | None = None) -> None:
        relpath = relpath.strip("/")
        if relpath in self.entries or self._covered(relpath):
            return
        full = os.path.join(self.model.path, relpath)
        try:
            is_dir = stat.S_ISDIR(os.lstat(full).st_mode)
        except OSError:
            return
        prefix = relpath + "/"
        for other in [p for p in self.entries if p.startswith(prefix)]:
            del self.entries[other]
        self.entries[relpath] = (kind, label or relpath, is_dir)

    def _covered(self, relpath: str) -> bool:
        parent = os.path.dirname(relpath)
        while parent:
            if parent in self.entries:
                return True
            parent = os.path.dirname(parent)
        return False

    def covers(self, relpath: str) -> bool:
        return relpath in self.entries or self._covered(relpath)

    def finish(self, action: ActionKind, packages: Iterable[str] = ()) -> Prediction:
        """The collected entries with their sizes; `blockers` carries over."""
        removals = [
            PlannedRemoval(path, kind, label, is_dir, self._sizes([path], is_dir))
            for path, (kind, label, is_dir) in sorted(self.entries.items())
        ]
        totals = self._total(removals)
        shrink = self.model.shrink_bytes([r.path for r in removals if r.is_dir]) + sum(
            r.sizes.allocated for r in removals if not r.is_dir
        )
        return Prediction(
            action, removals, totals, shrink, sorted(packages), blockers=list(self.blockers)
        )

    def _sizes(self, paths: list[str], is_dir: bool) -> Sizes:
        if is_dir:
            return self.model.selection_sizes(paths)
        return file_sizes(os.path.join(self.model.path, paths[0]))

    def _total(self, removals: list[PlannedRemoval]) -> Sizes:
        dirs = [r.path for r in removals if r.is_dir]
        total = self.model.selection_sizes(dirs)
        for removal in removals:
            if not removal.is_dir:
                total = add_sizes(total, removal.sizes)
        return total


def _archive_label(model: CacheModel, archive_id: str) -> str:
    for archive in model.archives:
        if archive.archive_id == archive_id:
            return f"{archive.label} ({archive_id})"
    return archive_id


def _current_bucket(model: CacheModel, family: str) -> str | None:
    for bucket in model.buckets:
        if bucket.family == family and bucket.status is BucketStatus.CURRENT and bucket.is_dir:
            return bucket.name
    return None


def _stale_revisions(model: CacheModel, sdists: str, collector: _Collector) -> None:
    """Sibling dirs of a `revision.http`/`revision.rev` that are not the current revision.

    The pointer's payload format changes between uv releases, so the current revision is the
    sibling whose name occurs in the pointer's bytes (revision ids are stored verbatim).
    """
    stack = [os.path.join(model.path, sdists)]
    while stack:
        directory = stack.pop()
        entries = _listdir(directory)
        names = {e.name for e in entries}
        pointer = next((n for n in ("revision.http", "revision.rev") if n in names), None)
        subdirs = [e for e in entries if _is_dir(e)]
        if pointer is not None:
            try:
                with open(os.path.join(directory, pointer), "rb") as handle:
                    content = handle.read()
            except OSError:
                continue
            for sub in subdirs:
                if sub.name.encode() not in content:
                    relpath = os.path.relpath(sub.path, model.path)
                    collector.add(relpath, "stale-revision", f"old source revision {relpath}")
            continue
        stack.extend(sub.path for sub in subdirs if sub.name != "src")


def _surviving_references(model: CacheModel, collector: _Collector) -> set[str]:
    current = {
        b.name
        for b in model.buckets
        if b.status is BucketStatus.CURRENT and b.family in ("wheels", "sdists")
    }
    return {
        link.archive_id
        for link in model.links
        if link.referrer.split("/", 1)[0] in current and not collector.covers(link.referrer)
    }


def predict_prune(model: CacheModel, ci: bool = False) -> Prediction:
    """`uv cache prune [--ci]` (uv-cache.md §5.3, §5.4)."""
    collector = _Collector(model)
    sdists = _current_bucket(model, "sdists")
    if sdists:
        _stale_revisions(model, sdists, collector)
    version = parse_version(model.table.uv_version)
    for bucket in model.buckets:
        if bucket.status is BucketStatus.STALE:
            collector.add(bucket.name, "stale-bucket", f"{bucket.name} (bucket of another uv)")
        elif bucket.family == "python" and version and version < PYTHON_BUCKET_PRUNE_FIXED:
            # uv#19795: before 0.11.21 prune treated its own python-vN bucket as stale.
            collector.add(bucket.name, "stale-bucket", f"{bucket.name} (pruned by this uv's bug)")
        elif bucket.status is BucketStatus.FOREIGN:
            collector.add(bucket.name, "foreign", f"{bucket.name} (not uv's)")
    environments = _current_bucket(model, "environments")
    if environments:
        for entry in _listdir(os.path.join(model.path, environments)):
            collector.add(f"{environments}/{entry.name}", "environment", "cached environment")
    builds = _current_bucket(model, "builds")
    if builds and (not version or version >= BUILDS_PRUNED_SINCE):
        # uv removes every entry here, whatever it is ("Removing temporary build environment").
        for entry in _listdir(os.path.join(model.path, builds)):
            collector.add(
                f"{builds}/{entry.name}", "build-environment", "leftover temporary build env"
            )
    if ci:
        wheels = _current_bucket(model, "wheels")
        if wheels:
            for entry in _listdir(os.path.join(model.path, wheels)):
                if _is_dir(entry):
                    collector.add(f"{wheels}/{entry.name}", "prebuilt-wheels", "pre-built wheels")
        if sdists:
            _unzipped_sdists(model, sdists, collector)
    _dangling_archives(model, collector)
    prediction = collector.finish(ActionKind.PRUNE_CI if ci else ActionKind.PRUNE)
    prediction.notes.append(
        "uv removes every cached environment and every archive no wheel or sdist entry links "
        "to; venvs hardlinked from the cache keep working, symlink-mode venvs break."
    )
    return prediction


def _unzipped_sdists(model: CacheModel, sdists: str, collector: _Collector) -> None:
    """In every dir holding `metadata.msgpack`, everything but it and built `*.whl` files."""
    stack = [os.path.join(model.path, sdists)]
    while stack:
        directory = stack.pop()
        entries = _listdir(directory)
        if any(e.name == "metadata.msgpack" for e in entries):
            for entry in entries:
                if entry.name == "metadata.msgpack" or entry.name.endswith(".whl"):
                    continue
                relpath = os.path.relpath(entry.path, model.path)
                label = "unpacked source" if entry.name == "src" else f"unzipped build {entry.name}"
                collector.add(relpath, "unzipped-sdist", label)
            continue
        stack.extend(e.path for e in entries if _is_dir(e))


def _dangling_archives(model: CacheModel, collector: _Collector) -> None:
    """Every entry of archive-v0 no surviving link names, of any type (uv removes FIFOs,
    sockets, files and symlinks there too).

    uv resolves each entry first and stops with an error on one that does not resolve
    (a broken symlink or a loop), part-way through: that is a blocker, not a guess.
    """
    referenced = _surviving_references(model, collector)
    for archive in model.archives:
        if archive.archive_id not in referenced:
            collector.add(
                f"{ARCHIVE_BUCKET}/{archive.archive_id}",
                "dangling-archive",
                _archive_label(model, archive.archive_id),
            )
    known = {archive.archive_id for archive in model.archives}
    for entry in _listdir(os.path.join(model.path, ARCHIVE_BUCKET)):
        if entry.name in known or entry.name in referenced:
            continue
        relpath = f"{ARCHIVE_BUCKET}/{entry.name}"
        if entry.is_symlink() and not os.path.exists(entry.path):
            collector.blockers.append(
                f"{relpath} is a symlink that does not resolve (broken or a loop): "
                "uv cache prune stops with an error on it after deleting part of the cache; "
                "remove that link first"
            )
            continue
        collector.add(
            relpath, "dangling-archive", f"{_entry_type(entry)} {entry.name} (not an archive)"
        )


def _entry_type(entry: os.DirEntry[str]) -> str:
    """`file`, `dir`, `symlink`, `FIFO`, `socket` or `device`, for labels."""
    try:
        mode = entry.stat(follow_symlinks=False).st_mode
    except OSError:
        return "entry"
    for test, name in (
        (stat.S_ISLNK, "symlink"),
        (stat.S_ISDIR, "dir"),
        (stat.S_ISREG, "file"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "device"


def predict_clean_packages(model: CacheModel, names: Iterable[str]) -> Prediction:
    """`uv cache clean NAME…` (uv-cache.md §5.5): per-bucket entries, then orphaned archives."""
    wanted = sorted({normalize_name(name) for name in names})
    collector = _Collector(model)
    referenced_before = _surviving_references(model, collector)
    for bucket in model.buckets:
        if bucket.status is not BucketStatus.CURRENT or not bucket.is_dir:
            continue
        base = os.path.join(model.path, bucket.name)
        for name in wanted:
            if bucket.family == "wheels":
                _clean_by_name_dirs(collector, model, bucket.name, name, ("pypi", "index", "url"))
            elif bucket.family == "sdists":
                _clean_by_name_dirs(collector, model, bucket.name, name, ("pypi", "index"))
                _clean_by_built_name(collector, model, bucket.name, name)
            elif bucket.family == "simple":
                for relpath in _name_entries(base, ("pypi", "index"), index_page_name(name)):
                    collector.add(f"{bucket.name}/{relpath}", "index-page", f"{name} index page")
        if bucket.family == "flat-index" and wanted:
            collector.add(bucket.name, "flat-index", f"{bucket.name} (uv wipes it for any name)")
    referenced_after = _surviving_references(model, collector)
    for archive_id in sorted(referenced_before - referenced_after):
        collector.add(
            f"{ARCHIVE_BUCKET}/{archive_id}", "archive", _archive_label(model, archive_id)
        )
    prediction = collector.finish(ActionKind.CLEAN_PACKAGES, wanted)
    prediction.notes.append(
        "uv deletes the whole flat-index bucket for any package name, and leaves "
        "editable source builds (sdists …/editable/) alone."
    )
    if not any(e.kind not in ("flat-index",) for e in prediction.entries):
        prediction.notes.append("No cache entries found for: " + ", ".join(wanted))
    return prediction


def clean_packages_sizes(model: CacheModel, names: Iterable[str]) -> Sizes:
    """What cleaning these packages frees: the figure for a selection of packages.

    The marked-selection line, the clean preview and `clean --dry-run` all show this, so
    the figures agree by construction (index pages, orphaned archives, the flat-index
    bucket, counted as uv deletes them)."""
    return predict_clean_packages(model, names).totals


def _name_entries(base: str, kinds: tuple[str, ...], target: str) -> list[str]:
    """`pypi/<target>` and `<kind>/<digest>/<target>` below `base`, relative to `base`."""
    found: list[str] = []
    for kind in kinds:
        kind_dir = os.path.join(base, kind)
        if kind == "pypi":
            if os.path.lexists(os.path.join(kind_dir, target)):
                found.append(f"{kind}/{target}")
            continue
        for digest in _listdir(kind_dir):
            if _is_dir(digest) and os.path.lexists(os.path.join(digest.path, target)):
                found.append(f"{kind}/{digest.name}/{target}")
    return found


def _clean_by_name_dirs(
    collector: _Collector, model: CacheModel, bucket: str, name: str, kinds: tuple[str, ...]
) -> None:
    base = os.path.join(model.path, bucket)
    for relpath in _name_entries(base, kinds, name):
        collector.add(f"{bucket}/{relpath}", "package-entry", f"{name} ({bucket}/{relpath})")


def _clean_by_built_name(collector: _Collector, model: CacheModel, bucket: str, name: str) -> None:
    """url/path/git sdists are keyed by digest: match them by the wheel built inside."""
    base = os.path.join(model.path, bucket)
    for kind in ("url", "path"):
        for digest in _listdir(os.path.join(base, kind)):
            built = built_distribution(digest.path) if _is_dir(digest) else None
            if built and built[0] == name:
                collector.add(f"{bucket}/{kind}/{digest.name}", "package-entry", f"{name} ({kind})")
    for repo in _listdir(os.path.join(base, "git")):
        for checkout in _listdir(repo.path) if _is_dir(repo) else []:
            built = built_distribution(checkout.path) if _is_dir(checkout) else None
            if built and built[0] == name:
                collector.add(
                    f"{bucket}/git/{repo.name}/{checkout.name}", "package-entry", f"{name} (git)"
                )


def predict_clear_all(model: CacheModel) -> Prediction:
    """`uv cache clean`: every entry of the root; uv >= 0.13.1 keeps the root dir and `.lock`."""
    collector = _Collector(model)
    version = parse_version(model.table.uv_version)
    keeps_root = not version or version >= CACHE_ROOT_KEPT_SINCE
    for bucket in model.buckets:
        if bucket.name == ".lock" and keeps_root:
            continue
        collector.add(bucket.name, "everything", bucket.name)
    prediction = collector.finish(ActionKind.CLEAR_ALL)
    if not keeps_root:
        _add_root_dir(prediction, model.path)
        prediction.notes.append(
            f"uv {model.table.uv_version} also removes the cache directory itself."
        )
    prediction.notes.append(
        "Tools and managed Pythons keep working; every venv keeps its files, but the next "
        "install downloads everything again."
    )
    return prediction


def _add_root_dir(prediction: Prediction, root: str) -> None:
    """The cache dir's own block, freed when uv removes the root itself."""
    try:
        st = os.lstat(root)
    except OSError:
        return
    alloc = st.st_blocks * 512
    t = prediction.totals
    prediction.totals = Sizes(
        t.allocated + alloc, t.apparent + st.st_size, t.reclaimable + alloc, t.files, t.dirs + 1
    )
    prediction.shrink_bytes += alloc


def predict(model: CacheModel, action: ActionKind, packages: Iterable[str] = ()) -> Prediction:
    if action is ActionKind.PRUNE:
        return predict_prune(model)
    if action is ActionKind.PRUNE_CI:
        return predict_prune(model, ci=True)
    if action is ActionKind.CLEAN_PACKAGES:
        return predict_clean_packages(model, packages)
    return predict_clear_all(model)
