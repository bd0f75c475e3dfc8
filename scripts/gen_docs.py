#!/usr/bin/env python3
"""Regenerate every file built from the command tree: man/*.1, docs/commands.md, completions/ and the
generated `dlicli help` topics (dlicli/help/exit-codes.txt, environment.txt).

    python scripts/gen_docs.py            # rewrite man/, docs/commands.md, completions/ in place
    python scripts/gen_docs.py --check    # exit 1 and name the stale files (what CI's test does)
    python scripts/gen_docs.py --out DIR  # write DIR/man, DIR/docs, DIR/completions instead

typer vendors its own click, so click-man cannot load the app: we walk the tree ourselves. The output
depends only on the tree and dlicli's version (no date), so it is reproducible and a test can diff it.
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from docs_render import render_man, render_markdown, render_topics  # noqa: E402

from dlicli.cli import examples  # noqa: E402

# The spec's 40 operations: operationId, method, path, the command that calls it (path words, then any
# option it needs). tests/test_generated_docs.py checks this against the spec text and the tree.
OPERATIONS: list[tuple[str, str, str, str]] = [
    ("getDeepLearningConf", "GET", "/conf", "conf get"),
    ("execsDelete", "DELETE", "/execs", "exec delete --all"),
    ("execsExecIdDelete", "DELETE", "/execs/{execId}", "exec delete"),
    ("execsExecIdDeployPost", "POST", "/execs/{execId}/deploy", "exec deploy"),
    ("execsExecIdGet", "GET", "/execs/{execId}", "exec get"),
    ("execsExecIdLogGet", "GET", "/execs/{execId}/log", "exec logs"),
    ("execsExecIdResultGet", "GET", "/execs/{execId}/result", "exec result"),
    ("execsExecIdStopPost", "POST", "/execs/{execId}/stop", "exec stop"),
    ("execsFrameworksGet", "GET", "/execs/frameworks", "exec frameworks"),
    ("execsGet", "GET", "/execs", "exec list"),
    ("execsPost", "POST", "/execs", "exec start"),
    ("debugAlgorithm", "POST", "/hypersearch/algorithm/debug", "hpo algorithm debug"),
    ("deleteAllHPO", "DELETE", "/hypersearch", "hpo delete --all"),
    ("deleteOneHPO", "DELETE", "/hypersearch/{hpoName}", "hpo delete"),
    ("deleteOneHPOALGORITHM", "DELETE", "/hypersearch/algorithm/{algoName}", "hpo algorithm delete"),
    ("getAllHPO", "GET", "/hypersearch", "hpo list"),
    ("getAllHPOAlgorithm", "GET", "/hypersearch/algorithm", "hpo algorithm list"),
    ("getOneAlgorithm", "GET", "/hypersearch/algorithm/{algoName}", "hpo algorithm get"),
    ("getOneHPO", "GET", "/hypersearch/{hpoName}", "hpo get"),
    ("installHPOAlgorithm", "POST", "/hypersearch/algorithm/install", "hpo algorithm install"),
    ("restartOneHPO", "PUT", "/hypersearch/{hpoName}/restart", "hpo restart"),
    ("startHPO", "POST", "/hypersearch", "hpo start"),
    ("stopOneHPO", "PUT", "/hypersearch/{hpoName}", "hpo stop"),
    ("stopOneHPOForce", "PUT", "/hypersearch/{hpoName}/force", "hpo stop --force"),
    ("runningKernels", "GET", "/notebooks/{username}/runningkernels", "notebook kernels"),
    ("runningServiceByUserName", "GET", "/notebooks/{username}/runningservices", "notebook get"),
    ("runningServices", "GET", "/notebooks/runningservices", "notebook list"),
    ("stopService", "PUT", "/notebooks/{username}/stopservice", "notebook stop"),
    ("updateService", "PUT", "/notebooks/{username}", "notebook update"),
    ("createResplan", "POST", "/resplans/resplan", "resplan create"),
    ("delResplanByName", "DELETE", "/resplans/resplan/{resplan_name}", "resplan delete"),
    ("getResplan", "GET", "/resplans/resplan/{resplan_name}", "resplan get"),
    ("getResplanTree", "GET", "/resplans/resplantree", "resplan tree"),
    ("updateResplanByName", "PUT", "/resplans/resplan", "resplan update"),
    (
        "downloadDriverLogFile",
        "GET",
        "/scheduler/applications/{appid}/driver/logs/{type}/download",
        "scheduler logs --download",
    ),
    (
        "downloadExecutorLogFile",
        "GET",
        "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}/download",
        "scheduler logs --executor --download",
    ),
    ("getApplicationStatistic", "GET", "/scheduler/applicationStatistic", "scheduler stats"),
    ("getApplications", "GET", "/scheduler/applications", "scheduler apps"),
    ("getDriverLog", "GET", "/scheduler/applications/{appid}/driver/logs/{type}", "scheduler logs"),
    (
        "getExecutorLog",
        "GET",
        "/scheduler/applications/{appid}/executor/{executorid}/logs/{type}",
        "scheduler logs --executor",
    ),
]

# Every variable dlicli reads (the test greps dlicli/ so a new DLICLI_* cannot go undocumented).
ENVIRONMENT: list[tuple[str, str]] = [
    (
        "DLICLI_URL",
        "Server base URL, or a bare scheme://host[:port] that gets /platform/rest/deeplearning/v1 "
        "appended. Overrides the profile's URL; --url overrides it.",
    ),
    (
        "DLICLI_TOKEN",
        "Token sent as Authorization: Bearer (as given if it starts with Bearer or Basic). "
        "Wins over the profile's stored secret.",
    ),
    ("DLICLI_USERNAME", "With DLICLI_PASSWORD: user name for Basic authentication."),
    ("DLICLI_PASSWORD", "With DLICLI_USERNAME: password for Basic authentication."),
    ("DLICLI_PROFILE", "Profile to use instead of the current one; --profile overrides it."),
    ("DLICLI_CA_BUNDLE", "PEM file of certificate authorities to trust; --ca-bundle overrides it."),
    ("REQUESTS_CA_BUNDLE", "Used as the CA bundle when neither --ca-bundle nor DLICLI_CA_BUNDLE is set."),
    ("DLICLI_INSECURE", "1, true, yes or on: skip TLS certificate checks (a warning is printed every run)."),
    ("DLICLI_CONFIG_DIR", "Directory of config.yaml and credentials.yaml (default: the platform's user config dir)."),
    (
        "DLICLI_DATA_DIR",
        "Directory of the local engine's state, logs and pidfile (default: the platform's user data dir).",
    ),
    ("DLICLI_CREDENTIALS_STORE", "Where login keeps secrets: keyring, file or auto; --store overrides it."),
    ("DLICLI_KEYRING_TIMEOUT", "Seconds to wait for the system keyring before giving up (default 3)."),
    ("DLICLI_HTTP_TIMEOUT", "Read timeout of one request, in seconds (default 60)."),
    (
        "DLICLI_DEADLINE",
        "Most seconds one call may take, retries and backoff included (default 60; 0: none). "
        "Uploads and downloads are bounded per read instead.",
    ),
    (
        "DLICLI_POLL_INTERVAL",
        "Seconds between polls of --follow, --wait, --watch and wait (default 2, at least 0.1); --interval overrides it.",
    ),
    ("NO_COLOR", "When set and not empty, no colour in any output."),
]

# dlicli.errors.ExitCode member → meaning (README.md's table). The test checks every member has one.
EXIT_MEANINGS: dict[str, str] = {
    "OK": "success (an empty list too)",
    "ERROR": "unexpected error, or the server failed (500)",
    "USAGE": "bad usage or invalid input, caught before any request (a confirmation not given, too: nothing is done); or the server rejected the input (400, or 413 too large)",
    "NOT_FOUND": 'not found (404, and the API\'s 400 "cannot find ...")',
    "UNAUTHENTICATED": "not authenticated (401, or no credentials)",
    "FORBIDDEN": "forbidden (403)",
    "CONFLICT": "conflict (409)",
    "UNAVAILABLE": "cannot connect, timed out, or busy: 502/503/504 after retries, or 429 (a limit on your active work: try again once some ends)",
    "STILL_RUNNING": "--timeout ran out while a task was still running",
    "PROTOCOL": "the server's answer is not what the API returns (a web page, not JSON, the wrong shape)",
    "TASK_FAILED": "the task ended FAILED or ERROR",
    "TASK_KILLED": "the task ended KILLED or STOPPED",
    "INTERRUPTED": "interrupted: a follow or wait detaches, the task runs on",
}

# The examples of every command: dlicli/cli/examples.py, the table `--help` shows too.
EXAMPLES = examples.EXAMPLES

# What the local engine and a task's processes read, for `dlicli help environment` (not the CLI's own).
ENGINE_ENVIRONMENT: list[tuple[str, str]] = [
    ("DLICLI_SANDBOX", "off, in the engine's environment: run tasks without bubblewrap, as where it is missing."),
    ("RESULT_DIR", "In a task: the directory whose files become its result zip (`exec result`)."),
    ("LOG_DIR", "In a task: a directory for its own log files."),
    ("DATA_DIR", "In a task: where its data sources are."),
    ("DLI_EXECID", "In a task: its id."),
    (
        "MASTER_ADDR, MASTER_PORT, WORLD_SIZE, RANK, LOCAL_RANK",
        "In each worker of a distributed PyTorch task (--num-worker N).",
    ),
    ("TF_CONFIG", "In each worker of a distributed TensorFlow task."),
    ("CUDA_VISIBLE_DEVICES", "In each worker: the GPUs it was given (--worker-device-num)."),
]


@dataclass
class Param:
    """One option or argument, as the docs show it."""

    kind: str  # "option" | "argument"
    opts: list[str]  # option spellings, short first (argument: [])
    secondary: list[str]  # --no-x spellings
    metavar: str  # "" for flags
    help: str  # help text with typer's "[default: …; required]" suffix
    required: bool
    repeat: bool  # multiple or nargs != 1


@dataclass
class Command:
    """One node of the tree: everything the man page and the markdown section need."""

    words: list[str]  # ["exec", "start"]; [] for the root
    help: str
    params: list[Param]
    children: list[Command] = field(default_factory=list)
    group: bool = False

    @property
    def path(self) -> str:
        return " ".join(["dlicli", *self.words])

    @property
    def page(self) -> str:
        return "-".join(["dlicli", *self.words])

    @property
    def summary(self) -> str:
        from docs_render import paragraphs

        paras = paragraphs(self.help)
        return paras[0][1].replace("\n", " ").strip() if paras else ""


def _param(p, ctx) -> Param:
    from dlicli.cli.typerx import TyperOption

    record = p.get_help_record(ctx)
    help_text = record[1] if record else ""
    if isinstance(p, TyperOption):
        opts = sorted(p.opts, key=lambda o: (not (o.startswith("-") and not o.startswith("--")), o))
        metavar = "" if (p.is_flag or p.count) else (p.metavar or p.make_metavar(ctx) or "")
        return Param(
            "option", opts, list(p.secondary_opts), metavar, help_text, p.required, bool(p.multiple or p.nargs != 1)
        )
    metavar = p.metavar or p.name.upper()
    return Param(
        "argument", [], [], metavar, help_text, p.required, p.nargs != 1 and not metavar.endswith(("...", "…"))
    )


def walk(cmd=None, ctx=None, words: list[str] | None = None) -> Command:
    """The visible command tree (hidden commands and options skipped), in the order --help lists it."""
    from dlicli.cli.typerx import click_command, click_context

    if cmd is None:
        from dlicli.cli.app import app

        cmd = click_command(app)
        ctx = click_context(cmd, "dlicli", **cmd.context_settings)
        words = []
    params = [_param(p, ctx) for p in cmd.get_params(ctx) if not getattr(p, "hidden", False)]
    node = Command(list(words), cmd.help or "", params, group=hasattr(cmd, "commands"))
    for name in cmd.list_commands(ctx) if node.group else []:
        sub = cmd.get_command(ctx, name)
        if sub is None or sub.hidden:
            continue
        sub_ctx = click_context(sub, name, parent=ctx, **sub.context_settings)
        node.children.append(walk(sub, sub_ctx, [*words, name]))
    return node


def flatten(node: Command) -> list[Command]:
    return [node] + [c for child in node.children for c in flatten(child)]


def exit_codes() -> list[tuple[int, str]]:
    from dlicli.errors import ExitCode

    return [(int(code), EXIT_MEANINGS[code.name]) for code in ExitCode]


def build(out: Path) -> list[Path]:
    """Write man/, docs/commands.md and completions/ under `out`; return the files written."""
    from gen_completions import generate as generate_completions

    from dlicli import __version__

    tree = walk()
    commands = flatten(tree)
    ctx = {
        "version": __version__,
        "env": ENVIRONMENT,
        "exit_codes": exit_codes(),
        "examples": EXAMPLES,
        "engine_env": ENGINE_ENVIRONMENT,
        "operations": OPERATIONS,
        "commands": commands,
    }
    written = []
    man_dir = out / "man"
    man_dir.mkdir(parents=True, exist_ok=True)
    for node in commands:
        path = man_dir / f"{node.page}.1"
        path.write_text(render_man(node, ctx), encoding="utf-8")
        written.append(path)
    docs = out / "docs" / "commands.md"
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(render_markdown(tree, ctx), encoding="utf-8")
    written.append(docs)
    written += generate_completions(out / "completions")
    for name, text in render_topics(ctx).items():  # the generated `dlicli help` topics (package data)
        path = out / "dlicli" / "help" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def stale(repo: Path = ROOT) -> list[str]:
    """Files under repo that differ from a fresh build (missing, changed, or a man page of no command)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = build(Path(tmp))
        names = {p.relative_to(tmp).as_posix() for p in fresh}
        bad = [
            n
            for n in sorted(names)
            if not (repo / n).is_file() or not filecmp.cmp(repo / n, Path(tmp) / n, shallow=False)
        ]
    extra = [p.relative_to(repo).as_posix() for p in sorted((repo / "man").glob("dlicli*.1"))]
    return bad + [n for n in extra if n not in names]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="write here instead of the repository")
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file is stale")
    args = parser.parse_args(argv)
    if args.check:
        bad = stale()
        for name in bad:
            print(f"stale: {name}", file=sys.stderr)
        if bad:
            print("run: python scripts/gen_docs.py", file=sys.stderr)
        return 1 if bad else 0
    out = args.out or ROOT
    written = build(out)
    for old in set((out / "man").glob("dlicli*.1")) - set(written):  # pages of commands that are gone
        old.unlink()
    for path in written:
        print(path.relative_to(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
