"""An HPO spec file (YAML or JSON, in startHPO's own body shape) → the body `hpo start` sends.

Checked before any request; every problem is reported at once, each naming its field path
(`hyperParams[1].maxDbVal: must be greater than minDbVal (0.1)`). The API's spellings are read
both ways (`maxParalleJob`/`maxParalleJobNum`, `eta`/`hyperbandEta`, `discreateStrVal`/
`discreteStrVal`, any case for `type`, `dataType`, `objective`; the tables are in `dlicli.wmla`).
The body keeps what the user wrote, except where WMLA needs otherwise: `discreteStrVal` goes as
WMLA's `discreateStrVal`; numbers given for the string fields (`step`, `power`, algoParams values)
go as strings, and numeric strings given for number fields (YAML reads `1e-3` as a string) go as
numbers.
No typer, no HTTP here.
"""

from __future__ import annotations

import copy
import json
import shlex
from typing import Any

from dlicli.errors import UsageError
from dlicli.hpospec.algo import algo_def, algo_params, model_spec
from dlicli.hpospec.checker import Checker
from dlicli.hpospec.space import search_space
from dlicli.wmla import TOP_KEYS


class SpecError(UsageError):
    """The spec has problems; `problems` lists each as `field.path: what is wrong`."""

    def __init__(self, source: str, problems: list[str]):
        self.problems = problems
        if len(problems) == 1:
            message = f"{source}: {problems[0]}"
        else:
            message = f"{source}: {len(problems)} problems\n" + "\n".join(f"  {p}" for p in problems)
        super().__init__(
            message,
            hint="the spec is startHPO's body: hpoName, modelSpec, algoDef, "
            "hyperParams or experiments (see `dlicli hpo start --help`)",
        )


def load(path: str, text: str | None = None) -> Any:
    """The spec file's content (YAML, or JSON for *.json; `-` is stdin). UsageError if unreadable."""
    if text is None:
        try:
            if path == "-":
                import sys

                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as fh:
                    text = fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read the spec {path}: {exc.strerror or exc}") from exc
    if path.lower().endswith(".json"):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path}: not valid JSON: {exc}") from exc
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where is not None else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise UsageError(f"{path}: not valid YAML: {what}{at}") from exc


def validate(spec: Any, source: str = "spec", *, args_optional: bool = False) -> tuple[dict[str, Any], list[str]]:
    """The body to send and the warnings for `spec`; SpecError naming every problem.

    `args_optional`: modelSpec.args may be absent (the caller builds them, from --framework)."""
    c = Checker()
    if not isinstance(spec, dict):
        raise SpecError(source, [f"the spec must be a mapping (startHPO's body), not {type(spec).__name__}"])
    body = copy.deepcopy(spec)
    c.unknown(body, TOP_KEYS, "")
    if "hpoName" in body:
        c.text(body, "hpoName", "")
    model_spec(c, body, args_optional)
    algorithm = algo_def(c, body)
    names = search_space(c, body, algorithm)
    algo_params(c, body, algorithm, names)
    if c.errors:
        raise SpecError(source, c.errors)
    return body, c.warnings


# -- modelSpec.args ------------------------------------------------------------------------------------


def args_option(args: str | None, flag: str) -> str | None:
    """The value of `flag` (--exec-start, --model-main, --model-dir) in a dlicmd-style args string."""
    try:
        tokens = shlex.split(args or "")
    except ValueError:
        return None
    for i, token in enumerate(tokens[:-1]):
        if token == flag:
            return tokens[i + 1]
    return None


def set_args_options(args: str, values: list[tuple[str, str | None]]) -> str:
    """`args` with each (flag, value) set: replaced where the flag is, else added (--exec-start first).

    Unchanged args come back exactly as written; changed ones are re-quoted token by token.
    """
    tokens = shlex.split(args)
    changed = False
    for flag, value in values:
        if value is None:
            continue
        if flag in tokens[:-1]:
            i = tokens.index(flag)
            changed |= tokens[i + 1] != value
            tokens[i + 1] = value
        else:
            pos = 0 if flag == "--exec-start" else len(tokens)
            tokens[pos:pos] = [flag, value]
            changed = True
    return " ".join(shlex.quote(t) for t in tokens) if changed else args
