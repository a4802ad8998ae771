"""`uvcache-tui buildkit uv-prune|uv-clean MOUNT`: uv's own maintenance inside a cache mount.

The real uv of the uv image runs `uv cache prune [--ci]` or `uv cache clean [NAME…]` in a
throw-away helper build with the mount read-write (`core/buildkit/mount_actions.py`); the
preview, the confirmation and the result are those of `prune`/`clean` on a local cache.
(`buildkit prune` is another thing: it deletes whole BuildKit records.)

Exit codes as every command (docs/cli.md): 0 done or previewed, 1 uv, Docker or a helper
build failed (uv image missing, no cache with that key), 2 bad input or refused (unknown
MOUNT, a name that is not a package name, no `--yes` without a terminal, declined),
3 a build is using the mount (or uv's lock timed out): nothing was removed, 130
interrupted (SIGINT, SIGTERM or SIGHUP stop uv's helper build; the mount is read again, so
the result and the audit log say what went until then; a second signal aborts at once).
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from uvcache_tui.cli.actions import NEWER_BUCKETS_ANSWER, format_plan, stop_on_signals
from uvcache_tui.cli.buildkit_mounts import locate_argument, mount_keys
from uvcache_tui.cli.buildkit_options import (
    Handler,
    add_key_options,
    chosen_image,
    fail,
)
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UV_RUNNING,
    UsageError,
    check_can_confirm,
    confirm,
    print_json,
    print_lines,
)
from uvcache_tui.core.action_run import describe_result
from uvcache_tui.core.actions import DEFAULT_LOCK_TIMEOUT, ActionRefused, valid_package_names
from uvcache_tui.core.buildkit.helper_build import HelperError
from uvcache_tui.core.buildkit.mount_actions import (
    MAX_WAIT_FOR_BUILDS,
    READ_ON_DISK,
    MountActionPlan,
    MountInUse,
    plan_mount_action,
    run_mount_action,
    wait_until_free,
)
from uvcache_tui.core.buildkit.mount_show import VIA_AUTO, VIAS, NotOnDisk, choose_via
from uvcache_tui.core.buildkit.uv_helper import DEFAULT_UV_IMAGE, UV_IMAGE_ENV, uv_image
from uvcache_tui.core.predict import ActionKind
from uvcache_tui.core.report import plan_json, result_json
from uvcache_tui.core.words import counted


def cmd_uv_prune(args: argparse.Namespace, connect_timeout: float) -> int:
    return _run(args, connect_timeout, ActionKind.PRUNE_CI if args.ci else ActionKind.PRUNE, [])


def cmd_uv_clean(args: argparse.Namespace, connect_timeout: float) -> int:
    packages = list(args.packages)
    action = ActionKind.CLEAN_PACKAGES if packages else ActionKind.CLEAR_ALL
    return _run(args, connect_timeout, action, packages)


def _in_use(message: str) -> int:
    print(f"uvcache-tui: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_UV_RUNNING


def _plan(
    args: argparse.Namespace, connect_timeout: float, action: ActionKind, packages: list[str]
) -> MountActionPlan:
    """Bad input first (names, images, MOUNT), then the probe, the read and the plan."""
    try:
        valid_package_names(packages)
        image = uv_image(args.uv_image, os.environ)
    except (ActionRefused, ValueError) as exc:
        raise UsageError(str(exc)) from exc
    reader_image = chosen_image(args)
    if not args.dry_run:
        check_can_confirm(args.yes)
    located = locate_argument(args, connect_timeout)
    keys = mount_keys(located, args)
    keyed = any(getattr(args, name) is not None for name in ("id", "uid", "gid", "mode"))
    wait_until_free(located, keys[0], args.wait_for_builds, args.timeout)
    try:
        return plan_mount_action(
            located,
            keys,
            action,
            packages,
            uv_image=image,
            reader_image=reader_image,
            via=choose_via(args.via, keyed),
            lock_timeout=args.lock_timeout,
            timeout=max(args.timeout, 300.0),
        )
    except ActionRefused as exc:
        raise UsageError(str(exc)) from exc


def preview(planned: MountActionPlan) -> list[str]:
    """Where, with which uv, read how; then the local preview of the plan."""
    before = planned.before
    read = (
        f"its directory {before.path}"
        if before.read == READ_ON_DISK
        else "a reader build (its records removed)"
    )
    lines = [
        f"Inside cache mount {planned.target}",
        f"read through {read} in {before.seconds:.2f}s; uv {planned.plan.uv_version} "
        f"from image {planned.uv_image} runs in a helper build (sharing=locked)",
    ]
    if before.note:
        lines.append(f"note: {before.note}")
    return lines + format_plan(planned.plan)


def _confirm(planned: MountActionPlan, args: argparse.Namespace) -> None:
    """As `prune`/`clean`: buckets a newer uv uses need their own answer."""
    plan = planned.plan
    if plan.confirm_reasons and not args.delete_newer_buckets:
        if args.yes:
            raise UsageError(
                "refusing: " + "; ".join(plan.confirm_reasons) + " (pass --delete-newer-buckets)"
            )
        confirm(f"Type '{NEWER_BUCKETS_ANSWER}' to go on:", answers=(NEWER_BUCKETS_ANSWER,))
    if not args.yes:
        confirm(f"Run `{plan.command}` inside the mount ({planned.uv_image})? [y/N]")


def _run(
    args: argparse.Namespace, connect_timeout: float, action: ActionKind, packages: list[str]
) -> int:
    try:
        planned = _plan(args, connect_timeout, action, packages)
    except MountInUse as exc:
        return _in_use(str(exc))
    except (HelperError, NotOnDisk) as exc:
        return fail(str(exc))
    plan = planned.plan
    document: dict[str, Any] = {**plan_json(plan), **planned.to_json()}
    if args.dry_run:
        print_json(document) if args.json else print_lines(preview(planned))
        if plan.blockers:
            raise UsageError("refusing: " + plan.blockers[0])
        return EXIT_OK
    if not args.json or not args.yes:
        print_lines(preview(planned), sys.stderr if args.json else sys.stdout)
    if plan.blockers:
        raise UsageError("refusing: " + plan.blockers[0])
    _confirm(planned, args)
    sys.stdout.flush()
    cancel = threading.Event()
    try:
        with stop_on_signals(cancel):
            done = run_mount_action(planned, wait_for_builds=args.wait_for_builds, cancel=cancel)
    except MountInUse as exc:
        return _in_use(str(exc))
    except ActionRefused as exc:
        raise UsageError("refusing: " + str(exc)) from exc
    except HelperError as exc:
        return fail(str(exc))
    result = done.result
    helpers = done.to_json(planned)
    if args.json:
        print_json({**result_json(result), **helpers})
    else:
        print_lines(describe_result(result))
        print(
            f"Helper builds: {counted(len(helpers['helper_records_pruned']), 'record')} of "
            f"theirs removed, {len(helpers['helper_records_left'])} left."
        )
        if not result.ok and result.uv_output:
            print(result.uv_output.strip()[-2000:], file=sys.stderr)
    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.lock_busy:
        return EXIT_UV_RUNNING
    return EXIT_OK if result.ok else EXIT_FAILED


# --- parser ----------------------------------------------------------------------------


def _wait_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= MAX_WAIT_FOR_BUILDS:
        raise argparse.ArgumentTypeError(
            f"must be seconds from 0 to {MAX_WAIT_FOR_BUILDS:g}, not {text!r}"
        )
    return value


def _common(parser: argparse.ArgumentParser) -> None:
    add_key_options(parser, "the cache id to mount (default: the record's id, or its target)")
    parser.add_argument(
        "--uv-image",
        metavar="IMAGE",
        help=f"image whose uv runs (with /bin/sh; default ${UV_IMAGE_ENV} or {DEFAULT_UV_IMAGE})",
    )
    parser.add_argument(
        "--via",
        choices=VIAS,
        default=VIA_AUTO,
        help="how the mount is read for the preview and the result: disk, reader, or auto "
        "(as `buildkit show`)",
    )
    parser.add_argument("--dry-run", action="store_true", help="show the preview, run nothing")
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument(
        "--lock-timeout",
        type=int,
        default=DEFAULT_LOCK_TIMEOUT,
        metavar="SECONDS",
        help=f"how long uv may wait for the cache lock (default {DEFAULT_LOCK_TIMEOUT})",
    )
    parser.add_argument(
        "--wait-for-builds",
        type=_wait_seconds,
        default=0.0,
        metavar="SECONDS",
        help="wait up to SECONDS for builds using the mount to finish (default: refuse at once)",
    )
    parser.add_argument(
        "--delete-newer-buckets",
        action="store_true",
        help="confirm deleting buckets a newer uv uses (needed with --yes when that applies)",
    )


def register(
    subcommands: Any,
    add_timeouts: Callable[[argparse.ArgumentParser], None],
    wrap: Callable[[Handler], Callable[..., int]],
) -> None:
    """Add `uv-prune` and `uv-clean` to `buildkit`'s subcommands."""
    mount_help = "a record ID, a unique ID prefix (4+ characters) or a cache id"
    prune = subcommands.add_parser(
        "uv-prune",
        help="run `uv cache prune [--ci]` inside one cache mount, with a preview",
        description="Run the uv image's `uv cache prune` inside a cache mount (a helper build "
        "with the mount read-write, sharing=locked), after the same preview and confirmation "
        "as `prune`; the mount is read again afterwards and compared with the preview.",
    )
    prune.add_argument("mount", metavar="MOUNT", help=mount_help)
    prune.add_argument("--ci", action="store_true", help="also drop pre-built wheels (uv --ci)")
    _common(prune)
    add_timeouts(prune)
    prune.set_defaults(func=wrap(cmd_uv_prune))

    clean = subcommands.add_parser(
        "uv-clean",
        help="run `uv cache clean [NAME…]` inside one cache mount, with a preview",
        description="Run the uv image's `uv cache clean` inside a cache mount: the packages "
        "named, or everything without names. Names go after `--` in uv's argv.",
    )
    clean.add_argument("mount", metavar="MOUNT", help=mount_help)
    clean.add_argument(
        "packages",
        nargs="*",
        metavar="PACKAGE",
        help="package names (none: clear the whole cache inside the mount)",
    )
    _common(clean)
    add_timeouts(clean)
    clean.set_defaults(func=wrap(cmd_uv_clean))
