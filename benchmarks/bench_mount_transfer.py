"""Benchmark `buildkit import`, `export` (tar and dir) and `show` of a ~50k-file cache mount.

Builds a uv-shaped tree (wheels-v8/<pkg>/<version>/… files, 1,000 of them hardlinked
into archive-v0, a few symlinks), imports it into a fresh cache id with the importer,
then exports it to a tar and to a directory and opens it as `buildkit show` does, each
timed, and finally deletes every record of the id. The anchor is the issue's: seconds,
not minutes (reference: 51.6k files took 4.8–5.4 s to import and 2–8 s to export).

    uv run python benchmarks/bench_mount_transfer.py                     # the current engine
    uv run python benchmarks/bench_mount_transfer.py --uvct-env /tmp/uvcache-tui-docker/env
    uv run python benchmarks/bench_mount_transfer.py --files 50000 --helper-image busybox:stable

`--uvct-env FILE` takes the modern test engine from the provisioning script's env file
(scripts/test-docker.sh) and its locally imported busybox.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from uvcache_tui.core.buildkit.cachekey import CacheKey  # noqa: E402
from uvcache_tui.core.buildkit.cleanup import prune_ids  # noqa: E402
from uvcache_tui.core.buildkit.helper_build import helper_image  # noqa: E402
from uvcache_tui.core.buildkit.mountref import (  # noqa: E402
    KeyOptions,
    candidate_keys,
    locate_mount,
    mounts_of_key,
    ready_builder,
)
from uvcache_tui.core.buildkit.transfer import (  # noqa: E402
    export_mount,
    import_source,
    open_mount,
    prepare_source,
)

ANCHOR_SECONDS = 60.0
"""Seconds, not minutes: every step must stay well under one minute."""


def build_tree(root: Path, files: int) -> None:
    """`files` regular files of 1–8 KiB (1,000 of them with a second hardlink) + symlinks."""
    (root / "CACHEDIR.TAG").write_text("Signature: 8a477f597d28d172789f06886806bc55\n")
    per_dir = 50
    made = 1
    for index in range(files - 1):
        pkg = root / "wheels-v8" / f"pkg{index // per_dir // 20}" / f"v{index // per_dir % 20}"
        if index % per_dir == 0:
            pkg.mkdir(parents=True, exist_ok=True)
        path = pkg / f"mod{index % per_dir}.py"
        path.write_bytes(b"#" * (1024 + (index * 37) % 7168))
        made += 1
        if index % (files // 1000 or 1) == 0 and made < files:
            link = root / "archive-v0" / f"a{index}"
            link.parent.mkdir(exist_ok=True)
            os.link(path, link)
    (root / "environments-v2").mkdir()
    (root / "environments-v2" / "env").symlink_to("../archive-v0")


def timed(label: str, results: list[tuple[str, float, str]], action, detail=lambda r: ""):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = action()
    seconds = time.perf_counter() - started
    results.append((label, seconds, detail(value)))
    print(f"  {label:<26} {seconds:7.2f} s  {detail(value)}", file=sys.stderr)
    return value


def engine_env(path: str | None) -> dict[str, str]:
    env = dict(os.environ)
    if path:
        values: dict[str, str] = {}
        for line in Path(path).read_text().splitlines():
            key, _, value = line.removeprefix("export ").partition("=")
            values[key.strip()] = shlex.split(value)[0] if value else ""
        env.update(
            DOCKER_HOST=values["UVCT_MODERN_HOST"],
            DOCKER_CONFIG=values["UVCT_MODERN_DOCKER_CONFIG"],
            UVCACHE_TUI_HELPER_IMAGE=values["UVCT_BUSYBOX_IMAGE"],
        )
        env.pop("DOCKER_CONTEXT", None)
    return env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--uvct-env", metavar="FILE", help="the test engines' env file")
    parser.add_argument("--helper-image", metavar="IMAGE")
    parser.add_argument("--builder", metavar="NAME")
    args = parser.parse_args()
    env = engine_env(args.uvct_env)
    image = helper_image(args.helper_image, env)
    key = CacheKey(f"uvcache-tui-bench-{os.getpid()}")
    results: list[tuple[str, float, str]] = []
    with tempfile.TemporaryDirectory(prefix="uvct-bench-") as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        print(f"{args.files} files, cache id {key.id}, helper image {image}", file=sys.stderr)
        timed("build the tree", results, lambda: build_tree(tree, args.files))
        source = timed(
            "check + tar the dir",
            results,
            lambda: prepare_source(tree),
            lambda s: f"{s.summary.entries} entries, {s.summary.bytes / 2**20:.0f} MiB",
        )
        resolved = ready_builder(args.builder, 30, None, env)
        try:
            timed(
                "import (importer build)",
                results,
                lambda: import_source(resolved, key, image, source),
                lambda r: (
                    f"verified={r.ok}, import {r.run.seconds:.2f} s"
                    f" + verify {r.verify.seconds:.2f} s"
                ),
            )
            located = locate_mount(key.id, args.builder, 30, None, env)
            keys = candidate_keys(located.mount, KeyOptions(id=key.id))
            timed(
                "export to FILE.tar",
                results,
                lambda: export_mount(located, keys, image, Path(tmp) / "out.tar"),
                lambda r: f"{r.summary.entries} entries",
            )
            timed(
                "export to DIR",
                results,
                lambda: export_mount(located, keys, image, Path(tmp) / "outdir"),
                lambda r: f"{r.summary.entries} entries",
            )

            def show() -> int:
                with open_mount(located, keys, image) as opened:
                    return opened.model.totals.files

            timed("show (read + load_cache)", results, show, lambda n: f"{n} files")
        finally:
            source.close()
            again = ready_builder(args.builder, 30, None, env)
            prune_ids(again, [m.id for m in mounts_of_key(again, key)], 60)
    print()
    print(f"| step ({args.files} files) | seconds | anchor | |")
    print("| --- | ---: | ---: | --- |")
    for label, seconds, detail in results:
        verdict = "ok" if seconds < ANCHOR_SECONDS else "TOO SLOW"
        print(f"| {label} | {seconds:.2f} | < {ANCHOR_SECONDS:.0f} s ({verdict}) | {detail} |")
    return 0 if all(s < ANCHOR_SECONDS for _, s, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
