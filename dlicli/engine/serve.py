"""`python -m dlicli.engine.serve`: run the local engine in the foreground (uvicorn, one worker).

The process contract with `dlicli server`: take the data dir's lock, write admin.token (0600) on
first start, bind (default 127.0.0.1:9281, else any free port), write engine.json atomically once
serving, remove it at exit; SIGTERM/SIGINT shut down cleanly and leave running tasks running.
`--tls` serves HTTPS with `--cert/--key`, or with a self-signed certificate made once in the data dir
(engine/tls.py); engine.json then gives the https URL and the certificate's path, which dlicli trusts.
`--add-user NAME` is a one-shot mode: it adds a user straight in the SQLite store (safe while an
engine runs: WAL plus short transactions), prints the token on stdout and exits; with
`--password-stdin` it reads a password from stdin and sets it (an existing user keeps their token).
Users' processes run sandboxed where bwrap works (engine/sandbox.py); without it a new user is refused
unless `--shared-trust` (or the data dir's trust.json, from `server start --shared-trust`).
`--list-users`, `--remove-user`, `--rotate-token` and `--set-password` are one-shot modes too
(engine/useradmin.py). Every mode runs with umask 077, and the log hides the values of options
named like secrets (engine/redact.py).
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import logging
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dlicli import __version__, paths
from dlicli.engine import EngineError, limits, private, sandbox, useradmin, users
from dlicli.engine.redact import RedactingFormatter
from dlicli.engine.tasks.launch import write_json_atomic
from dlicli.engine.useradmin import write_token
from dlicli.engine.users import DEFAULT_SESSION_HOURS
from dlicli.paths import ADMIN_TOKEN, DEFAULT_PORT, ENGINE_JSON

if TYPE_CHECKING:
    from dlicli.engine.core import Engine

EXIT_MISSING_EXTRA = 3  # exit codes: 0 clean stop, 1 cannot start (lock, port, user), 2 usage
log = logging.getLogger("dlicli.engine")


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m dlicli.engine.serve", description="Run the dlicli local engine.")
    p.add_argument("--data-dir", type=Path, help="state directory (default: $DLICLI_DATA_DIR or the user data dir)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help=f"port (default {DEFAULT_PORT} when free, else any free port; 0 = any)")
    p.add_argument("--slots", type=int, help="task slots (default: the CPU count)")
    p.add_argument("--data-root", type=Path, help="root of the data sets tasks may read (DATA_DIR)")
    p.add_argument("--gpus", type=float, default=0, help="GPU capacity to schedule (default 0)")
    p.add_argument("--grace-seconds", type=float, default=10.0, help="SIGTERM→SIGKILL grace when stopping a task")
    limits.add_arguments(p)  # --max-upload-bytes, --max-tar-members … and --plugin-root
    p.add_argument(
        "--hpo-max-failures",
        type=int,
        default=5,
        help="an hpo task ends FAILED after this many failed experiments in a row (at least 2 x maxParalleJobNum)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--tls", action="store_true", help="serve HTTPS (a self-signed certificate unless --cert/--key)")
    p.add_argument("--cert", type=Path, help="with --tls: the certificate (PEM, the chain after it)")
    p.add_argument("--key", type=Path, help="with --tls: the certificate's private key (PEM)")
    p.add_argument(
        "--shared-trust",
        action="store_true",
        help="without a sandbox (bwrap), still let several users share this engine: every user can read everything",
    )
    p.add_argument(
        "--pass-env",
        action="append",
        default=[],
        metavar="NAME",
        help="an environment variable tasks, plugins and notebooks inherit from the engine (repeatable)",
    )
    p.add_argument(
        "--session-hours",
        type=_positive_hours,
        default=DEFAULT_SESSION_HOURS,
        help=f"how long a /auth/v1/logon session token lasts (default {DEFAULT_SESSION_HOURS:g}; fractions allowed)",
    )
    _user_options(p)
    args = p.parse_args(argv)
    if (args.cert or args.key) and not args.tls:
        p.error("--cert and --key go with --tls")
    if args.password_stdin and not args.add_user:
        p.error("--password-stdin goes with --add-user")
    return args


def _user_options(p: argparse.ArgumentParser) -> None:
    """The one-shot user modes (engine/useradmin.py); each prints its result and exits."""
    modes = p.add_mutually_exclusive_group()
    modes.add_argument("--add-user", metavar="NAME", help="add a user, print its token on stdout, and exit")
    modes.add_argument("--list-users", action="store_true", help="print the users as JSON (never a token), and exit")
    modes.add_argument("--remove-user", metavar="NAME", help="remove a user (their work is stopped and kept)")
    modes.add_argument("--rotate-token", metavar="NAME", help="replace a user's token; print the new one")
    modes.add_argument("--set-password", metavar="NAME", help="set a user's password, read from stdin")
    p.add_argument("--admin", action="store_true", help="with --add-user: the user is an administrator")
    p.add_argument(
        "--password-stdin", action="store_true", help="with --add-user: set the user's password, read from stdin"
    )


def _positive_hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0 < hours < 1e6:
        raise argparse.ArgumentTypeError(f"--session-hours must be more than 0 and less than 1e6, not {text}")
    return hours


def bind(host: str, port: int | None) -> socket.socket:
    """A bound socket: `port` exactly, or DEFAULT_PORT when free, else any free port."""
    info = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0]
    for candidate in [DEFAULT_PORT, 0] if port is None else [port]:
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # small answers go out at once: without it each answer waited ~40 ms (Nagle meeting the
        # client's delayed ACK); accepted connections inherit it
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((info[4][0], candidate, *info[4][2:]))
            return sock
        except OSError as exc:
            sock.close()
            if port is not None or exc.errno != errno.EADDRINUSE:
                raise
    raise AssertionError("unreachable")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int, scheme: str = "http") -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    from dlicli.engine.api import BASE

    return f"{scheme}://{shown}:{port}{BASE}"


def isolation_for_users(data_dir: Path) -> str:
    """The isolation a new user gets: the running engine's (engine.json), else this machine's."""
    import json

    try:
        record = json.loads((data_dir / ENGINE_JSON).read_text(encoding="utf-8"))
        cmdline = Path(f"/proc/{int(record['pid'])}/cmdline").read_bytes()
        if b"dlicli.engine.serve" in cmdline and record.get("isolation"):
            return str(record["isolation"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return sandbox.isolation()


def configure_sandbox(args: argparse.Namespace, data_dir: Path) -> None:
    """The isolation policy: bwrap when it works; shared trust from --shared-trust or the data dir's
    remembered `server start --shared-trust`; the engine's data dir hidden from every sandbox."""
    remembered = (data_dir / paths.TRUST_SETTING).is_file()
    sandbox.configure(shared_trust=args.shared_trust or remembered, pass_env=tuple(args.pass_env), hidden=(data_dir,))


