"""One function per finding code: the message, the explanation in plain words, the fixes."""

from __future__ import annotations

import posixpath

import uvcache_tui.core.doctor.fixes as fixes
from uvcache_tui.core.dockerfile.mounts import MountSpec, parse_mount
from uvcache_tui.core.dockerfile.stages import RunStep
from uvcache_tui.core.doctor.cachedir import Account, CacheDir, env_path, is_root, is_within
from uvcache_tui.core.doctor.findings import ERROR, INFO, WARNING, Finding, Fix
from uvcache_tui.core.doctor.runs import UvRun

NUMERIC_OPTIONS = ("uid", "gid", "mode")
LINK_WARNING = "warning: Failed to hardlink files; falling back to full copy."


def _where(cache: CacheDir) -> str:
    if cache.source.startswith("home of"):
        guess = " (assumed: the Dockerfile does not create this user)" if cache.assumed else ""
        return f"{cache.path}, the default under the {cache.source}{guess}"
    return f"{cache.path} (from {cache.source})"


def _uid(user: str, accounts: list[Account]) -> str | None:
    name = user.split(":", 1)[0]
    if name.isdigit():
        return name
    return next((a.uid for a in accounts if a.name == name and a.uid), None)


def baked(run: UvRun) -> Finding:
    step, path = run.step, run.cache.path or ""
    return Finding(
        "UVD001",
        WARNING,
        step.line,
        step.stage,
        f"uv writes its cache to {path} and no cache mount is there",
        f"uv's cache dir here is {_where(run.cache)}. With no `--mount=type=cache` on it, "
        "everything uv downloads and builds stays in this RUN's layer: the image grows by "
        "the cache and the next build starts from nothing. Mount a cache there, or tell uv "
        "not to keep one.",
        (
            Fix(
                "Mount a build cache at uv's cache dir:",
                fixes.run_lines(step, fixes.added_mount(step, fixes.cache_mount(path))),
            ),
            Fix(
                "Or keep no cache at all (nothing is baked, nothing is reused):",
                ("ENV UV_NO_CACHE=1",),
            ),
        ),
        {"cache_dir": path, "cache_dir_source": run.cache.source},
    )


def misses(run: UvRun, accounts: list[Account]) -> Finding:
    step, path = run.step, run.cache.path or ""
    targets = [m.target for m in step.mounts if m.is_cache and m.target]
    mount = next(m for m in step.mounts if m.is_cache and m.target)
    extra: dict[str, str] = {}
    uid = _uid(step.user, accounts)
    if not is_root(step.user) and uid:
        extra = {"uid": uid, "gid": uid}
    who = "root" if is_root(step.user) else f"user {step.user.split(':', 1)[0]}"
    return Finding(
        "UVD002",
        ERROR,
        step.line,
        step.stage,
        f"the cache mount at {', '.join(targets)} is not the cache dir of {who} ({path})",
        f"This RUN runs as {who}, so uv's cache dir is {_where(run.cache)}. The cache "
        f"mount is at {', '.join(targets)}, which uv never uses: the mount stays empty and "
        "uv's cache is written into the image layer instead.",
        (
            Fix(
                "Mount the cache where uv writes it:",
                fixes.run_lines(
                    step,
                    fixes.replaced_mounts(
                        step,
                        step.mounts.index(mount),
                        fixes.with_options(mount, target=path, **extra),
                    ),
                ),
            ),
            Fix("Or point uv at the mount:", (f"ENV UV_CACHE_DIR={mount.target}",)),
        ),
        {
            "cache_dir": path,
            "cache_dir_source": run.cache.source,
            "mount": mount.text,
            "mount_targets": targets,
            "user": step.user,
        },
    )


def expanded_mount(step: RunStep, mount: MountSpec) -> MountSpec:
    return parse_mount(mount.text, step.env, step.workdir, expands=True)


