"""`simple-vN`: the index pages uv keeps, counted and sized per index.

Pages are rkyv (`SimpleDetailMetadata` in uv's cache envelope), whose layout changes between
releases, so nothing in them is decoded except the page's own URL, taken from the last bytes
only when it ends with `/<name>/` (the page's file name): the index URL is that URL minus
`<name>/`. `pypi/` is PyPI by its path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from uvcache_tui.core.contents.layout import PYPI_LABEL
from uvcache_tui.core.contents.records import policy_url

if TYPE_CHECKING:
    from uvcache_tui.core.scan import DirNode

PAGE_SUFFIX = ".rkyv"
TAIL_BYTES = 4096
"""The policy, with the request URL, ends a page: only this much of each page is read."""
URL_PAGES_TRIED = 3
"""Pages read per index to find its URL (the first one that names it is enough)."""


@dataclass(frozen=True)
class IndexPages:
    """The cached pages of one index in one `simple-vN` bucket."""

    bucket: str
    path: str
    """`simple-v28/pypi` or `simple-v28/index/<digest>`, relative to the cache root."""
    digest: str | None
    label: str
    """`PyPI`, the index URL, or `index <digest>`."""
    url: str | None
    pages: int
    allocated: int
    current: bool


def _page_url(path: str, name: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - TAIL_BYTES))
            tail = handle.read()
    except OSError:
        return None
    url = policy_url(tail, 0, name + "/")
    return url[: -len(name) - 1] if url else None


def _index_url(directory: str, page_names: list[str]) -> str | None:
    for page in page_names[:URL_PAGES_TRIED]:
        url = _page_url(os.path.join(directory, page), page[: -len(PAGE_SUFFIX)])
        if url:
            return url
    return None


def _page_names(directory: str) -> list[str]:
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    return sorted(name for name in names if name.endswith(PAGE_SUFFIX))


def read_indexes(cache_root: str, buckets: list[tuple[str, DirNode, bool]]) -> list[IndexPages]:
    """Every index with pages in the given `simple-vN` buckets: (name, scan node, current)."""
    found: list[IndexPages] = []
    for bucket, node, current in buckets:
        places: list[tuple[str, str | None, DirNode]] = []
        pypi = node.child("pypi")
        if pypi is not None:
            places.append(("pypi", None, pypi))
        index = node.child("index")
        if index is not None:
            places.extend(
                (f"index/{child.name}", child.name, child)
                for child in sorted(index.iter_children(), key=lambda n: n.name)
            )
        for relative, digest, place in places:
            directory = os.path.join(cache_root, bucket, relative)
            names = _page_names(directory)
            url = _index_url(directory, names)
            label = PYPI_LABEL if digest is None else (url or f"index {digest}")
            found.append(
                IndexPages(
                    bucket=bucket,
                    path=f"{bucket}/{relative}",
                    digest=digest,
                    label=label,
                    url=url,
                    pages=len(names),
                    allocated=place.sizes.allocated,
                    current=current,
                )
            )
    return found
