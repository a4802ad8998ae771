"""uv's managed Pythons (data, not cache): one dir per installation in uv's python dir,
named `<implementation>-<version>-<os>-<arch>-<libc>` (`cpython-3.12.4-linux-x86_64-gnu`);
minor-version links (`cpython-3.12-…`) are symlinks, never counted twice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from uvcache_tui.core.scan import ScanResult

_INSTALL_RE = re.compile(
    r"^(?P<implementation>[a-z]+)-(?P<version>\d+\.\d+\.\d+[0-9a-z+.]*)-(?P<platform>[^-].*)$"
)


@dataclass(frozen=True)
class ManagedPython:
    name: str
    implementation: str
    version: str
    platform: str
    """`linux-x86_64-gnu`, as the dir name says."""
    allocated: int
    files: int

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "implementation": self.implementation,
            "version": self.version,
            "platform": self.platform,
            "allocated_bytes": self.allocated,
            "files": self.files,
        }


def managed_pythons(result: ScanResult) -> list[ManagedPython]:
    """The installations in a scanned python dir (other entries, `.lock`, `.cache`, are not)."""
    found: list[ManagedPython] = []
    for node in sorted(result.root.iter_children(), key=lambda n: n.name):
        match = _INSTALL_RE.match(node.name)
        if match is None:
            continue
        sizes = node.sizes
        found.append(
            ManagedPython(
                name=node.name,
                implementation=match["implementation"],
                version=match["version"],
                platform=match["platform"],
                allocated=sizes.allocated,
                files=sizes.files,
            )
        )
    return found
