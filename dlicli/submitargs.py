"""The `args` string `exec start` sends (and `hpo start` builds when a spec has none), and the
merged `--data-source` list. Typer-free.

The string is dlicmd.py's: `--exec-start F --model-main M [--model-dir D] [WMLA options] [-- MODEL
ARGS]`. The model's args go after a standalone `--`, as dlicmd.py sends them, so the server hands
them to the model verbatim even when they are spelled like WMLA options (`--appName foo`).
WMLA options dlicli has no flag for come from `--wmla-args`, read with the one WMLA args parser
(`dlicli.wmlaargs`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dlicli import wmlaargs
from dlicli.errors import UsageError
from dlicli.wmla import SUBMIT_OPTIONS

# WMLA options `exec start` has its own flag (or upload) for: not accepted in --wmla-args.
OWN_FLAGS = {
    "--exec-start": "--framework",
    "--model-main": "--model-main",
    "--model-dir": "--model-dir or --model-file",
    "--data-source": "--data-source",
    "--conda-env-yaml": "--conda-env-yaml (it uploads the file)",
    "--conda-package": "--conda-package (it uploads the file)",
    **{wmla: own for own, wmla in SUBMIT_OPTIONS.items()},
}


def exec_start_args(
    framework: str,
    main: str | None,
    dir_name: str | None = None,
    options: Sequence[tuple[str, Any]] = (),
    model_args: Sequence[str] = (),
    wmla_args: Sequence[str] = (),
) -> str:
    """The dlicmd-style `args` query value; every token shell-quoted so spaces survive.

    `options` are (flag, value) pairs, None values left out; dlicli's flags (`--num-worker`) are
    sent in dlicmd's spelling (`--numWorker`, see `wmla.SUBMIT_OPTIONS`), other flags as given.
    `wmla_args` are further WMLA option tokens; `model_args` follow a standalone `--`."""
    tokens = ["--exec-start", framework]
    if main is not None:
        tokens += ["--model-main", main]
    if dir_name is not None:
        tokens += ["--model-dir", dir_name]
    for flag, value in options:
        if value is not None:
            tokens += [SUBMIT_OPTIONS.get(flag, flag), str(value)]
    tokens += list(wmla_args)
    if model_args:
        tokens += ["--", *model_args]
    return wmlaargs.join(tokens)


def wmla_option_tokens(values: Sequence[str]) -> tuple[list[str], wmlaargs.WmlaArgs]:
    """The tokens of every `--wmla-args` value and what they say; UsageError for anything but WMLA
    options dlicli has no flag for (a model arg belongs after `--`)."""
    tokens: list[str] = []
    for value in values:
        tokens += wmlaargs.split(value)[0]
    try:
        parsed = wmlaargs.parse(wmlaargs.join(tokens))
    except wmlaargs.WmlaArgsError as exc:
        raise UsageError(f"--wmla-args: {exc}") from None
    if parsed.separated or parsed.model_args:
        stray = "--" if parsed.separated and not parsed.model_args else parsed.model_args[0]
        raise UsageError(
            f"--wmla-args takes WMLA options only, not {stray!r}",
            hint="put the model's own args after --: dlicli exec start … -- --lr 0.1",
        )
    for name in parsed.given():
        if name in OWN_FLAGS:
            raise UsageError(f"--wmla-args: give {name} as {OWN_FLAGS[name]}")
    return tokens, parsed


def merge_data_sources(values: Sequence[str], option: str = "--data-source") -> list[dict[str, Any]]:
    """Every `--data-source` (a JSON object or a list of objects) as one list."""
    merged: list[dict[str, Any]] = []
    example = '\'{"type": "fs", "location": {"paths": "/data/mnist"}}\''
    for value in values:
        try:
            parsed = json.loads(value)
        except ValueError as exc:
            raise UsageError(
                f"{option} is not valid JSON ({exc}): {value}", hint=f"give an object such as {example}"
            ) from exc
        if isinstance(parsed, dict):
            merged.append(parsed)
        elif isinstance(parsed, list) and all(isinstance(item, dict) for item in parsed):
            merged.extend(parsed)
        else:
            raise UsageError(
                f"{option} must be a JSON object or a list of objects: {value}",
                hint=f"give an object such as {example}",
            )
    return merged
