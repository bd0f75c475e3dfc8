"""The one table of examples: every leaf command's `--help` ends with its own, and the man pages and
docs/commands.md show the same (scripts/gen_docs.py reads this table).

Each row is (what it does, the command line). `tests/test_help_examples.py` checks that every leaf has
one and that each line parses against the command it names. Epilogs are click `\\b` paragraphs, so the
help formatter never rewraps them (a long line breaks before an option, with a shell continuation).
"""

from __future__ import annotations

from typing import Any

Example = tuple[str, str]

URL = "https://wmla.example.com:9243"

EXAMPLES: dict[str, list[Example]] = {
    "conf get": [
        ("The whole dlpd configuration as JSON", "dlicli conf get --json"),
        ("One value, for a script", "dlicli conf get DLI_SHARED_FS"),
    ],
    "exec start": [
        (
            "Submit a model directory, follow its log; the model's args go after --",
            "dlicli exec start --framework PyTorch --model-dir ./mnist --model-main main.py --follow -- --epochs 2",
        ),
        (
            "Two workers with one GPU each, reading a data source",
            "dlicli exec start --framework PyTorch --model-dir ./mnist --model-main main.py --num-worker 2 "
            '--worker-device-num 1 --data-source \'{"type": "fs", "location": {"paths": "/data/mnist"}}\'',
        ),
        (
            "A ready tar and a WMLA option; wait, then print the task as JSON",
            "dlicli exec start --framework tensorflow --model-file tf-model.modelDir.tar --model-main main.py "
            "--wmla-args '--workerMemory 4g' --wait --json",
        ),
    ],
    "exec list": [
        ("Your tasks, newest last (HPO experiments hidden)", "dlicli exec list"),
        ("The ten most recent, kept up to date until Ctrl-C", "dlicli exec list --limit 10 --watch"),
        ("One search's experiments, the longest first", "dlicli exec list --hpo digits-tpe --sort -duration"),
        ("The ids of the failed ones, for a script", "dlicli exec list --state failed -q"),
        ("Only the running ones, as JSON", "dlicli exec list --state RUNNING --json"),
    ],
    "exec get": [
        ("One task's state and details", "dlicli exec get wmla-123"),
        ("Its state alone, for a script", "dlicli exec get wmla-123 --json | jq -r .state"),
    ],
    "exec stop": [("Stop two tasks", "dlicli exec stop wmla-123 wmla-124")],
    "exec delete": [
        ("Delete one task", "dlicli exec delete wmla-123"),
        ("Delete all of yours without asking", "dlicli exec delete --all --yes"),
    ],
    "exec deploy": [
        (
            "Deploy a trained model to Elastic Distributed Inference",
            "dlicli exec deploy wmla-123 --name mnist-svc --kernel kernel.py --weight model.pt",
        ),
    ],
    "exec frameworks": [
        ("The frameworks a task can start with", "dlicli exec frameworks"),
        ("Their names only", "dlicli exec frameworks --json | jq -r '.[].name'"),
    ],
    "exec logs": [
        (
            "Both streams until the task ends (stderr on stderr, red on a terminal)",
            "dlicli exec logs wmla-123 --follow",
        ),
        ("The last 50 lines of its error log", "dlicli exec logs wmla-123 --stderr --tail 50"),
        ("The last ten minutes, each line with its time", "dlicli exec logs wmla-123 --since 10m --timestamps"),
    ],
    "exec wait": [
        (
            "Wait up to an hour: exit 0 both finished, 10 one failed, 8 timed out",
            "dlicli exec wait wmla-123 wmla-124 --timeout 3600",
        ),
    ],
    "exec result": [
        ("Save a task's result zip", "dlicli exec result wmla-123 -O result.zip"),
        (
            "Copy it to another machine through stdout, with no file left here",
            "dlicli exec result wmla-123 -O - | ssh gpu-box 'cat > wmla-123.zip'",
        ),
    ],
    "exec metrics": [
        ("A task's values so far, one row per epoch", "dlicli exec metrics wmla-123"),
        ("Watch the loss and accuracy curves grow until the task ends", "dlicli exec metrics wmla-123 --follow --plot"),
        ("The last epoch's accuracy, for a script", "dlicli exec metrics wmla-123 --json | jq '.[-1].accuracy'"),
    ],
    "hpo start": [
        (
            "Start a search from a spec file with a model directory and follow it",
            "dlicli hpo start examples/hpo/digits-tpe.yaml --model-dir examples/digits-mlp --follow",
        ),
        (
            "The same spec again, under a new name",
            "dlicli hpo start examples/hpo/digits-tpe.yaml --model-dir examples/digits-mlp --name digits-tpe-2",
        ),
        ("A spec the local checks refuse: let the server decide", "dlicli hpo start wmla-spec.json --no-validate"),
    ],
    "hpo list": [
        ("Every search you can see", "dlicli hpo list"),
        ("Their names and states, as JSON", "dlicli hpo list --json"),
        ("The names of the running ones, newest first", "dlicli hpo list --state running --sort -created -q"),
    ],
    "hpo get": [
        ("Each experiment's exec id, metric, reason and hyper-parameters", "dlicli hpo get digits-tpe"),
        ("Live, until the search ends", "dlicli hpo get digits-tpe --follow"),
        ("Piped: tab-separated with a header line naming the columns", "dlicli hpo get digits-tpe | cut -f2,5"),
    ],
    "hpo logs": [
        ("One experiment's log, both streams", "dlicli hpo logs digits-tpe 3"),
        ("Follow a running experiment from its last 20 lines", "dlicli hpo logs digits-tpe 3 --follow --tail 20"),
    ],
    "hpo best": [
        ("The best experiment's hyper-parameters, ready for a config file", "dlicli hpo best digits-tpe > best.json"),
    ],
    "hpo report": [
        ("Plots in the terminal: the objective, each parameter, the importances", "dlicli hpo report digits-tpe"),
        (
            "One self-contained page that works offline, opened in a browser",
            "dlicli hpo report digits-tpe --html report.html --open",
        ),
        (
            "Compare two algorithms that searched the same space",
            "dlicli hpo report digits-tpe digits-random --html compare.html",
        ),
    ],
    "hpo wait": [
        ("Follow a search until it ends, as a live table", "dlicli hpo wait digits-tpe --follow"),
        ("Wait at most two hours", "dlicli hpo wait digits-tpe --timeout 7200"),
    ],
    "hpo stop": [
        ("Stop a search", "dlicli hpo stop digits-tpe"),
        ("Stop it now, killing its running experiments", "dlicli hpo stop digits-tpe --force"),
    ],
    "hpo restart": [("Restart a stopped or failed search", "dlicli hpo restart digits-tpe")],
    "hpo delete": [
        ("Delete a search", "dlicli hpo delete digits-tpe"),
        ("Delete all of yours without asking", "dlicli hpo delete --all --yes"),
    ],
    "hpo algorithm list": [
        ("Every search algorithm", "dlicli hpo algorithm list"),
        ("Only the installed plugins", "dlicli hpo algorithm list --type USER_PLUGIN"),
    ],
    "hpo algorithm get": [("One algorithm's details", "dlicli hpo algorithm get Tpe")],
    "hpo algorithm delete": [("Remove an installed plugin", "dlicli hpo algorithm delete my-algo")],
    "hpo algorithm install": [
        ("Upload a plugin folder and install it", "dlicli hpo algorithm install my-algo --dir ./my-algo"),
    ],
    "hpo algorithm debug": [
        ("Ask the server for a plugin debug bundle", "dlicli hpo algorithm debug spec.json -O debug.zip"),
    ],
    "hpo algorithm test": [
        (
            "Run a plugin locally for five rounds on a spec's search space",
            "dlicli hpo algorithm test ./my-algo --spec examples/hpo/digits-tpe.yaml --rounds 5",
        ),
    ],
    "notebook list": [("Every user's notebook service", "dlicli notebook list")],
    "notebook get": [("Alice's notebook service", "dlicli notebook get alice")],
    "notebook kernels": [("The kernels running in Alice's notebook", "dlicli notebook kernels alice")],
    "notebook stop": [("Stop Alice's notebook service", "dlicli notebook stop alice")],
    "notebook update": [
        ("Move Alice's notebook to another resource plan", "dlicli notebook update alice --resource-plan research"),
    ],
    "resplan create": [
        ("A plan under another, with a label", "dlicli resplan create research --parent root --label team=vision"),
    ],
    "resplan update": [("Move a plan under another parent", "dlicli resplan update research --parent lab")],
    "resplan get": [("One plan", "dlicli resplan get research")],
    "resplan delete": [("Delete a plan without asking", "dlicli resplan delete research --yes")],
    "resplan tree": [("The plans as a tree", "dlicli resplan tree")],
    "scheduler apps": [
        ("The running applications", "dlicli scheduler apps --state RUNNING"),
        ("The ten most recently submitted, as JSON", "dlicli scheduler apps --limit 10 --json"),
    ],
    "scheduler stats": [("Slots and jobs per user", "dlicli scheduler stats")],
    "scheduler logs": [
        ("The driver's stderr, the last 50 lines", "dlicli scheduler logs app-0001 --type stderr --tail 50"),
        ("Save an executor's stdout to a file", "dlicli scheduler logs app-0001 --executor 1 --download -O out.log"),
    ],
    "login": [
        (
            "Sign in with a token read from the environment, never from argv",
            f"printf '%s' \"$WMLA_TOKEN\" | dlicli login --url {URL} --token-stdin",
        ),
        (
            "Trade a user and password (prompted) for a console token, as prod",
            f"dlicli login --profile-name prod --url {URL} --username alice --console-logon",
        ),
        (
            "No keyring on this machine: keep the secret in a private file",
            f"printf '%s' \"$WMLA_TOKEN\" | dlicli login --url {URL} --token-stdin --store file",
        ),
    ],
    "logout": [
        ("Forget the active profile's secret", "dlicli logout"),
        ("Sign out of every profile", "dlicli logout --all"),
    ],
    "status": [
        ("Who and where, and whether the server answers", "dlicli status"),
        ("The same for profile prod, as JSON", "dlicli --profile prod status --json"),
    ],
    "token": [
        ("Call the API with curl using dlicli's token", 'curl -H "Authorization: Bearer $(dlicli token)" "$URL/execs"'),
    ],
    "profile list": [("Every profile, the current one marked", "dlicli profile list")],
    "profile show": [
        ("The active profile", "dlicli profile show"),
        ("The built-in local one, as JSON", "dlicli profile show local --json"),
    ],
    "profile use": [
        ("Make prod current", "dlicli profile use prod"),
        ("Back to the local engine", "dlicli profile use local"),
    ],
    "profile delete": [("Delete profile prod and its secret, without asking", "dlicli profile delete prod --yes")],
    "server start": [
        ("Start the local engine in the background", "dlicli server start"),
        ("TLS, port 9243, 4 slots: kept for later starts", "dlicli server start --tls --port 9243 --slots 4"),
    ],
    "server stop": [("Stop the local engine (its tasks keep running)", "dlicli server stop")],
    "server status": [("Whether it runs, its URL and pid", "dlicli server status --json")],
    "server logs": [
        ("The engine's last 100 log lines", "dlicli server logs --tail 100"),
        ("Follow its log", "dlicli server logs --follow"),
    ],
    "server user add": [
        ("A new user; their token is printed once", "dlicli server user add alice"),
        (
            "With a password too, for --console-logon",
            "printf '%s\\n' \"$PASSWORD\" | dlicli server user add alice --password-stdin",
        ),
    ],
    "server user list": [("The engine's users (never a token)", "dlicli server user list")],
    "server user remove": [("Remove a user without asking", "dlicli server user remove alice --yes")],
    "server user passwd": [
        (
            "Set a user's password from stdin",
            "printf '%s\\n' \"$PASSWORD\" | dlicli server user passwd alice --password-stdin",
        ),
    ],
    "server user rotate-token": [("Replace a user's token (printed once)", "dlicli server user rotate-token alice")],
    "server notebook start": [("Start Alice's Jupyter server", "dlicli server notebook start alice")],
    "server notebook stop": [("Stop it", "dlicli server notebook stop alice")],
    "server notebook list": [("The running notebook servers", "dlicli server notebook list")],
    "top": [
        ("The live console of the current server (q quits)", "dlicli top"),
        ("One snapshot of the panes as text, for a log or a script", "dlicli top --once"),
        ("Poll a WMLA profile every 5 seconds", "dlicli top --profile prod --interval 5"),
    ],
    "api": [
        ("List your tasks, raw, with the active profile's credentials", "dlicli api GET /execs"),
        (
            "Fields of a GET become query parameters (-F sends 10 as a number)",
            "dlicli api GET /scheduler/applications -f state=RUNNING -F length=10",
        ),
        ("Fields of a PUT or POST form a JSON body", "dlicli api PUT /notebooks/alice -f resourcePlan=sample-project"),
        (
            "A multipart upload: a field read from a file, and a file part",
            "dlicli api POST /hypersearch --form -F 'data=<spec.json' -F file=@model.py",
        ),
        ("The body from a file", "dlicli api POST /resplans/resplan --input plan.json"),
    ],
    "completion bash": [
        ("Load completion into this shell", 'eval "$(dlicli completion bash)"'),
        (
            "Install it for every new shell",
            "dlicli completion bash > ~/.local/share/bash-completion/completions/dlicli",
        ),
    ],
    "completion zsh": [("Install it in a folder of your $fpath", "dlicli completion zsh > ~/.zfunc/_dlicli")],
    "completion fish": [
        ("Install it for fish", "dlicli completion fish > ~/.config/fish/completions/dlicli.fish"),
    ],
    "dlicmd": [
        (
            "dlicmd.py's own command line, against a WMLA server",
            "dlicli dlicmd --exec-get-all --rest-host wmla.example.com --rest-port 9243",
        ),
        ("Submit as dlicmd.py did", "dlicli dlicmd --exec-start PyTorch --model-dir ./mnist --model-main main.py"),
        ("A task's output", "dlicli dlicmd --exec-trainoutlogs wmla-123"),
    ],
    "help": [
        ("The topics", "dlicli help"),
        ("What each exit code means", "dlicli help exit-codes"),
        ("The HPO spec file format", "dlicli help hpo-spec"),
    ],
}

