"""A GC policy in words: each distinct part once (Docker's default repeats its space limits on
three rules, which `buildkit ls` printed three times), read from buildx's real output."""

from __future__ import annotations

from tests.core.buildkit.test_fixtures import fixture
from uvcache_tui.core.buildkit.buildx import parse_ls_json
from uvcache_tui.core.buildkit.gc import GCRule, describe_gc_policy, describe_gc_rule

LIMITS = "reserved 24.2 GiB, max 188.1 GiB, min free 47.5 GiB"


def modern_rules(name: str) -> tuple[GCRule, ...]:
    builders = {b.name: b for b in parse_ls_json(fixture(name))}
    return builders["uvct-modern"].nodes[0].gc_policy


def test_docker_default_policy_says_its_limits_once() -> None:
    rules = modern_rules("buildx-0.29-ls.json")
    assert len(rules) == 4
    per_rule = "; ".join(describe_gc_rule(rule) for rule in rules)
    assert per_rule.count(LIMITS) == 3  # what `buildkit ls` used to print
    phrases = describe_gc_policy(rules)
    assert phrases == [
        describe_gc_rule(rules[0]),
        f"{LIMITS}, for 3 rules: unused 2 months, then any age, then all",
    ]
    assert "never matches (comma = AND)" in phrases[0]
    assert "; ".join(phrases).count(LIMITS) == 1


def test_older_buildx_keep_bytes_policy() -> None:
    """buildx 0.13 reports keepBytes only: the three rules share `keep 24.2 GiB`."""
    phrases = describe_gc_policy(modern_rules("buildx-0.13.1-ls.json"))
    assert len(phrases) == 2
    assert phrases[1] == "keep 24.2 GiB, for 3 rules: unused 2 months, then any age, then all"


def test_identical_rules_are_said_once_and_distinct_limits_apart() -> None:
    same = GCRule(keep_duration_seconds=3600, max_used_space=1024)
    assert describe_gc_policy([same, same, same]) == ["unused an hour, max 1.0 KiB"]
    other = GCRule(max_used_space=2048, all=True)
    assert describe_gc_policy([same, other]) == ["unused an hour, max 1.0 KiB", "max 2.0 KiB, all"]
    assert describe_gc_policy([]) == []
    detailed = describe_gc_policy([GCRule(filters=("type==a,type==b",))], detailed=True)
    assert "BuildKit 0.31" in detailed[0]
