"""A builder's garbage-collection policy: the rules `buildx ls` reports, and what they mean.

Kept apart from the records because the rules are read, judged (`never_matches`) and put in
words (`describe_gc_rule`, `describe_gc_policy`) on their own; `buildkit ls` and the TUI's
builder view share them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import humanize

from uvcache_tui.core.buildkit.values import optional_int
from uvcache_tui.core.units import format_size
from uvcache_tui.core.words import counted


@dataclass(frozen=True)
class GCRule:
    """One rule of a builder's garbage-collection policy as reported by `buildx ls`."""

    all: bool = False
    filters: tuple[str, ...] = ()
    keep_duration_seconds: float | None = None
    keep_bytes: int | None = None
    reserved_space: int | None = None
    max_used_space: int | None = None
    min_free_space: int | None = None

    @property
    def never_matches(self) -> bool:
        """A filter like `type==a,type==b`: the comma is AND in containerd filter syntax.

        Up to BuildKit 0.30 / Engine 29.5 the rule meant to expire cache mounts first was
        written this way, so it never matched anything.
        """
        for text in self.filters:
            types = {
                part.split("==", 1)[1] for part in text.split(",") if part.startswith("type==")
            }
            if len(types) > 1:
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        """Plain dict for `--json` output."""
        return {
            "never_matches": self.never_matches,
            "all": self.all,
            "filters": list(self.filters),
            "keep_duration_seconds": self.keep_duration_seconds,
            "keep_bytes": self.keep_bytes,
            "reserved_space": self.reserved_space,
            "max_used_space": self.max_used_space,
            "min_free_space": self.min_free_space,
        }


def parse_gc_policy(rules: object) -> tuple[GCRule, ...]:
    """GC rules from `buildx ls --format json` (`Nodes[].GCPolicy`); absent → ()."""
    if not isinstance(rules, list):
        return ()
    parsed: list[GCRule] = []
    for rule in rules:
        if not isinstance(rule, Mapping):
            continue
        raw_filters = rule.get("filter") or rule.get("Filter") or []
        if isinstance(raw_filters, str):
            raw_filters = [raw_filters]
        keep_ns = optional_int(rule.get("keepDuration", rule.get("KeepDuration")))
        parsed.append(
            GCRule(
                all=bool(rule.get("all", rule.get("All", False))),
                filters=tuple(str(f) for f in raw_filters),
                keep_duration_seconds=keep_ns / 1e9 if keep_ns else None,
                keep_bytes=optional_int(rule.get("keepBytes", rule.get("KeepBytes"))),
                reserved_space=optional_int(rule.get("reservedSpace")),
                max_used_space=optional_int(rule.get("maxUsedSpace")),
                min_free_space=optional_int(rule.get("minFreeSpace")),
            )
        )
    return tuple(parsed)


def describe_gc_rule(rule: GCRule, detailed: bool = False) -> str:
    """One GC rule in words (`buildkit ls` and the TUI builder view say the same)."""
    bits = [*_selection_bits(rule, detailed), *_limit_bits(rule)]
    if rule.all:
        bits.append("all")
    return ", ".join(bits) or "default"


def describe_gc_policy(rules: Sequence[GCRule], detailed: bool = False) -> list[str]:
    """A policy in words, one phrase per distinct part: identical rules are said once, and
    rules in a row with the same space limits (Docker's default repeats them on three
    rules) share one phrase that names what each selects (`…, for 3 rules: unused 2 months,
    then any age, then all`)."""
    phrases: list[str] = []
    for group in _same_limits_runs(rules):
        selections = list(dict.fromkeys(_selection_text(rule, detailed) for rule in group))
        if len(selections) == 1:
            phrases.append(describe_gc_rule(group[0], detailed))
            continue
        limits = ", ".join(_limit_bits(group[0])) or "no space limits"
        phrases.append(
            f"{limits}, for {counted(len(selections), 'rule')}: " + ", then ".join(selections)
        )
    return phrases


def _same_limits_runs(rules: Sequence[GCRule]) -> list[list[GCRule]]:
    """Consecutive rules grouped while their space limits are the same (the order matters:
    BuildKit applies the rules one after the other)."""
    runs: list[list[GCRule]] = []
    for rule in rules:
        if runs and _limit_bits(runs[-1][0]) == _limit_bits(rule):
            runs[-1].append(rule)
        else:
            runs.append([rule])
    return runs


def _selection_text(rule: GCRule, detailed: bool) -> str:
    """What one rule selects: its filters and age, `all` record types, else any age."""
    bits = _selection_bits(rule, detailed)
    if rule.all:
        bits.append("all")
    return ", ".join(bits) or "any age"


def _selection_bits(rule: GCRule, detailed: bool) -> list[str]:
    bits: list[str] = []
    if rule.filters:
        bits.append(" & ".join(rule.filters))
    if rule.never_matches:
        bits.append(
            "never matches (comma = AND; the rule meant to expire cache mounts first never "
            "matched before BuildKit 0.31 / Engine 29.6)"
            if detailed
            else "never matches (comma = AND)"
        )
    if rule.keep_duration_seconds:
        bits.append(f"unused {_natural_delta(rule.keep_duration_seconds)}")
    return bits


def _limit_bits(rule: GCRule) -> list[str]:
    return [
        f"{label} {format_size(value)}"
        for label, value in (
            ("keep", rule.keep_bytes),
            ("reserved", rule.reserved_space),
            ("max", rule.max_used_space),
            ("min free", rule.min_free_space),
        )
        if value
    ]


def _natural_delta(seconds: float) -> str:
    return str(humanize.naturaldelta(seconds))