def refuse_unisolated_user(args: argparse.Namespace, data_dir: Path) -> int | None:
    """--add-user of a new user where nothing isolates users (users.check_new_user): its exit code."""
    if not args.add_user:
        return None
    isolation = isolation_for_users(data_dir)
    return useradmin.run(data_dir, lambda store: users.check_new_user(store, args.add_user, isolation)) or None


def warn_unisolated_users(engine: Engine) -> None:
    """Users added before this engine refused unisolated ones still work: say what that means."""
    count = (engine.store.one("SELECT COUNT(*) AS n FROM users") or {}).get("n", 0)
    if sandbox.isolation() == sandbox.SINGLE_USER and count > 1:
        log.warning(
            "%d users share this engine without isolation (no working bwrap): each can read the others' tasks "
            "and the admin token; install bubblewrap, or start with --shared-trust to accept it",
            count,
        )


def prepare_data_dir(engine: Engine, data_dir: Path) -> None:
    """Drop a previous run's partial uploads; on the first start, create admin and its token file."""
    shutil.rmtree(data_dir / "uploads", ignore_errors=True)
    token = engine.users.ensure_admin()
    if token:
        write_token(data_dir / ADMIN_TOKEN, token)
        log.info("created user admin; its token is in %s", data_dir / ADMIN_TOKEN)


