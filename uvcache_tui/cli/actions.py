"""`prune` and `clean`: preview what uv will remove, ask, let uv delete, report what was freed.

Exit codes as every command (docs/cli.md): 0 done (or previewed), 1 uv failed, 2 bad input or
refused (no `--yes` and no terminal, or the confirmation declined), 3 uv is running, 130
interrupted (SIGINT, SIGTERM or SIGHUP: uv is stopped and waited for, and the audit log says
what was removed until then).
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Iterator

from uvcache_tui.cli.cache import cache_location, open_cache
from uvcache_tui.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UV_RUNNING,
    Commands,
    Context,
    UsageError,
    check_can_confirm,
    confirm,
    print_json,
    print_lines,
)
from uvcache_tui.core.action_run import ActionResult, describe_result, run_action
from uvcache_tui.core.actions import (
    DEFAULT_LOCK_TIMEOUT,
    ActionPlan,
    ActionRefused,
    describe_plan_title,
    describe_plan_totals,
    plan_action,
)
from uvcache_tui.core.cache import CacheModel
from uvcache_tui.core.predict import ActionKind
from uvcache_tui.core.report import plan_json, result_json
from uvcache_tui.core.units import format_size
from uvcache_tui.core.uvbin import UvBinary

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
NEWER_BUCKETS_ANSWER = "delete newer buckets"


def register(commands: Commands) -> None:
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


def cmd_prune(ctx: Context) -> int:
    action = ActionKind.PRUNE_CI if ctx.args.ci else ActionKind.PRUNE
    return _run(ctx, action, [])


def cmd_clean(ctx: Context) -> int:
    packages = list(ctx.args.package)
    if not all(isinstance(name, str) for name in packages):
        # argparse turns `--package=--` into an empty list instead of the string "--".
        raise UsageError("--package needs a package name; '--' is not one")
    action = ActionKind.CLEAN_PACKAGES if packages else ActionKind.CLEAR_ALL
    return _run(ctx, action, packages)


def _run(ctx: Context, action: ActionKind, packages: list[str]) -> int:
    """Plan; preview (and stop there with --dry-run); confirm; let uv run; report."""
    args = ctx.args
    uv, model, plan = _plan(ctx, action, packages)
    if args.dry_run:
        if args.json:
            print_json(plan_json(plan))
        else:
            print_lines(format_plan(plan))
        _refuse_if_blocked(plan)
        return EXIT_OK
    if not args.json:
        print_lines(format_plan(plan))
    elif not args.yes:
        # The preview comes before the question; with --json, stdout is only the document.
        print_lines(format_plan(plan), sys.stderr)
    _refuse_if_blocked(plan)
    _confirm(plan, args)
    # A preview that cannot be written (full disk, closed pipe) must fail before uv runs.
    sys.stdout.flush()
    cancel = threading.Event()
    try:
        with stop_on_signals(cancel):
            result = run_action(plan, model, uv, on_output=None, wait=args.wait, cancel=cancel)
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
    return EXIT_OK if result.ok else EXIT_FAILED


def _plan(
    ctx: Context, action: ActionKind, packages: list[str]
) -> tuple[UvBinary, CacheModel, ActionPlan]:
    """The uv that will delete, the scanned cache and the plan; bad input is refused first,
    and a run that could not be confirmed before the scan."""
    args = ctx.args
    if ctx.uv is None:
        raise UsageError("no uv found: uv does the deleting; put uv on PATH or pass --uv PATH")
    uv_version = ctx.discovery.uv_version
    if uv_version is None:
        raise UsageError(f"{ctx.uv.path} did not answer `uv --version`")
    location = cache_location(ctx, args.path)
    if not args.dry_run:
        check_can_confirm(args.yes)
    model = open_cache(ctx, location)
    try:
        plan = plan_action(
            model,
            ctx.uv,
            uv_version,
            action,
            packages,
            force=args.force,
            lock_timeout=args.lock_timeout,
            protected=ctx.discovery.protected_paths,
        )
    except ActionRefused as exc:
        raise UsageError(str(exc)) from exc
    return ctx.uv, model, plan


def _refuse_if_blocked(plan: ActionPlan) -> None:
    if plan.blockers:
        raise UsageError("refusing: " + plan.blockers[0])


@contextlib.contextmanager
def stop_on_signals(cancel: threading.Event) -> Iterator[None]:
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


def _confirm(plan: ActionPlan, args: argparse.Namespace) -> None:
    """--yes, or a person at the terminal (check_can_confirm made sure there is one);
    deleting buckets a newer uv uses needs its own answer, or --delete-newer-buckets."""
    if plan.confirm_reasons and not args.delete_newer_buckets:
        if args.yes:
            raise UsageError(
                "refusing: " + "; ".join(plan.confirm_reasons) + " (pass --delete-newer-buckets)"
            )
        confirm(f"Type '{NEWER_BUCKETS_ANSWER}' to go on:", answers=(NEWER_BUCKETS_ANSWER,))
    if not args.yes:
        confirm(f"Run `{plan.command}`? [y/N]")


def format_plan(plan: ActionPlan) -> list[str]:
    """The preview: every entry uv will remove, grouped, with what it frees."""
    size = format_size
    prediction = plan.prediction
    lines = [describe_plan_title(plan)]
    for kind, entries in prediction.groups().items():
        lines.append(f"\n  {kind} ({len(entries)})")
        for entry in entries[:50]:
            lines.append(
                f"    {size(entry.sizes.allocated):>10} {size(entry.sizes.reclaimable):>10}"
                f"  {entry.label}"
            )
        if len(entries) > 50:
            lines.append(f"    … and {len(entries) - 50} more")
    if not prediction.entries:
        lines.append("  nothing to remove")
    lines.append(f"\n{describe_plan_totals(plan)}")
    lines += [f"note: {note}" for note in prediction.notes]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    lines += [f"CONFIRM: {reason}" for reason in plan.confirm_reasons]
    lines += [f"BLOCKED: {blocker}" for blocker in plan.blockers]
    lines.append(f"command: {plan.command}")
    return lines


def _print_result(result: ActionResult) -> None:
    for line in describe_result(result):
        print(line)
    if result.lock_busy:
        print("Or let uv wait for it: --wait --lock-timeout SECONDS.")
    elif not result.ok:
        print(result.uv_output.strip()[-2000:], file=sys.stderr)
