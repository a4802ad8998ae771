"""`--sort`/`--reverse` on `ls` and `show`: the TUI's order by default, in text and JSON."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.cli.test_cli import run_cli, show_json
from tests.conftest import RichCache


def table_names(text: str, heading: str) -> list[str]:
    """First column of the text table under the line starting with `heading`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    names = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        names.append(line.split()[0])
    return names


def largest_first(rows: list[dict[str, Any]], figure: str, reverse: bool = False) -> list[str]:
    """Names by `figure`, largest first (smallest with `reverse`), ties by name A to Z."""
    sign = 1 if reverse else -1
    return [
        row["name"]
        for row in sorted(rows, key=lambda row: (sign * row[figure], row["name"].lower()))
    ]


def test_show_text_follows_the_tuis_order(rich_cache_template: RichCache) -> None:
    document = show_json(rich_cache_template.cache)
    result = run_cli("show", str(rich_cache_template.cache))
    assert result.returncode == 0, result.stderr
    buckets = table_names(result.stdout, "BUCKET")
    packages = table_names(result.stdout, "PACKAGE")
    assert buckets == largest_first(document["buckets"], "allocated_bytes")
    assert packages == largest_first(document["packages"], "allocated_bytes")
    assert buckets != sorted(buckets)  # not by name any more, as before
    reversed_text = run_cli("show", str(rich_cache_template.cache), "--reverse").stdout
    assert table_names(reversed_text, "BUCKET") == largest_first(
        document["buckets"], "allocated_bytes", reverse=True
    )
    by_name = run_cli("show", str(rich_cache_template.cache), "--sort", "name").stdout
    assert table_names(by_name, "PACKAGE") == sorted(packages)


def test_show_json_keeps_its_order_unless_asked(rich_cache_template: RichCache) -> None:
    cache = str(rich_cache_template.cache)
    document = show_json(rich_cache_template.cache)
    names = [b["name"] for b in document["buckets"]]
    assert names == sorted(names)  # unchanged: by name
    for key, figure in (("reclaimable", "reclaimable_bytes"), ("files", "files")):
        result = run_cli("show", cache, "--json", "--sort", key)
        assert result.returncode == 0, result.stderr
        sorted_document = json.loads(result.stdout)
        assert [b["name"] for b in sorted_document["buckets"]] == largest_first(
            document["buckets"], figure
        )
        # Only the order changed.
        assert sorted(sorted_document["buckets"], key=lambda b: b["name"]) == document["buckets"]
    result = run_cli("show", cache, "--json", "--sort", "name", "--reverse")
    assert [p["name"] for p in json.loads(result.stdout)["packages"]] == sorted(
        (p["name"] for p in document["packages"]), reverse=True
    )
    result = run_cli("show", cache, "--json", "--sort", "size")
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_ls_sorts_locations_only_when_asked(tmp_path: Path, rich_cache_template: RichCache) -> None:
    env = dict(os.environ, UV_CACHE_DIR=str(tmp_path / "active"), HOME=str(tmp_path))
    base = ["--cache-dir", str(rich_cache_template.cache), "ls", "--json", "--no-docker"]

    def paths(*extra: str) -> list[tuple[str, int | None]]:
        result = run_cli(*base, *extra, env=env)
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        return [(loc["path"], loc["allocated_bytes"]) for loc in document["locations"]]

    found = paths()
    assert found[0][0] == str(tmp_path / "active")  # the order found: the active cache first
    by_size = paths("--sort", "allocated")
    known = [size for _path, size in by_size if size is not None]
    assert known == sorted(known, reverse=True)
    assert by_size[0] == (str(rich_cache_template.cache), known[0])
    assert by_size[-1][1] is None  # a missing location goes last
    assert sorted(by_size, key=str) == sorted(found, key=str)
    text = run_cli(*base[:-2], "--no-docker", "--sort", "allocated", env=env).stdout
    assert str(rich_cache_template.cache) in text.splitlines()[1]