def engine_info(host: str, port: int, data_dir: Path, cert: Path | None = None) -> dict:
    """engine.json's content: how `dlicli server` and the CLI find this engine (and, over TLS,
    the certificate the CLI trusts for it)."""
    return {
        "pid": os.getpid(),
        "host": host,
        "port": port,
        "url": base_url(host, port, "https" if cert else "http"),
        "cert": str(cert) if cert else None,
        "version": __version__,
        "dataDir": str(data_dir),
        "isolation": sandbox.isolation(),
        "startedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def engine_settings(args: argparse.Namespace) -> dict:
    """The command line's settings as core.Engine's keyword arguments."""
    return {
        "slots": args.slots,
        "data_root": args.data_root,
        "grace_seconds": args.grace_seconds,
        "limits": limits.from_args(args),
        "gpu_capacity": args.gpus,
        "hpo_max_failures": args.hpo_max_failures,
        "session_hours": args.session_hours,
    }


def serve(args: argparse.Namespace, data_dir: Path) -> int:
    try:
        import uvicorn

        from dlicli.engine.api import create_app  # noqa: F401 - the extra's other half, checked here
    except ImportError as exc:
        log.error("the engine needs the 'engine' extra (%s): pip install 'dlicli[engine]'", exc)
        return EXIT_MISSING_EXTRA
    from dlicli.engine.core import Engine

    server: uvicorn.Server | None = None
    stopping = False

    def on_signal(signum, frame) -> None:  # before, during and after uvicorn's own handlers
        nonlocal stopping
        stopping = True
        if server is not None:
            server.should_exit = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    engine = Engine(data_dir, **engine_settings(args))
    try:
        engine.start()
    except EngineError as exc:
        log.error("%s", exc.message)
        return 1
    engine_file = data_dir / ENGINE_JSON
    try:
        prepare_data_dir(engine, data_dir)
        warn_unisolated_users(engine)
        try:
            pair = tls_pair(args, data_dir)
            sock = bind(args.host, args.port)
        except EngineError as exc:
            log.error("%s", exc.message)
            return 1
        except OSError as exc:
            log.error("cannot listen on %s port %s: %s", args.host, args.port, exc.strerror or exc)
            return 1
        host, port = args.host, sock.getsockname()[1]
        if not is_loopback(host):
            log.warning("listening on %s: other machines can reach this engine; every request needs a token", host)
        server = uvicorn.Server(uvicorn_config(engine, args, pair))
        server.should_exit = stopping
        info = engine_info(host, port, data_dir, pair[0] if pair else None)
        asyncio.run(_run(server, sock, engine_file, info))
        return 0
    finally:
        _remove_engine_file(engine_file)
        engine.shutdown()
        log.info("engine stopped; running tasks keep running and are re-adopted at the next start")


def tls_pair(args: argparse.Namespace, data_dir: Path) -> tuple[Path, Path] | None:
    """(certificate, key) when serving HTTPS, else None."""
    if not args.tls:
        return None
    from dlicli.engine import tls

    pair = tls.certificate(data_dir, args.cert, args.key)
    log.info("serving HTTPS with the certificate %s", pair[0])
    return pair


def uvicorn_config(engine: Engine, args: argparse.Namespace, pair: tuple[Path, Path] | None):
    """uvicorn's settings: our logging, no lifespan, no Server header, TLS when `pair` is given."""
    import uvicorn

    from dlicli.engine.api import create_app

    return uvicorn.Config(
        create_app(engine),
        log_config=None,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=5,
        log_level=args.log_level,
        ssl_certfile=str(pair[0]) if pair else None,
        ssl_keyfile=str(pair[1]) if pair else None,
    )


async def _run(server, sock: socket.socket, engine_file: Path, info: dict) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.02)
    if server.started and not server.should_exit:
        write_json_atomic(str(engine_file), info)
        log.info("dlicli engine %s listening on %s (pid %d)", info["version"], info["url"], info["pid"])
    await task


def _remove_engine_file(path: Path) -> None:
    """Remove engine.json when it is this process's own (a newer engine may have replaced it)."""
    import json

    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    os.umask(private.OWNER_ONLY_UMASK)  # the engine's files, and its tasks', are its user's alone
    data_dir = (args.data_dir.expanduser() if args.data_dir else paths.data_dir()).absolute()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    configure_sandbox(args, data_dir)
    code = refuse_unisolated_user(args, data_dir)
    code = useradmin.one_shot(args, data_dir) if code is None else code
    if code is not None:
        return code
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=args.log_level.upper(), handlers=[handler])
    log.info("isolation of users' processes: %s", sandbox.isolation())
    return serve(args, data_dir)


if __name__ == "__main__":
    sys.exit(main())
