"""WMLA's `args` string, parsed once for everyone: the engine's execs and HPO experiments, `hpo
algorithm debug`, dlicli's spec checks and the `dlicmd` shim. Standard library only.

WMLA's options (the table `wmla.WMLA_ARGS`) may come in any order and mix with the model's own
(`--exec-start PyTorch --gpuPerWorker 1 --model-main m.py --epochs 3 --debug-level debug`): what
WMLA knows is consumed, everything else goes to the model in its order. After a standalone `--`
everything goes to the model verbatim, even words spelled like WMLA options. dlicmd.py joins its
args unquoted, so args that are not valid shell quoting are split on whitespace (with a note)
rather than refused.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from dlicli.wmla import WMLA_ARG_KINDS


class WmlaArgsError(ValueError):
    """A WMLA option with a missing or invalid value; the message names it."""


@dataclass
class WmlaArgs:
    """What the args say: WMLA's options (`options`, last value wins; `lists` for repeatable ones),
    the model's args in order, and notes on how they were read."""

    options: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    model_args: list[str] = field(default_factory=list)
    separated: bool = False  # a standalone `--` came before the model args it ends with
    notes: list[str] = field(default_factory=list)

    def get(self, *names: str) -> str | None:
        """The value of the first of `names` given (aliases such as --workerDeviceNum/--gpuPerWorker)."""
        return next((self.options[n] for n in names if n in self.options), None)

    def number(self, *names: str) -> int | None:
        value = self.get(*names)
        return None if value is None else int(value)

    def given(self) -> list[str]:
        """Every WMLA option the args name, in table order."""
        return [name for name in WMLA_ARG_KINDS if name in self.options or name in self.lists or name in self.flags]


def split(args: str | None) -> tuple[list[str], str | None]:
    """Shell-split `args`; when that fails (dlicmd.py does not quote), split on whitespace and say why."""
    try:
        return shlex.split(args or ""), None
    except ValueError as exc:
        return (args or "").split(), f"args are not valid shell quoting ({exc}); split on whitespace"


def parse(args: str | None) -> WmlaArgs:
    """Read a WMLA args string; raises WmlaArgsError for a WMLA option with a missing or bad value."""
    tokens, note = split(args)
    parsed = WmlaArgs(notes=[note] if note else [])
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token == "--":
            parsed.separated = True
            parsed.model_args += tokens[i + 1 :]
            break
        name, eq, inline = token.partition("=")
        kind = WMLA_ARG_KINDS.get(name) if name.startswith("--") else None
        if kind is None:
            parsed.model_args.append(token)
            i += 1
            continue
        if kind == "flag":
            if eq:
                raise WmlaArgsError(f"option {name} takes no value")
            parsed.flags.add(name)
            i += 1
            continue
        if eq:
            value, i = inline, i + 1
        elif i + 1 < len(tokens) and not _is_option(tokens[i + 1]):
            value, i = tokens[i + 1], i + 2
        else:
            raise WmlaArgsError(f"option {name} needs a value")
        _store(parsed, name, kind, value)
    return parsed


def _is_option(token: str) -> bool:
    """A token that cannot be an option's value, as argparse (which dlicmd.py and WMLA use) reads it:
    one that starts with `-`, is not a negative number, and holds no space (`--edt-options '-np 4'`)
    unless it is a known option's `--opt=value`."""
    if not token.startswith("-") or token == "-":
        return False
    if " " in token and token.partition("=")[0] not in WMLA_ARG_KINDS:
        return False
    try:
        float(token)
    except ValueError:
        return True
    return False


def _store(parsed: WmlaArgs, name: str, kind: str, value: str) -> None:
    if kind == "int":
        try:
            int(value)
        except ValueError:
            raise WmlaArgsError(f"option {name} must be a whole number, not {value!r}") from None
    elif kind.startswith("choice:"):
        choices = kind.partition(":")[2].split("|")
        if value not in choices:
            raise WmlaArgsError(f"option {name} must be one of {', '.join(choices)}, not {value!r}")
    if kind == "list":
        parsed.lists.setdefault(name, []).append(value)
    else:
        parsed.options[name] = value


def join(tokens: list[str]) -> str:
    """Tokens as an args string that `parse` reads back unchanged (shell-quoted where needed)."""
    return " ".join(shlex.quote(t) for t in tokens)
