"""Which model `hpo start` uploads, and the `modelSpec.args` that name it.

The model comes from `--model-dir DIR` (with `--model-main`, or the spec's `--model-main`),
`--model-file FILE` (a ready `*.modelDir.tar` sent unchanged, whatever `--model-dir` the args
name, or a single main file), or else from what the spec's args name: their `--model-dir` (a
folder next to the spec file or in the current directory) or their `--model-main` file. The args
sent then name what was uploaded: `--model-dir` its basename (a tar's top folder), `--model-main`
its path inside (or, for a single file, its name); `--framework` sets `--exec-start`. Args with
nothing to change are sent exactly as written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from dlicli.errors import UsageError
from dlicli.hpospec import args_option, set_args_options


@dataclass(frozen=True)
class ModelPlan:
    """What to upload: a directory and its main file, or a single file (`model_dir` None)."""

    main: str | None
    model_dir: str | None = None
    model_file: str | None = None  # sent as it is (modelfile.prepare_model_file)


def _near(path: str, spec_path: str, is_kind) -> str | None:
    """`path` as given (from the current directory), else next to the spec file."""
    candidates = [path]
    if not os.path.isabs(path) and spec_path != "-":
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(spec_path)), path))
    return next((c for c in candidates if is_kind(c)), None)


def plan(
    args: str | None, spec_path: str, *, model_dir: str | None, model_file: str | None, model_main: str | None
) -> ModelPlan:
    """Decide the upload before anything is opened; UsageError saying what to give when unclear."""
    if model_dir and model_file:
        raise UsageError("give --model-dir or --model-file, not both")
    if model_file:
        from dlicli.modelfile import is_model_tar

        if is_model_tar(model_file):  # a ready model dir: its main file is inside
            return ModelPlan(model_main or args_option(args, "--model-main"), None, model_file)
        if model_main:
            raise UsageError("--model-main goes with --model-dir or a model tar; --model-file is the main file itself")
        if args_option(args, "--model-dir"):
            raise UsageError(
                f"modelSpec.args names --model-dir {args_option(args, '--model-dir')}, but "
                "--model-file uploads a single file",
                hint="use --model-dir DIR or a *.modelDir.tar, or remove --model-dir from modelSpec.args",
            )
        return ModelPlan(None, None, model_file)
    main = model_main or args_option(args, "--model-main")
    if model_dir:
        if not main:
            raise UsageError(
                "no main file: give --model-main FILE (a path inside --model-dir)",
                hint="or put --model-main FILE in the spec's modelSpec.args",
            )
        return ModelPlan(main, model_dir)
    named_dir = args_option(args, "--model-dir")
    if named_dir:
        found = _near(named_dir, spec_path, os.path.isdir)
        if found is None:
            raise UsageError(
                f"modelSpec.args names --model-dir {named_dir}, which is not a folder here or next to the spec",
                hint="give the model's folder with --model-dir DIR",
            )
        if not main:
            raise UsageError("no main file: give --model-main FILE or put it in modelSpec.args")
        return ModelPlan(main, found)
    if main:
        found = _near(main, spec_path, os.path.isfile)
        if found is None:
            raise UsageError(
                f"modelSpec.args names --model-main {main}, which is not a file here or next to the spec",
                hint="give --model-dir DIR or --model-file FILE",
            )
        return ModelPlan(found)
    raise UsageError("no model to upload", hint="give --model-dir DIR (with --model-main FILE) or --model-file FILE")


def model_args(
    args: str | None, framework: str | None, main: str | None, dir_name: str | None
) -> tuple[str | None, list[str]]:
    """The args to send and notes on what changed; None when there are no args and no --framework."""
    from dlicli.submitargs import exec_start_args

    if args is None:
        if framework is None:
            return None, []
        return exec_start_args(framework, main, dir_name), []
    notes = []
    for flag, value in (("--model-dir", dir_name), ("--model-main", main)):
        old = args_option(args, flag)
        if old is not None and value is not None and old != value:
            notes.append(f"modelSpec.args: {flag} {old} → {value} (what is uploaded)")
    values = [("--exec-start", framework), ("--model-main", main), ("--model-dir", dir_name)]
    return set_args_options(args, values), notes
