"""IBM dlicmd.py's syntax (flags as commands) translated into dlicli argv, typer-free.

`translate(args)` parses what a dlicmd.py script passed (`--exec-get-all --rest-host h -o json`)
and returns the native dlicli command(s) to run, plus the connection the flags named. The
`dlicli dlicmd` command runs them in-process, so output and exit codes are the native ones.

Faithful to dlicmd.py where it matters to scripts: the command may sit anywhere (dlicmd wanted it
first); `--opt value` and `--opt=value`; `--exec-start` sends every WMLA submit option (those
dlicli has no flag for through `exec start --wmla-args`, `--conda-env-yaml FILE` as a further
upload, `--user-cmd` too), and the model gets the options it does not know and everything after
`--`, in order, after a `--` in `args`. Fixed on purpose: every `--data-source` is kept, queries
are URL-encoded, JSON is clean, no secret is read from argv except `--jwt-token` (warned about).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote

from dlicli.dlicmdopts import (
    ALLOWED,
    APP_LOG_TYPES,
    COMMANDS,
    COMMON,
    CONNECTION,
    DATA_COMMANDS,
    DEPLOY,
    FLAGS,
    KNOWN,
    NOT_SUPPORTED,
    SECRET_PASSTHROUGH,
    SIMPLE,
    SUBMIT,
    SUBMIT_PASSTHROUGH,
    value_of,
)
from dlicli.errors import UsageError
from dlicli.wmla import WMLA_ARG_KINDS
from dlicli.wmlaargs import join

DOC = "docs/migrating-from-dlicmd.md"
PLAIN_TEXT = "Accept: text/plain"  # dlicmd.py asks for the train logs as text, and prints them as they come
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")  # argparse's: such a word is a value, not an option


@dataclass
class Translation:
    """What to run: `steps` (dlicli argvs without root options), or for the application-log
    commands `app_logs` = (exec id, log type), resolved by looking the task up first."""

    command: str
    steps: list[list[str]] = field(default_factory=list)
    url: str | None = None
    protocol_given: bool = False  # --http or --rest-protocol: else `url` is https by default
    token: str | None = field(default=None, repr=False)
    debug: bool = False
    app_logs: tuple[str, str] | None = None
    secrets: list[str] = field(default_factory=list, repr=False)

    def shown(self, argv: list[str]) -> str:
        """An argv for --debug, with pass-through secrets (--cs-url-bearer) masked."""
        text = shlex.join(argv)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


@dataclass
class _Parsed:
    command: str | None = None
    values: list[str] = field(default_factory=list)
    opts: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    extra: list[str] = field(default_factory=list)  # unknown tokens (the model's own), in order
    wmla: list[str] = field(default_factory=list)  # WMLA options dlicli has no flag for, in order
    after: list[str] | None = None  # what followed `--`

    def one(self, name: str) -> str | None:
        values = self.opts.get(name)
        return values[-1] if values else None


def _unknown(name: str) -> UsageError:
    if name in NOT_SUPPORTED:
        instead = NOT_SUPPORTED[name]
        return UsageError(
            f"dlicmd option {name} is not supported by dlicli dlicmd",
            hint=f"use: {instead}" if instead else f"it has no dlicli equivalent; see {DOC}",
        )
    import difflib

    close = difflib.get_close_matches(name, sorted(KNOWN), n=1, cutoff=0.8)
    return UsageError(
        f"unknown dlicmd option {name}",
        hint=f"did you mean {close[0]}?" if close else f"see `dlicli dlicmd --help` and {DOC}",
    )


def _is_value(token: str) -> bool:
    """Whether dlicmd.py's argparse took `token` as a value rather than an option: it does not start
    with `-`, is `-` itself, looks like a negative number (`--rest-port -1`), or holds a space and is
    no known option's `--opt=value`. Anything else starting with `-` is an option."""
    if not token.startswith("-") or token == "-" or _NEGATIVE_NUMBER.match(token):
        return True
    return " " in token and token.partition("=")[0] not in KNOWN