def unexpanded(step: RunStep, mount: MountSpec, run: UvRun | None) -> Finding:
    expanded = expanded_mount(step, mount)
    literal_key = mount.cache_id or mount.target
    affects_place = any(v.split("=", 1)[0] in ("target", "id") for v in mount.literal_variables)
    text = (
        f"The engine's built-in Dockerfile frontend does not expand variables in `--mount` "
        f"options (Engine before 23.0 without a `# syntax=` line), so "
        f"{', '.join(mount.literal_variables)} is taken literally."
    )
    numeric = [v for v in mount.literal_variables if v.split("=", 1)[0] in NUMERIC_OPTIONS]
    if numeric:
        text += (
            f" BuildKit reads {', '.join(numeric)} as a number and cannot: the build "
            "stops with an error."
        )
    if mount.target and "target" in mount.options:
        text += f" The cache is mounted at the literal path {mount.target}"
        text += f" and its record is keyed {literal_key!r}"
        text += " (a record that stays empty)." if run and not run.mount else "."
    if run is not None and run.mount is None and run.cache.path:
        text += (
            f" uv writes its cache to {_where(run.cache)}, which is not mounted: the "
            "cache is baked into this RUN's image layer, next to the empty mount point."
        )
    options = {k: v for k, v in expanded.options.items()}
    return Finding(
        "UVD003",
        ERROR if affects_place or numeric else WARNING,
        step.line,
        step.stage,
        f"--mount={mount.text} is not expanded: the mount is at {mount.target}"
        if mount.target
        else f"--mount={mount.text} is not expanded",
        text,
        (
            Fix(
                "Write the values out (works on every engine):",
                fixes.run_lines(
                    step,
                    fixes.replaced_mounts(
                        step, step.mounts.index(mount), fixes.mount_option(options)
                    ),
                ),
            ),
            Fix(
                "Or use the current Dockerfile frontend (the builder pulls it from a registry):",
                (fixes.SYNTAX_LINE,),
            ),
        ),
        {
            "mount": mount.text,
            "literal_target": mount.target,
            "literal_cache_id": mount.cache_id,
            "expanded_target": expanded.target,
            "cache_dir": run.cache.path if run else None,
        },
    )


def private(run: UvRun, mount: MountSpec) -> Finding:
    step = run.step
    return Finding(
        "UVD005",
        WARNING,
        step.line,
        step.stage,
        f"sharing=private on uv's cache mount {mount.target}",
        "With sharing=private a build that finds the cache in use gets a new, empty record "
        "instead: parallel builds breed records that each hold a partial copy of the cache. "
        "uv locks its own cache, so the default (shared) is safe.",
        (
            Fix(
                "Drop sharing=private:",
                fixes.run_lines(
                    step,
                    fixes.replaced_mounts(
                        step, step.mounts.index(mount), fixes.with_options(mount, sharing=None)
                    ),
                ),
            ),
        ),
        {"cache_dir": run.cache.path, "mount": mount.text},
    )


def link_copy(run: UvRun, mode: str | None) -> Finding:
    step = run.step
    return Finding(
        "UVD006",
        INFO,
        step.line,
        step.stage,
        f"uv links from the cache mount with {f'link mode {mode}' if mode else 'its default link mode'}; "
        "set UV_LINK_MODE=copy",
        "The cache mount is another filesystem than the layer uv installs into, so uv's "
        f"default (hardlinks, or reflinks) fails and uv falls back to copying, printing "
        f"`{LINK_WARNING}` "
        "Setting the link mode to copy says so up front and silences the warning.",
        (Fix("Before this RUN:", ("ENV UV_LINK_MODE=copy",)),),
        {"cache_dir": run.cache.path, "link_mode": mode},
    )


def symlinks(run: UvRun) -> Finding:
    step = run.step
    return Finding(
        "UVD009",
        ERROR,
        step.line,
        step.stage,
        "UV_LINK_MODE=symlink with a cache mount: the installed files point into the mount",
        "In symlink mode the environment's files are symlinks into uv's cache. The cache "
        "mount is not part of the image, so in the image every one of them dangles.",
        (Fix("Copy instead:", ("ENV UV_LINK_MODE=copy",)),),
        {"cache_dir": run.cache.path, "link_mode": "symlink"},
    )


def cache_clean(run: UvRun) -> Finding:
    step = run.step
    if run.mount is not None:
        return Finding(
            "UVD007",
            WARNING,
            step.line,
            step.stage,
            "uv cache clean empties the cache mount on every build",
            "The cache mount exists to keep uv's cache between builds; cleaning it at the end "
            "of the RUN throws it away each time. The mount is not in the image, so there is "
            "nothing to clean for the image's sake.",
            (Fix("Remove `uv cache clean`:", _run_without_clean(step, None)),),
            {"cache_dir": run.cache.path, "mount": run.mount.text},
        )
    return Finding(
        "UVD007",
        INFO,
        step.line,
        step.stage,
        "uv cache clean after installing: keep no cache instead, or mount one",
        "Cleaning in the same RUN keeps the cache out of the layer, but uv still writes it "
        "first and every build downloads everything again. UV_NO_CACHE=1 skips the writing; "
        "a cache mount keeps it between builds.",
        (
            Fix(
                "Mount a build cache and drop the clean:",
                _run_without_clean(step, fixes.cache_mount(run.cache.path or "")),
            ),
            Fix("Or keep no cache:", ("ENV UV_NO_CACHE=1",)),
        ),
        {"cache_dir": run.cache.path},
    )


