"""What a task, plugin search or notebook server may see and inherit: bubblewrap and an allow-listed environment.

Every process the engine starts for a user runs from an allow-listed environment (`environment`),
never the engine's own. Where bubblewrap (`bwrap`) runs, it also runs in a sandbox (`wrap`): its
own mount, pid, IPC and UTS namespaces, no capabilities, read-only system paths (/usr, /etc minus
its secrets, the interpreters it needs, dlicli itself), its own directory read-write, the data it
was given read-only, an empty /tmp, a fresh /proc (its own processes only) and a minimal /dev. The
engine's data dir (engine.db, admin.token, other users' tasks, notebook tokens, the TLS key) is
covered by an empty, read-only tmpfs. The network is shared: distributed workers meet on 127.0.0.1.

The sandbox keeps the caller's process group (no --new-session), so one killpg still reaches every
process inside; it starts with SIGTERM ignored, so a group SIGTERM reaches the processes inside
(which may shut down cleanly) without killing bwrap first. There is no --die-with-parent: tasks and
notebook servers outlive an engine restart by design (they are re-adopted), and stopping them is a
killpg of their group.

`serve` configures the policy once (`configure`); an in-process Engine (the library, unit tests)
runs unsandboxed unless configured. DLICLI_SANDBOX=off in the engine's environment makes bwrap
count as missing: a test and debug knob. Standard library only.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

DISABLE_ENV = "DLICLI_SANDBOX"
"""`DLICLI_SANDBOX=off` in the engine's environment: behave as if bwrap were missing (tests, debugging)."""
BWRAP, SHARED_TRUST, SINGLE_USER = "bwrap", "none (shared trust)", "none (single user)"

INHERITED = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "TZ",
    "USER",
    "LOGNAME",
    "FABRIC_HOME",
    "CUDA_VISIBLE_DEVICES",
    "NVIDIA_VISIBLE_DEVICES",
)
"""What a task inherits from the engine's environment besides LC_*, the proxies and --pass-env names."""
PROXIES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "ftp_proxy")
"""Passed on, in any case, when set in the engine's environment: that is how a proxy is configured."""

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")
MASKED_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/sudoers")
MASKED_DIRS = ("/etc/ssl/private", "/etc/sudoers.d", "/etc/ssh", "/etc/dlicli")
DLICLI_PACKAGE = Path(__file__).resolve().parents[1]
IGNORE_SIGTERM = (
    sys.executable,
    "-I",
    "-S",
    "-c",
    "import os, signal, sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); os.execv(sys.argv[1], sys.argv[1:])",
)
"""bwrap starts with SIGTERM ignored (inherited until a process sets its own handler): a group SIGTERM
must reach the processes inside, not end the sandbox before they can stop cleanly."""


@dataclass
class Policy:
    isolate: bool = False
    """Wrap processes in bwrap when it works (serve turns it on)."""
    shared_trust: bool = False
    """Without isolation, several users may still share the engine (`--shared-trust`)."""
    pass_env: tuple[str, ...] = ()
    """Further names tasks inherit from the engine's environment (`--pass-env NAME`)."""
    hidden: tuple[Path, ...] = ()
    """Covered in every sandbox: the engine's data dir."""


_policy = Policy()


def configure(
    *, isolate: bool = True, shared_trust: bool = False, pass_env: tuple[str, ...] = (), hidden: tuple[Path, ...] = ()
) -> None:
    """The engine's policy, set once at start (serve.py)."""
    global _policy
    _policy = Policy(isolate, shared_trust, tuple(pass_env), tuple(Path(p) for p in hidden))


def policy() -> Policy:
    return _policy


