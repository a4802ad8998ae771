"""`prune` and `clean`: preview what uv will remove, ask, let uv delete, report what was freed.

Exit codes: 0 done (or previewed), 1 uv failed, 2 bad input or refused, 3 uv is running,
130 interrupted (SIGINT, SIGTERM or SIGHUP: uv is stopped and waited for, and the audit log
says what was removed until then).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from uvcache_tui.core.actions import (
    DEFAULT_LOCK_TIMEOUT,
    ActionPlan,
    ActionRefused,
    ActionResult,
    describe_result,
    plan_action,
    run_action,
)
from uvcache_tui.core.predict import ActionKind
from uvcache_tui.core.report import plan_json, result_json

EXIT_UV_RUNNING = 3
EXIT_INTERRUPTED = 130
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def register(commands: Any) -> None:
    prune = commands.add_parser("prune", help="uv cache prune [--ci], with a preview")
    prune.add_argument("path", nargs="?", help="cache dir (default: the active cache)")
    prune.add_argument("--ci", action="store_true", help="also drop pre-built wheels (uv --ci)")
    _common(prune)
    prune.set_defaults(func=cmd_prune)

    clean = commands.add_parser(
        "clean", help="uv cache clean [NAME…]: some packages, or everything"
    )
    clean.add_argument("path", nargs="?", help="cache dir (default: the active cache)")
    clean.add_argument(
        "--package",
        "-p",
        metavar="NAME",
        action="append",
        default=[],
        help="clean only this package (repeatable); without it the whole cache is cleared",
    )
    _common(clean)
    clean.set_defaults(func=cmd_clean)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="show the prediction, run nothing")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--force",
        action="store_true",
        help="pass uv --force: ignore the cache lock (unsafe while uv runs)",
    )
    parser.add_argument(
        "--lock-timeout",
        type=int,
        default=DEFAULT_LOCK_TIMEOUT,
        metavar="SECONDS",
        help=f"how long uv may wait for the cache lock (default {DEFAULT_LOCK_TIMEOUT})",
    )
    parser.add_argument(
        "--wait",
        action="store_true",
        help="if uv is running, let uv wait for the lock (up to --lock-timeout) instead of stopping",
    )
    parser.add_argument(
        "--delete-newer-buckets",
        action="store_true",
        help="confirm deleting buckets a newer uv uses (needed with --yes when that applies)",
    )


def cmd_prune(ctx: Any) -> int:
    action = ActionKind.PRUNE_CI if ctx.args.ci else ActionKind.PRUNE
    return _run(ctx, action, [])


def cmd_clean(ctx: Any) -> int:
    from uvcache_tui.cli import UsageError

    packages = list(ctx.args.package)
    if not all(isinstance(name, str) for name in packages):
        # argparse turns `--package=--` into an empty list instead of the string "--".
        raise UsageError("--package needs a package name; '--' is not one")
    action = ActionKind.CLEAN_PACKAGES if packages else ActionKind.CLEAR_ALL
    return _run(ctx, action, packages)


def _run(ctx: Any, action: ActionKind, packages: list[str]) -> int:
    from uvcache_tui.cli import UsageError, open_model, print_json, resolve_cache_arg

    args = ctx.args
    if ctx.uv is None:
        raise UsageError("no uv found: uv does the deleting; put uv on PATH or pass --uv PATH")
    if ctx.discovery.uv_version is None:
        raise UsageError(f"{ctx.uv.path} did not answer `uv --version`")
    path = resolve_cache_arg(ctx, args.path)
    model = open_model(ctx, path)
    try:
        plan = plan_action(
            model,
            ctx.uv,
            ctx.discovery.uv_version,
            action,
            packages,
            force=args.force,
            lock_timeout=args.lock_timeout,
            protected=ctx.discovery.protected_paths,
        )
    except ActionRefused as exc:
        raise UsageError(str(exc)) from exc
    if args.dry_run:
        if args.json:
            print_json(plan_json(plan))
        else:
            _print_plan(plan)
        if plan.blockers:
            raise UsageError("refusing: " + plan.blockers[0])
        return 0
    if not args.json:
        _print_plan(plan)
    if plan.blockers:
        raise UsageError("refusing: " + plan.blockers[0])
    if not _confirmed(plan, args):
        return 2
    # A preview that cannot be written (full disk, closed pipe) must fail before uv runs.
    sys.stdout.flush()
    cancel = threading.Event()
    try:
        with _stop_on_signals(cancel):
            result = run_action(plan, model, ctx.uv, on_output=None, wait=args.wait, cancel=cancel)
    except ActionRefused as exc:
        raise UsageError("refusing: " + str(exc)) from exc
    if args.json:
        print_json(result_json(result))
    else:
        _print_result(result)
    if result.interrupted:
        return EXIT_INTERRUPTED
    if result.lock_busy:
        return EXIT_UV_RUNNING
    return 0 if result.ok else 1


@contextlib.contextmanager
def _stop_on_signals(cancel: threading.Event) -> Iterator[None]:
    """While uv runs: the first SIGINT/SIGTERM/SIGHUP stops uv (which runs in its own process
    group) and lets the run be measured and logged; a second one aborts at once."""

    def handler(signum: int, _frame: object) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _confirmed(plan: ActionPlan, args: argparse.Namespace) -> bool:
    """--yes, or a person at a terminal; never silently proceed in a script."""
    from uvcache_tui.cli import UsageError

    if plan.confirm_reasons and not args.delete_newer_buckets:
        if args.yes or not sys.stdin.isatty():
            raise UsageError(
                "refusing: " + "; ".join(plan.confirm_reasons) + " (pass --delete-newer-buckets)"
            )
        answer = input("Type 'delete newer buckets' to go on: ").strip()
        if answer != "delete newer buckets":
            print("Nothing was deleted.", file=sys.stderr)
            return False
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("refusing to delete without a terminal to confirm; pass --yes")
    answer = input(f"Run `{plan.command}`? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        print("Nothing was deleted.", file=sys.stderr)
        return False
    return True


def _print_plan(plan: ActionPlan) -> None:
    from uvcache_tui.cli import size

    prediction = plan.prediction
    print(f"{plan.action.display_name}: {plan.cache} (uv {plan.uv_version})")
    for kind, entries in prediction.groups().items():
        print(f"\n  {kind} ({len(entries)})")
        for entry in entries[:50]:
            print(
                f"    {size(entry.sizes.allocated):>10} {size(entry.sizes.reclaimable):>10}"
                f"  {entry.label}"
            )
        if len(entries) > 50:
            print(f"    … and {len(entries) - 50} more")
    if not prediction.entries:
        print("  nothing to remove")
    totals = prediction.totals
    print(
        f"\nWill remove {size(totals.allocated)} allocated; frees {size(totals.reclaimable)} "
        f"(the rest stays linked from venvs or tools)."
    )
    for note in prediction.notes:
        print(f"note: {note}")
    for warning in plan.warnings:
        print(f"warning: {warning}")
    for reason in plan.confirm_reasons:
        print(f"CONFIRM: {reason}")
    for blocker in plan.blockers:
        print(f"BLOCKED: {blocker}")
    print(f"command: {plan.command}")


def _print_result(result: ActionResult) -> None:
    for line in describe_result(result):
        print(line)
    if result.lock_busy:
        print("Or let uv wait for it: --wait --lock-timeout SECONDS.")
    elif not result.ok:
        print(result.uv_output.strip()[-2000:], file=sys.stderr)
