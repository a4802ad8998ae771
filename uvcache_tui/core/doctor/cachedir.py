"""Where uv puts its cache in a RUN: uv's precedence (reference uv-cache.md §2.1) applied to
the RUN's variables, options and user.

`--no-cache`/UV_NO_CACHE beat everything (a temporary dir, gone at exit), then
`--cache-dir`/UV_CACHE_DIR (relative: against WORKDIR, uv's cwd), then an absolute
XDG_CACHE_HOME, then HOME, else the user's home from /etc/passwd: root's is /root, a user
made by `useradd`/`adduser` earlier in the Dockerfile has the home given there (default
/home/NAME), and Docker sets HOME=/ for a uid with no passwd entry.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from uvcache_tui.core.dockerfile.mounts import go_clean
from uvcache_tui.core.dockerfile.stages import RunStep
from uvcache_tui.core.dockerfile.words import expand_word
from uvcache_tui.core.doctor.commands import TRUE_VALUES, UvInvocation, split_words

ROOT_NAMES = ("", "root", "0")


@dataclass(frozen=True)
class Account:
    name: str | None
    uid: str | None
    home: str


@dataclass(frozen=True)
class CacheDir:
    """uv's cache dir for one invocation, and why."""

    path: str | None
    """None: uv runs without a cache (`--no-cache`, UV_NO_CACHE)."""
    source: str
    """`--no-cache`, `UV_NO_CACHE`, `--cache-dir`, `UV_CACHE_DIR`, `XDG_CACHE_HOME`, `HOME`,
    `home of root`, `home of USER`."""
    user: str
    assumed: bool = False
    """The home was guessed (a user the Dockerfile does not create)."""


def find_accounts(steps: Iterable[RunStep]) -> list[Account]:
    """Users created by `useradd`/`adduser` in these RUNs (home and uid when given)."""
    accounts: list[Account] = []
    for step in steps:
        for segment in step.command.replace("&&", "\n").replace(";", "\n").splitlines():
            tokens = split_words(segment)
            if not tokens or posixpath.basename(tokens[0]) not in ("useradd", "adduser"):
                continue
            accounts.append(_account(tokens[1:]))
    return accounts


def _account(args: list[str]) -> Account:
    home: str | None = None
    uid: str | None = None
    name: str | None = None
    takes_value = {
        "-d",
        "--home-dir",
        "--home",
        "-h",
        "-u",
        "--uid",
        "-g",
        "--gid",
        "-G",
        "--groups",
        "-s",
        "--shell",
        "-c",
        "--comment",
        "-K",
        "-k",
        "--skel",
        "-e",
        "-f",
        "--ingroup",
        "--gecos",
        "-b",
        "--base-dir",
    }
    index = 0
    while index < len(args):
        token = args[index]
        index += 1
        key, sep, value = token.partition("=")
        if key in takes_value:
            if not sep and index < len(args):
                value = args[index]
                index += 1
            if key in ("-d", "--home-dir", "--home", "-h"):
                home = value
            elif key in ("-u", "--uid"):
                uid = value
        elif not token.startswith("-"):
            name = token
    return Account(name, uid, home or (f"/home/{name}" if name else "/"))


def user_home(user: str, accounts: Iterable[Account]) -> tuple[str, bool]:
    """The home of `user` (`name`, `uid`, `name:group`) and whether it was guessed."""
    name = user.split(":", 1)[0]
    if name in ROOT_NAMES:
        return "/root", False
    for account in accounts:
        if name in (account.name, account.uid):
            return account.home, False
    if name.isdigit():
        return "/", True
    return f"/home/{name}", True


def is_root(user: str) -> bool:
    return user.split(":", 1)[0] in ROOT_NAMES


def _absolute(path: str, workdir: str) -> str:
    return go_clean(posixpath.join(workdir, path))


def resolve_cache_dir(
    step: RunStep, invocation: UvInvocation, accounts: Iterable[Account]
) -> CacheDir:
    """The cache dir this invocation uses in this RUN."""
    env: dict[str, str] = dict(step.env)
    for name, value in invocation.inline_env.items():
        env[name] = expand_word(value, env).value

    def shell(value: str) -> str:
        return expand_word(value, env).value

    user = step.user
    if "--no-cache" in invocation.options:
        return CacheDir(None, "--no-cache", user)
    if env.get("UV_NO_CACHE", "").strip().lower() in TRUE_VALUES:
        return CacheDir(None, "UV_NO_CACHE", user)
    if "--cache-dir" in invocation.options:
        return CacheDir(
            _absolute(shell(invocation.options["--cache-dir"]), step.workdir), "--cache-dir", user
        )
    if env.get("UV_CACHE_DIR"):
        return CacheDir(_absolute(env["UV_CACHE_DIR"], step.workdir), "UV_CACHE_DIR", user)
    xdg = env.get("XDG_CACHE_HOME", "")
    if xdg.startswith("/"):
        return CacheDir(go_clean(xdg + "/uv"), "XDG_CACHE_HOME", user)
    home = env.get("HOME", "")
    if home.startswith("/"):
        return CacheDir(go_clean(home + "/.cache/uv"), "HOME", user)
    home, assumed = user_home(user, accounts)
    label = "home of root" if is_root(user) else f"home of {user.split(':', 1)[0]}"
    return CacheDir(go_clean(home + "/.cache/uv"), label, user, assumed)


def is_within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


def link_mode(step: RunStep, invocation: UvInvocation) -> str | None:
    """`--link-mode`, else UV_LINK_MODE inline or from ENV/ARG; None when unset."""
    if "--link-mode" in invocation.options:
        return invocation.options["--link-mode"]
    value = invocation.inline_env.get("UV_LINK_MODE") or step.env.get("UV_LINK_MODE")
    return value or None


def env_path(step: RunStep, name: str, extra: Mapping[str, str]) -> str | None:
    value = extra.get(name) or step.env.get(name)
    return _absolute(value, step.workdir) if value else None