def _needs_value(name: str, following: str | None) -> UsageError:
    """The error for `name` with no value: at the end of the line, or before an option (never taken
    as its value, as argparse did not: `--exec-delete --all` must not become `exec delete --all`)."""
    message = f"dlicmd {name} needs a value ({value_of(name)})"
    if following is None:
        return UsageError(message)
    option = following.partition("=")[0]
    secret = name in SECRET_PASSTHROUGH or CONNECTION.get(name) == "--jwt-token"
    message += ", not an option" if secret else f", not the option {option}"  # a mistyped secret is not echoed
    if option not in KNOWN:  # perhaps a value meant to start with `-`
        message += f"; a value that starts with - goes as {name}=VALUE"
    return UsageError(message)


def _split_after(p: _Parsed, args: list[str]) -> list[str]:
    """The tokens before `--`; what follows goes to `p.after`, for the model."""
    tokens = list(args)
    if "--" in tokens:
        cut = tokens.index("--")
        tokens, p.after = tokens[:cut], tokens[cut + 1 :]
        leaked = [t for t in p.after if t.partition("=")[0] in ("--jwt-token", "--password")]
        if leaked:  # dlicmd.py sent these to the task as model args, where the server stores them
            raise UsageError(
                f"{leaked[0].partition('=')[0]} after `--` would reach the task's args, stored by the server",
                hint="put it before `--`, or better set DLICLI_TOKEN",
            )
    return tokens


def _parse(args: list[str]) -> _Parsed:
    p = _Parsed()
    tokens = _split_after(p, args)
    named = {t.partition("=")[0] for t in tokens}
    deploy = DEPLOY if "--exec-deploy" in named else ()  # else `--name x` may well be a model's option
    i = 0
    while i < len(tokens):
        token = tokens[i]
        name, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        i += 1

        def value(name: str = name, eq: str = eq, inline: str = inline) -> str:
            """This token's value: after its `=`, else the next token unless it is an option
            (defaults bind this token)."""
            nonlocal i
            if eq:
                return inline
            if i >= len(tokens) or not _is_value(tokens[i]):
                raise _needs_value(name, tokens[i] if i < len(tokens) else None)
            i += 1
            return tokens[i - 1]

        if name in COMMANDS:
            if p.command is not None:
                raise UsageError(f"two dlicmd commands: {p.command} and {name}", hint="give one command per run")
            p.command = name
            nargs = COMMANDS[name]
            if nargs == 0:
                if eq:
                    raise UsageError(f"{name} takes no value")
                continue
            p.values.append(value())
            while nargs == "+" and not eq and i < len(tokens) and _is_value(tokens[i]):
                p.values.append(tokens[i])
                i += 1
        elif name in CONNECTION or name in SUBMIT or name in deploy:
            key = CONNECTION.get(name) or SUBMIT.get(name) or name
            p.opts.setdefault(key, []).append(value())
        elif name in FLAGS:
            p.flags.add(name)
        elif name in SUBMIT_PASSTHROUGH:
            p.wmla += [token] if eq or WMLA_ARG_KINDS[name] == "flag" else [name, value()]
            p.opts.setdefault("passthrough", []).append(name)
        elif name in NOT_SUPPORTED:
            raise _unknown(name)
        else:
            p.extra.append(token)
    return p


def _url(p: _Parsed) -> str | None:
    host, port = p.one("--rest-host"), p.one("--rest-port")
    protocol = (p.one("--rest-protocol") or ("http" if "--http" in p.flags else "https")).lower()
    if protocol not in ("http", "https"):
        raise UsageError(f"--rest-protocol must be http or https, not {protocol!r}")
    if host is None:
        if port is not None or "--rest-protocol" in p.opts or "--http" in p.flags:
            raise UsageError(
                "--rest-port and --rest-protocol/--http need --rest-host",
                hint="dlicli dlicmd ... --rest-host wmla.example.com --rest-port 9243",
            )
        return None
    host = host.strip()
    if not host or "/" in host:
        raise UsageError(f"--rest-host is a host name, not {host!r}", hint="for example --rest-host wmla.example.com")
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    if port is None or port.strip() == "-1":  # dlicmd: -1 means no port (an OpenShift route)
        return f"{protocol}://{host}"
    if not port.strip().isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--rest-port must be a port number (or -1 for none), not {port!r}")
    return f"{protocol}://{host}:{int(port)}"


