"""`buildkit prune CACHE_ID`: every record of the id, previewed exactly (the requests name
exactly the previewed records), on both engines; Engine 20.10 shows no ids and says what
to do instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli_buildkit import cli, cli_with_tty
from tests.cli.test_cli_buildkit_mounts import DOCKERFILE_TWINS
from tests.dockerenv import Tracker, token


@pytest.mark.docker
def test_prune_every_record_of_a_cache_id(tracked: Tracker, tmp_path: Path) -> None:
    engine = tracked.engine
    env = engine.env()
    tok = token()
    (tmp_path / "Dockerfile").write_text(
        DOCKERFILE_TWINS.format(busybox=engine.busybox_image, tok=tok)
    )
    tracked.images.append(f"uvct-twins-{tok}")
    engine.build(tmp_path, tag=f"uvct-twins-{tok}")
    twins = sorted(r["ID"] for r in engine.records()
                   if f"echo {tok}" in r["Description"] and r["Type"] == "exec.cachemount")  # fmt: skip
    assert len(twins) == 2  # one id, two keys (with and without uid/gid)

    preview = cli("prune", tok, "--dry-run", "--json", env=env)
    if engine.legacy:
        assert preview.returncode == 1
        (rejected,) = json.loads(preview.stdout)["plan"]["rejected"]
        assert rejected["reason"] == "unknown"  # as any unknown ID, with what to do
        assert "does not show cache ids" in rejected["message"]
        assert "by record ID" in rejected["message"]
        text = cli("prune", tok, "--yes", env=env)
        assert text.returncode == 1 and "by record ID" in text.stdout
        assert sorted(twins) == sorted(set(twins) & engine.record_ids())
        return
    assert preview.returncode == 0, preview.stderr
    plan = json.loads(preview.stdout)["plan"]
    assert plan["cache_ids"] == {tok: plan["cache_ids"][tok]}
    assert sorted(plan["cache_ids"][tok]) == twins
    assert sorted(i["id"] for i in plan["items"]) == twins
    assert all(i["action"] == "delete" and i["cache_id"] == tok for i in plan["items"])
    assert sorted(r["filters"]["id"][0] for r in plan["requests"]) == [f"^{i}$" for i in twins]
    assert plan["rejected"] == []

    declined = cli_with_tty("prune", tok, env=env, answer="n")
    assert declined.returncode == 2 and f"Cache id {tok}: its 2 listed records" in declined.stdout
    assert set(twins) <= engine.record_ids()

    done = cli("prune", tok, "--yes", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(json.loads(done.stdout)["result"]["deleted"]) == twins
    assert not set(twins) & engine.record_ids()