def _run_without_clean(step: RunStep, new_mount: str | None) -> tuple[str, ...]:
    body = fixes.body_without_cache_clean(step)
    if body is None:
        return ()
    mounts = fixes.added_mount(step, new_mount) if new_mount else [m.text for m in step.mounts]
    return fixes.run_lines(step, mounts, body)


def python_dirs(run: UvRun) -> list[Finding]:
    step, root = run.step, run.cache.path or ""
    found: list[Finding] = []
    parent = posixpath.dirname(root.rstrip("/")) or "/"
    for name, severity in (("UV_PYTHON_INSTALL_DIR", ERROR), ("UV_PYTHON_CACHE_DIR", WARNING)):
        path = env_path(step, name, run.invocation.inline_env)
        if not path or not is_within(path, root):
            continue
        if name == "UV_PYTHON_INSTALL_DIR":
            why = (
                "Installed Pythons are data, not cache: inside the cache root they are "
                "deleted by `uv cache clean`"
            )
            why += (
                (
                    ", and with the cache mounted they are not in the image at all: the "
                    "venv's interpreter is missing when the image runs."
                )
                if run.mount
                else "."
            )
            new = "/python"
        else:
            severity = WARNING if run.mount else INFO
            why = (
                "uv does not know this directory as one of its buckets: `uv cache prune` "
                "deletes it as a dangling bucket, and the Python downloads with it."
            )
            new = posixpath.join(parent, "uv-python")
        found.append(
            Finding(
                "UVD008",
                severity if name == "UV_PYTHON_CACHE_DIR" or run.mount else WARNING,
                step.line,
                step.stage,
                f"{name}={path} lies inside uv's cache dir {root}",
                why,
                (Fix("Move it out of the cache root:", (f"ENV {name}={new}",)),),
                {"cache_dir": root, "variable": name, "path": path},
            )
        )
    return found


def not_writable(run: UvRun, mount: MountSpec, accounts: list[Account]) -> Finding:
    step = run.step
    name = step.user.split(":", 1)[0]
    uid = _uid(step.user, accounts)
    ids = {"uid": uid, "gid": uid} if uid else {"uid": "UID", "gid": "GID"}
    how = "" if uid else f" (replace UID and GID with the numeric ids of {name})"
    return Finding(
        "UVD010",
        ERROR,
        step.line,
        step.stage,
        f"the cache mount {mount.target} belongs to root; uv runs as {name}",
        "BuildKit creates a cache mount owned by root (mode 0755) unless uid, gid or mode "
        f"say otherwise: uv, running as {name}, cannot write its cache there and fails with "
        "`Permission denied`.",
        (
            Fix(
                f"Give the mount to the user{how}:",
                fixes.run_lines(
                    step,
                    fixes.replaced_mounts(
                        step, step.mounts.index(mount), fixes.with_options(mount, **ids)
                    ),
                ),
            ),
        ),
        {"cache_dir": run.cache.path, "mount": mount.text, "user": step.user},
    )


def key_differs(run: UvRun, first: UvRun) -> Finding:
    step, mount, other = run.step, run.mount, first.mount
    assert mount is not None and other is not None
    return Finding(
        "UVD004",
        WARNING,
        step.line,
        step.stage,
        f"this RUN's cache mount is a different cache than line {first.step.line}'s",
        f"Both RUNs keep uv's cache at {run.cache.path}, but their mounts differ in id, uid, "
        f"gid, mode, from or source (line {first.step.line}: {other.text}; here: {mount.text}). "
        "BuildKit keys a cache by its id and those options, so each RUN fills its own copy.",
        (
            Fix(
                f"Use the mount of line {first.step.line}:",
                fixes.run_lines(
                    step, fixes.replaced_mounts(step, step.mounts.index(mount), other.text)
                ),
            ),
        ),
        {
            "cache_dir": run.cache.path,
            "mount": mount.text,
            "other_line": first.step.line,
            "other_mount": other.text,
        },
    )