def _format_flags(p: _Parsed) -> list[str]:
    """dlicmd printed JSON by default and with -o json; -o table|yaml are dlicli's own."""
    fmt = (p.one("-o") or "json").strip().lower()
    if fmt == "json":
        return ["--json"]
    if fmt in ("table", "yaml"):
        return ["-o", fmt]
    hint = "dlicli prints json (the default here), table or yaml"
    if fmt.startswith("custom-columns"):
        hint += "; pick columns from the JSON with jq"
    raise UsageError(f"unsupported output format {fmt!r}", hint=hint)


def _pairs(text: str, option: str, flag: str) -> list[str]:
    """dlicmd's `k=v,k=v` as dlicli's repeated `FLAG k=v`."""
    out: list[str] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item or item.startswith("="):
            raise UsageError(f"{option} wants k=v,k=v, not {text!r}", hint=f"for example {option} a=1,b=2")
        out += [flag, item]
    return out


def _query(text: str) -> list[str]:
    """--query-args 'a=1&b=2' (dlicmd glued it in raw) as `api` fields, decoded once."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise UsageError(
            f"--query-args is not k=v&k=v: {text!r}", hint='for example --query-args "limit=10&state=FINISHED"'
        ) from None
    return [arg for key, val in pairs for arg in ("-f", f"{key}={val}")]


def _exec_start(p: _Parsed, framework: str) -> list[str]:
    if "--model-main" not in p.opts and not ("--user-cmd" in p.wmla and "--model-dir" in p.opts):
        raise UsageError(
            "--exec-start needs --model-main",
            hint="dlicli dlicmd --exec-start PyTorch --model-dir DIR --model-main main.py",
        )
    argv = ["exec", "start", "--framework", framework]
    for name in SUBMIT.values():
        values = p.opts.get(name, [])
        for val in values if name == "--data-source" else values[-1:]:  # dlicmd kept one data source
            argv += [name, val]
    level = p.one("--debug-level")
    wmla = p.wmla + (["--debug-level", level.lower()] if level else [])  # dlicmd.py sends it too
    _check_wmla(wmla)
    argv += ["--wmla-args", join(wmla)] if wmla else []
    argv += _format_flags(p)
    model_args = p.extra + (p.after or [])  # the model sees them in this order, as with dlicmd.py
    return argv + (["--", *model_args] if model_args else [])


def _check_wmla(tokens: list[str]) -> None:
    """A bad value of a WMLA option on the dlicmd line (`--numPs x`), named as the user gave it, not
    as the `--wmla-args` it travels in."""
    from dlicli.wmlaargs import WmlaArgsError, parse

    try:
        parse(join(tokens))
    except WmlaArgsError as exc:
        raise UsageError(f"dlicmd {exc}") from None


def _with_values(command: list[str], values: list[str], options: list[str]) -> list[str]:
    """`COMMAND VALUES… OPTIONS…`; when a value starts with `-` (`--exec-get=--all`, `--exec-get -1`,
    both values to argparse), `COMMAND OPTIONS… -- VALUES…`, so no value is read as a dlicli option."""
    if any(v.startswith("-") for v in values):
        return [*command, *options, "--", *values]
    return [*command, *values, *options]


def _exec_deploy(p: _Parsed, exec_id: str) -> list[str]:
    for needed in ("--name", "--kernel"):
        if needed not in p.opts:
            raise UsageError(f"--exec-deploy needs {needed}", hint="--exec-deploy ID --name MODEL --kernel kernel.py")
    argv: list[str] = []
    for name in ("--name", "--kernel", "--runtime", "--weight", "--tag"):
        if name in p.opts:
            argv += [name, p.one(name) or ""]
    if "--attributes" in p.opts:
        argv += _pairs(p.one("--attributes") or "", "--attributes", "--attr")
    if "--envs" in p.opts:
        argv += _pairs(p.one("--envs") or "", "--envs", "--env")
    return _with_values(["exec", "deploy"], [exec_id], argv + _format_flags(p))


def _steps(p: _Parsed) -> list[list[str]]:
    cmd, vals = p.command or "", p.values
    one = vals[0] if vals else ""
    fmt = _format_flags(p) if cmd in DATA_COMMANDS else []
    query = _query(p.one("--query-args") or "") if "--query-args" in p.opts else None
    if cmd == "--logon":
        user = p.one("--username")
        stdin = ["--password-stdin"] if "--password-stdin" in p.flags else []
        return [["login", "--console-logon", *(["--username", user] if user else []), *stdin]]
    if cmd == "--exec-start":
        return [_exec_start(p, one)]
    if cmd == "--exec-deploy":
        return [_exec_deploy(p, one)]
    if cmd == "--exec-get-all" and query is not None:
        return [["api", "GET", "/execs", *query, *fmt]]
    if cmd == "--hpo-get-all" and query is not None:
        return [["api", "GET", "/hypersearch", *query, *fmt]]
    if cmd == "--exec-trainlogs":  # both streams (no `exec logs` flag asks for outerrlog), as text, as dlicmd asks
        return [["api", "GET", f"/execs/{quote(one, safe='')}/log", "-f", "logType=outerrlog", "-H", PLAIN_TEXT]]
    command, options = SIMPLE[cmd]
    if cmd == "--hpo-start" and "--model-dir" in p.opts:
        options = ["--model-dir", p.one("--model-dir") or ""]
    return [_with_values(command, vals, options + fmt)]


def _check(p: _Parsed) -> None:
    cmd = p.command
    if cmd is None:
        stray = next((t for t in p.extra if t.startswith("-")), None)
        if stray is not None:
            raise _unknown(stray.partition("=")[0])
        raise UsageError("no dlicmd command given", hint="for example: dlicli dlicmd --exec-get-all; see " + DOC)
    allowed = ALLOWED.get(cmd, frozenset({"-o"} if cmd in DATA_COMMANDS else ()))
    for name in p.opts:
        if name not in allowed and name not in COMMON:
            shown = "a dlicmd submit option" if name == "passthrough" else name
            raise UsageError(f"{shown} does not go with {cmd}", hint=f"see {DOC}")
    if cmd != "--exec-start":
        if p.extra:
            raise (
                _unknown(p.extra[0].partition("=")[0])
                if p.extra[0].startswith("-")
                else UsageError(f"unexpected argument {p.extra[0]!r} after {cmd}", hint=f"see {DOC}")
            )
        if p.after:
            raise UsageError(f"{cmd} takes no arguments after --")
    if "--password-stdin" in p.flags and cmd != "--logon":
        raise UsageError(f"--password-stdin does not go with {cmd}", hint="it is for --logon")
    if cmd == "--hpo-start" and "--model-dir" not in p.opts:
        raise UsageError("--hpo-start needs --model-dir", hint="--hpo-start spec.json --model-dir DIR")
    for value in p.values:
        if not value.strip():
            raise UsageError(f"{cmd} needs a non-empty value")
    level = (p.one("--debug-level") or "info").lower()
    if level not in ("debug", "info", "warn", "error"):
        raise UsageError(f"--debug-level must be debug, info, warn or error, not {level!r}")


def translate(args: list[str]) -> Translation:
    """dlicmd.py's argv → the dlicli command(s) to run. Raises UsageError before any request."""
    p = _parse(args)
    _check(p)
    t = Translation(command=p.command or "", url=_url(p), token=p.one("--jwt-token"))
    t.protocol_given = "--http" in p.flags or "--rest-protocol" in p.opts
    if t.token is not None and not t.token.strip():
        raise UsageError("--jwt-token is empty")
    t.debug = "--debug" in p.flags or (p.one("--debug-level") or "").lower() == "debug"
    wmla = p.wmla
    t.secrets = [wmla[i + 1] for i, tok in enumerate(wmla[:-1]) if tok in SECRET_PASSTHROUGH]
    t.secrets += [tok.partition("=")[2] for tok in wmla if tok.partition("=")[0] in SECRET_PASSTHROUGH]
    if t.command in APP_LOG_TYPES:
        t.app_logs = (p.values[0], APP_LOG_TYPES[t.command])
        return t
    t.steps = _steps(p)
    return t


def app_log_steps(appid: str, log_type: str, app: dict | None) -> list[tuple[str, list[str]]]:
    """(header, argv) per log dlicmd printed for an application: the driver's when it has
    `task0` (or the listing says nothing of its tasks), then one per `task12n` executor."""
    base = ["scheduler", "logs", appid]
    app = app or {}
    listed = app.get("task12n")
    executors = listed if isinstance(listed, list) else []
    steps = []
    if app.get("task0") or "task12n" not in app:
        steps.append((f"driver {log_type}", [*base, "--type", log_type]))
    for n in range(1, len(executors) + 1):
        steps.append((f"executor {n} {log_type}", [*base, "--executor", str(n), "--type", log_type]))
    return steps
