"""`git-vN`: uv's fetches (`db/<digest>/.git`) and checkouts (`checkouts/<digest>/<short sha>/`
with a `<short sha>.ok` marker once complete; `<short sha>/.ok` in git-v0). Read with git's own file formats only: a
checkout's `.git/config` names its db as `origin`, and the db's `FETCH_HEAD` records each
fetched commit with the repository's URL."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uvcache_tui.core.scan import DirNode

_URL_LINE_RE = re.compile(r"^\s*url\s*=\s*(?P<url>.+?)\s*$")
_SHA_RE = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass(frozen=True)
class GitCheckout:
    path: str
    """`git-v2/checkouts/<digest>/<short sha>`, relative to the cache root."""
    bucket: str
    short_commit: str
    commit: str | None
    """The full commit, when the db's `FETCH_HEAD` records it."""
    repository: str | None
    complete: bool
    """uv wrote the `.ok` marker: the checkout finished."""
    allocated: int
    reclaimable: int
    current: bool


def _read_text(path: str, limit: int = 1 << 16) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(limit)
    except OSError:
        return None


def _origin_db(checkout: str) -> str | None:
    """The db a checkout was cloned from: the last component of its `origin` URL."""
    config = _read_text(os.path.join(checkout, ".git", "config"))
    if config is None:
        return None
    for line in config.splitlines():
        match = _URL_LINE_RE.match(line)
        if match:
            return os.path.basename(match["url"].rstrip("/"))
    return None


def fetched_commits(db: str) -> list[tuple[str, str]]:
    """(commit, repository URL) from a db's `FETCH_HEAD`: `<sha>\\t[not-for-merge]\\t<what>`,
    where `<what>` is a URL, or `branch 'x' of <URL>`."""
    text = _read_text(os.path.join(db, ".git", "FETCH_HEAD"))
    found: list[tuple[str, str]] = []
    for line in (text or "").splitlines():
        fields = line.split("\t")
        if len(fields) < 3 or not _SHA_RE.match(fields[0]):
            continue
        what = fields[2]
        url = what.rsplit(" of ", 1)[1] if " of " in what else what
        found.append((fields[0], url.strip()))
    return found


def read_checkouts(cache_root: str, buckets: list[tuple[str, DirNode, bool]]) -> list[GitCheckout]:
    """Every checkout of the given `git-vN` buckets: (name, scan node, current)."""
    found: list[GitCheckout] = []
    for bucket, node, current in buckets:
        checkouts = node.child("checkouts")
        if checkouts is None:
            continue
        base = os.path.join(cache_root, bucket)
        for repo in sorted(checkouts.iter_children(), key=lambda n: n.name):
            markers = _listing(os.path.join(base, "checkouts", repo.name))
            for checkout in sorted(repo.iter_children(), key=lambda n: n.name):
                path = os.path.join(base, "checkouts", repo.name, checkout.name)
                db = _origin_db(path)
                commit = repository = None
                if db is not None:
                    for sha, url in fetched_commits(os.path.join(base, "db", db)):
                        if sha.startswith(checkout.name):
                            commit, repository = sha, url
                            break
                sizes = checkout.sizes
                found.append(
                    GitCheckout(
                        path=f"{bucket}/checkouts/{repo.name}/{checkout.name}",
                        bucket=bucket,
                        short_commit=checkout.name,
                        commit=commit,
                        repository=repository,
                        complete=f"{checkout.name}.ok" in markers
                        or os.path.lexists(os.path.join(path, ".ok")),
                        allocated=sizes.allocated,
                        reclaimable=sizes.reclaimable,
                        current=current,
                    )
                )
    return found


def _listing(path: str) -> set[str]:
    try:
        return set(os.listdir(path))
    except OSError:
        return set()


def repository_of(commit_prefix: str, checkouts: list[GitCheckout]) -> tuple[str | None, str]:
    """(repository URL, commit) of the checkout whose commit starts with `commit_prefix`."""
    for checkout in checkouts:
        if checkout.commit and checkout.commit.startswith(commit_prefix):
            return checkout.repository, checkout.commit
    return None, commit_prefix