@functools.cache
def bwrap() -> str | None:
    """The bwrap binary when it runs here with what `wrap` asks of it (probed once), else None."""
    found = shutil.which("bwrap")
    if found is None or os.environ.get(DISABLE_ENV, "").lower() in ("off", "0", "no", "false"):
        return None
    probe = [found, *_namespaces(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev", "true"]
    try:
        done = subprocess.run(probe, stdin=subprocess.DEVNULL, capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found if done.returncode == 0 else None


def active() -> bool:
    """True when processes are sandboxed."""
    return _policy.isolate and bwrap() is not None


def isolation() -> str:
    """What `server status` reports: bwrap, none (shared trust) or none (single user)."""
    if active():
        return BWRAP
    return SHARED_TRUST if _policy.shared_trust else SINGLE_USER


def environment(home: Path, extra: tuple[str, ...] = (), source: dict[str, str] | None = None) -> dict[str, str]:
    """The allow-listed environment of a process the engine starts for a user, HOME in its own dir."""
    source = dict(os.environ) if source is None else source
    wanted = {*INHERITED, *_policy.pass_env, *extra}
    env = {k: v for k, v in source.items() if k in wanted or k.startswith("LC_") or k.lower() in PROXIES}
    env.update(HOME=str(home), PYTHONUNBUFFERED="1")
    return env


@dataclass
class Jail:
    """What one sandboxed process sees besides the system: paths at their own names."""

    own: list[Path]
    """Read-write: its task, search or notebook dir."""
    readable: list[Path] = field(default_factory=list)
    """Read-only: the data it was given, a plugin's folder, a kernelspec dir."""
    hidden: list[Path] = field(default_factory=list)
    """Covered by an empty read-only tmpfs: the engine's data dir (what `own`/`readable` name inside is
    bound again), so a write there ($DLI_SHARED_FS/x) fails at once instead of vanishing."""
    interpreters: list[str] = field(default_factory=list)
    """Executables whose installation must be readable (a conda env's python, python3.X)."""
    links: list[tuple[str, str]] = field(default_factory=list)
    """(target, link): symlinks made inside, e.g. $DLI_RESULT_FS/$USER/batchworkdir/$DLI_EXECID."""
    cwd: Path | None = None


def wrap(argv: list[str], jail: Jail) -> list[str]:
    """`argv` inside bwrap when sandboxing is active, else `argv` as it is."""
    found = bwrap() if _policy.isolate else None
    if found is None:
        return list(argv)
    args = [found, *_namespaces(), *_system()]
    args += ["--proc", "/proc", "--dev", "/dev", *_devices(), "--tmpfs", "/tmp", "--tmpfs", "/var/tmp"]
    for installed in _installations(jail.interpreters):  # after the empty /tmp: a venv may live in /tmp
        args += ["--ro-bind-try", installed, installed]
    # a readable path holding the data dir (a --data-root above it) is bound before the data dir is covered
    hidden = list(dict.fromkeys([*_policy.hidden, *jail.hidden]))
    outer = [p for p in jail.readable if any(h == p or p in h.parents for h in hidden)]
    for path in outer:
        args += ["--ro-bind-try", str(path), str(path)]
    for path in hidden:
        args += ["--tmpfs", str(path)]
    for path in jail.readable:
        if path not in outer:
            args += ["--ro-bind-try", str(path), str(path)]
    for path in jail.own:
        args += ["--bind", str(path), str(path)]
    for target, link in jail.links:
        args += ["--symlink", target, link]
    for path in hidden:  # last: what was bound inside stays as bound; a write elsewhere fails, not vanishes
        args += ["--remount-ro", str(path)]
    if jail.cwd is not None:
        args += ["--chdir", str(jail.cwd)]
    return [*IGNORE_SIGTERM, *args, "--", *argv]


def _namespaces() -> list[str]:
    args = ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if os.geteuid() == 0:  # as root bwrap keeps every capability unless told (a non-root bwrap keeps none)
        args += ["--cap-drop", "ALL"]
    return args


def _system() -> list[str]:
    """The read-only system: top-level dirs (merged-/usr symlinks kept as symlinks), /etc's secrets masked."""
    args: list[str] = []
    for top in SYSTEM_DIRS:
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    resolv = os.path.realpath("/etc/resolv.conf")
    if not resolv.startswith("/etc/") and os.path.isfile(resolv):
        args += ["--ro-bind", resolv, resolv]
    for path in MASKED_FILES:
        if os.path.isfile(path):
            args += ["--ro-bind", "/dev/null", path]
    for path in MASKED_DIRS:
        if os.path.isdir(path):
            args += ["--tmpfs", path]
    return args


def _installations(interpreters: list[str]) -> list[str]:
    """Read-only paths a Python process needs: this engine's Python and venv, dlicli, the user site,
    the PATH dirs (outside /usr), and the installation of every other interpreter named."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, str(DLICLI_PACKAGE)}
    paths.update(site.getsitepackages())
    paths.add(os.path.dirname(os.path.realpath(sys.executable)))
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        paths.add(site.getusersitepackages())
    paths.update(p for p in os.environ.get("PATH", "").split(os.pathsep) if os.path.isabs(p) and os.path.isdir(p))
    for program in interpreters:
        found = shutil.which(program) if not os.path.isabs(program) else program
        if found:
            for path in (found, os.path.realpath(found)):
                paths.add(str(Path(path).parent.parent))
    system = ("/usr", "/bin", "/sbin", "/lib", "/etc")
    return sorted(p for p in paths if p and p != "/" and not any(p == s or p.startswith(s + "/") for s in system))


def _devices() -> list[str]:
    """GPUs: /dev/nvidia* and /dev/dri, where they exist."""
    args: list[str] = []
    for path in sorted(glob("/dev/nvidia*")) + (["/dev/dri"] if os.path.isdir("/dev/dri") else []):
        args += ["--dev-bind", path, path]
    return args