ALIASES = {"hypersearch": "hpo"}  # a group's other name → the name its examples are written under


def examples_for(path: str) -> list[Example]:
    """The examples of the command at `path` ("exec start"), under either name of its group."""
    first, _, rest = path.partition(" ")
    return EXAMPLES.get(" ".join(filter(None, [ALIASES.get(first, first), rest])), [])


def wrap_command(cmd: str, width: int = 76) -> list[str]:
    """Break a long command line before its options (outside quotes), with shell continuations."""
    if len(cmd) <= width:
        return [cmd]
    cuts, quote = [], ""
    for i, ch in enumerate(cmd):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == " " and cmd[i + 1 : i + 2] == "-":
            cuts.append(i)
    lines, start, last = [], 0, 0
    for cut in [*cuts, len(cmd)]:
        if cut - start > width - 6 and last > start:
            lines.append(cmd[start:last])
            start = last + 1
        last = cut
    lines.append(cmd[start:])
    if len(lines) == 1:
        return lines
    return [lines[0] + " \\"] + ["    " + text + " \\" for text in lines[1:-1]] + ["    " + lines[-1]]


def epilog(path: str) -> str | None:
    """The Examples section of `path`'s --help: one `\\b` paragraph per example, so never rewrapped."""
    rows = examples_for(path)
    if not rows:
        return None
    blocks = ["Examples:"]
    for text, cmd in rows:
        blocks.append("\n".join(["\b", f"  # {text}", *(f"  {part}" for part in wrap_command(cmd))]))
    return "\n\n".join(blocks)


def attach(command: Any, path: str) -> Any:
    """Set the Examples epilog on `command` (a leaf) or on every leaf below it (a group built at once)."""
    subs = getattr(command, "commands", None)
    if subs is None:
        command.epilog = epilog(path) or command.epilog
    for name, sub in (subs or {}).items():
        attach(sub, f"{path} {name}")
    return command
