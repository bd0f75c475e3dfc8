"""`--model-file`: a model that is ready to go up as it is — a `*.modelDir.tar` (or .tar, .tar.gz,
.tgz …), sent unchanged, or any other file, sent as the model's single main file.

WMLA takes a model directory as a tar named `*.modelDir.tar` whose top folder is the directory
(IBM's HPO tutorials build it with `tarfile.open(…, "w:gz")` and `arcname=basename(dir)`, and IBM
publishes ready ones such as `tf-model.modelDir.tar`). Before any request the tar's member list is
read: the model directory's name is its single top folder (else the archive's stem, the name the
server gives it), and `--model-main` must be a file in it. A Mac's metadata (`._*`, `__MACOSX/`) is
not part of the model; the engine leaves it out too.
"""

from __future__ import annotations

import os
import posixpath
import tarfile

from dlicli.errors import UsageError
from dlicli.modeldir import ModelUpload

TAR_SUFFIXES = (".modeldir.tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")


def is_model_tar(path: str) -> bool:
    """A name the server unpacks as a model directory (the engine reads the same suffixes)."""
    return os.path.basename(path).lower().endswith(TAR_SUFFIXES)


def prepare_model_file(path: str, model_main: str | None) -> ModelUpload:
    """Check `--model-file` before any request and open it for the upload (UsageError if bad)."""
    if not os.path.isfile(path):
        raise UsageError(f"--model-file {path}: {'not a file' if os.path.exists(path) else 'no such file'}")
    name = os.path.basename(path)
    if not is_model_tar(path):
        if model_main is not None and posixpath.basename(model_main.replace(os.sep, "/")) != name:
            raise UsageError(
                f"--model-main {model_main} goes with --model-dir or a model tar; --model-file {path} is the main file",
                hint="leave out --model-main, or give the tar (*.modelDir.tar) as --model-file",
            )
        return _opened(path, name, name, None)
    if not model_main:
        raise UsageError(
            f"--model-file {path} is a model tar: give --model-main FILE, a path inside its model directory",
            hint="or put --model-main FILE in the args",
        )
    files, top = tar_files(path)
    dir_name = top or _stem(name)
    main = _inside(model_main, top, files)
    if main is None:
        shown = ", ".join(sorted(files)[:5]) + (", …" if len(files) > 5 else "")
        raise UsageError(
            f"--model-main {model_main} is not a file of {path}",
            hint=f"its files (paths inside {dir_name}/): {shown or 'none'}",
        )
    return _opened(path, name, main, dir_name)


def tar_files(path: str) -> tuple[set[str], str | None]:
    """The model's files in a tar (paths inside its top folder) and that folder, if it has one."""
    try:
        with tarfile.open(path, mode="r:*") as archive:
            members = [(_normal(m.name), m.isdir()) for m in archive.getmembers()]
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise UsageError(f"--model-file {path} is not a readable tar archive: {exc}") from None
    members = [(p, d) for p, d in members if p and not _mac_metadata(p)]
    tops = {p.split("/", 1)[0] for p, _ in members}
    top = next(iter(tops)) if len(tops) == 1 and any("/" in p for p, _ in members) else None
    cut = len(top) + 1 if top else 0
    return {p[cut:] for p, is_dir in members if not is_dir and len(p) > cut}, top


def _inside(model_main: str, top: str | None, files: set[str]) -> str | None:
    """`--model-main` as a path inside the model directory, also when given with the top folder."""
    main = _normal(model_main.replace(os.sep, "/"))
    if main in files:
        return main
    if top and main.startswith(top + "/") and main[len(top) + 1 :] in files:
        return main[len(top) + 1 :]
    return None


def _normal(name: str) -> str:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return "/".join(parts)


def _mac_metadata(path: str) -> bool:
    return any(p == "__MACOSX" or p.startswith("._") for p in path.split("/"))


def _stem(name: str) -> str:
    lower = name.lower()
    suffix = next(s for s in TAR_SUFFIXES if lower.endswith(s))
    return name[: -len(suffix)] or name


def _opened(path: str, name: str, main: str, dir_name: str | None) -> ModelUpload:
    fh = open(path, "rb")  # noqa: SIM115 - closed by ModelUpload.close
    return ModelUpload(name, fh, os.fstat(fh.fileno()).st_size, main, dir_name)
