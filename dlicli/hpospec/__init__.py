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
import math
from typing import Any

from dlicli import wmlaargs
from dlicli.errors import UsageError
from dlicli.hpospec.algo import algo_def, algo_params, model_spec
from dlicli.hpospec.checker import Checker
from dlicli.hpospec.space import search_space
from dlicli.wmla import TOP_KEYS, WMLA_ARG_KINDS


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
        except UnicodeDecodeError as exc:  # a model archive or an image given for the spec
            raise UsageError(
                f"the spec {path} is not text: byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is not UTF-8",
                hint="give the YAML or JSON spec file (startHPO's body), saved as UTF-8",
            ) from None
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
    for path in non_finite(body):
        c.error(path, "is not a finite number (JSON has no NaN or Infinity)")
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


def non_finite(value: Any, path: str = "") -> list[str]:
    """Where `value` holds NaN or ±Infinity (YAML's .nan/.inf): such a body cannot be sent as JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path or "spec"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in non_finite(v, f"{path}.{k}" if path else str(k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in non_finite(v, f"{path}[{i}]")]
    return []


# -- modelSpec.args ------------------------------------------------------------------------------------


def args_option(args: str | None, flag: str) -> str | None:
    """The value of WMLA option `flag` (--exec-start, --model-main, --model-dir) wherever it is in
    a dlicmd-style args string, before a standalone `--` (after it, words are the model's)."""
    try:
        return wmlaargs.parse(args).get(flag)
    except wmlaargs.WmlaArgsError:
        return None


def set_args_options(args: str, values: list[tuple[str, str | None]]) -> str:
    """`args` with each WMLA (flag, value) set: replaced where the flag is, else added before a
    standalone `--` (--exec-start first); what follows `--` is the model's and never touched.

    Unchanged args come back exactly as written; changed ones are re-quoted token by token.
    """
    tokens = wmlaargs.split(args)[0]
    cut = tokens.index("--") if "--" in tokens else len(tokens)
    head, tail = tokens[:cut], tokens[cut:]
    changed = False
    for flag, value in values:
        if value is None:
            continue
        at = _option_at(head, flag)
        if at is None:
            pos = 0 if flag == "--exec-start" else len(head)
            head[pos:pos] = [flag, value]
            changed = True
        elif head[at] == flag:
            changed |= head[at + 1] != value
            head[at + 1] = value
        else:  # --flag=value
            changed |= head[at] != f"{flag}={value}"
            head[at] = f"{flag}={value}"
    return wmlaargs.join(head + tail) if changed else args


def _option_at(tokens: list[str], flag: str) -> int | None:
    """Where `flag` is given (as `flag VALUE` or `flag=VALUE`) among WMLA option tokens, the last
    time (WMLA reads the last), skipping the values of other WMLA options."""
    found, i = None, 0
    while i < len(tokens):
        name, eq, _ = tokens[i].partition("=")
        kind = WMLA_ARG_KINDS.get(name)
        if name == flag and (eq or i + 1 < len(tokens)):
            found = i
        i += 1 if kind is None or kind == "flag" or eq else 2
    return found
