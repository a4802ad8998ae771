"""The doctor's findings: stable codes (documented in docs/doctor.md), severities, and the
corrected Dockerfile lines each one proposes."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    title: str


RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in (
        Rule("UVD001", "cache-baked-into-layer", "uv's cache is written into the image layer"),
        Rule("UVD002", "mount-misses-cache-dir", "the cache mount is not where uv's cache is"),
        Rule("UVD003", "unexpanded-mount-variable", "a variable in --mount is not expanded"),
        Rule("UVD004", "mount-key-differs", "RUNs use different caches for the same uv cache"),
        Rule("UVD005", "sharing-private", "sharing=private makes a new cache record per build"),
        Rule("UVD006", "link-mode-not-copy", "uv cannot hardlink across the mount boundary"),
        Rule("UVD007", "cache-clean-in-run", "uv cache clean runs inside the RUN"),
        Rule("UVD008", "python-dir-in-cache", "a uv Python directory lies inside the cache"),
        Rule("UVD009", "symlinks-into-mount", "UV_LINK_MODE=symlink links into the mount"),
        Rule(
            "UVD010",
            "mount-not-writable",
            "the cache mount belongs to root, uv runs as another user",
        ),
        Rule("UVD011", "cache-in-image", "the image's layers hold a uv cache"),
    )
}

EXPANSION_ANY = "any"
EXPANSION_LITERAL = "literal"
EXPANSION_EXPANDED = "expanded"


@dataclass(frozen=True)
class Fix:
    """One way to correct it: what to do, and the Dockerfile lines to write."""

    text: str
    lines: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "lines": list(self.lines)}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    line: int
    stage: str
    message: str
    """One line: what is wrong here."""
    explanation: str
    """Why, in plain words."""
    fixes: tuple[Fix, ...] = ()
    details: dict[str, Any] = field(default_factory=dict)
    expansion: str = EXPANSION_ANY
    """When the engine is not known: `literal` holds only where --mount options are not
    expanded (Engine < 23 without `# syntax`), `expanded` only where they are."""

    @property
    def name(self) -> str:
        return RULES[self.code].name

    @property
    def identity(self) -> tuple[object, ...]:
        return (self.code, self.line, self.details.get("cache_dir"), self.details.get("mount"))

    def under(self, expansion: str) -> Finding:
        return replace(self, expansion=expansion)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "line": self.line,
            "stage": self.stage,
            "message": self.message,
            "explanation": self.explanation,
            "fixes": [fix.to_json() for fix in self.fixes],
            "details": self.details,
            "expansion": self.expansion,
        }
