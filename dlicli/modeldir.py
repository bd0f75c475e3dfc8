"""What `exec start` (and `hpo start`) upload: a model directory as a streamed `.modelDir.tar`,
or a single model file (the `args` string that names them is `dlicli.submitargs`'s).

The tar is generated on the fly by `TarStream` (headers from `TarInfo.tobuf()`, file data read
in chunks), so a multi-GiB model directory never sits in memory; its exact size is known before
the first byte, so the request has a Content-Length. `MultipartBody` streams it (or a single
model file) as multipart/form-data in 1 MiB pieces. No typer, no rich, no httpx here.

Rules (DESIGN.md "Wire rules"): the tar's single top folder is the directory's basename;
`.git`, `__pycache__`, `*.pyc`, `.DS_Store`, `._*` and whatever the directory's `.dliignore`
names (gitignore syntax) are left out. Symlinks: a link whose target lies inside the model
directory is stored as a link (relative target, so it survives the move); a link that leaves
the directory, or dangles, is skipped with a warning, never followed — the server refuses such
links anyway and following them could upload files from elsewhere. Sockets, FIFOs and devices
are skipped with a warning. Hard links are stored as separate regular files.
"""

from __future__ import annotations

import functools
import io
import os
import stat
import tarfile
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from dlicli.client.multipart import CHUNK_SIZE, exact_chunks
from dlicli.errors import FileChanged, UsageError

DEFAULT_EXCLUDES = (".git", "__pycache__", "*.pyc", ".DS_Store", "._*")
IGNORE_FILE = ".dliignore"
TAR_SUFFIX = ".modelDir.tar"
_BLOCK = tarfile.BLOCKSIZE

Warn = Callable[[str], None]


ModelDirChanged = FileChanged  # a file of the model directory changed while it was uploading


# -- scanning -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """One tar member: its header, where it starts in the stream, and (files) its source."""

    info: tarfile.TarInfo
    source: str | None
    offset: int
    header_size: int

    @property
    def data_end(self) -> int:
        return self.offset + self.header_size + self.info.size

    @property
    def end(self) -> int:
        return self.data_end + (-self.info.size % _BLOCK)


def ignore_spec(root: str):
    """The exclusion rules of a model directory: the defaults plus its `.dliignore`."""
    import pathspec

    lines = list(DEFAULT_EXCLUDES)
    path = os.path.join(root, IGNORE_FILE)
    if os.path.isfile(path):
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines.extend(fh.read().splitlines())
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path}: {exc}", hint="fix the pattern (gitignore syntax)") from exc


@functools.lru_cache(maxsize=64)
def _owner_name(kind: str, ident: int) -> str:
    try:
        import grp
        import pwd

        return pwd.getpwuid(ident).pw_name if kind == "u" else grp.getgrgid(ident).gr_name
    except (ImportError, KeyError):
        return ""


def tar_info(arcname: str, st: os.stat_result, kind: bytes, linkname: str = "") -> tarfile.TarInfo:
    """A member header as `TarFile.gettarinfo` makes it, with an integral mtime (a float one
    costs a 1 KiB pax header per file on Python < 3.12)."""
    info = tarfile.TarInfo(arcname)
    info.type = kind
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid, info.gid = st.st_uid, st.st_gid
    info.uname, info.gname = _owner_name("u", st.st_uid), _owner_name("g", st.st_gid)
    info.size = st.st_size if kind == tarfile.REGTYPE else 0
    info.mtime = int(st.st_mtime)
    info.linkname = linkname
    return info


def _header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")


def scan(model_dir: str, *, warn: Warn | None = None) -> list[tuple[tarfile.TarInfo, str | None]]:
    """The members of `model_dir`'s tar, in tarfile's own order (depth first, sorted by name)."""
    root = os.path.realpath(model_dir)
    top = os.path.basename(os.path.abspath(model_dir))
    spec = ignore_spec(root)
    members: list[tuple[tarfile.TarInfo, str | None]] = [(tar_info(top, os.stat(root), tarfile.DIRTYPE), None)]

    def walk(real_dir: str, rel: str) -> None:
        with os.scandir(real_dir) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            relpath = rel + entry.name
            st = entry.stat(follow_symlinks=False)
            is_dir = stat.S_ISDIR(st.st_mode)
            if spec.match_file(relpath + "/" if is_dir else relpath):
                continue
            arcname = f"{top}/{relpath}"
            if is_dir:
                members.append((tar_info(arcname, st, tarfile.DIRTYPE), None))
                walk(entry.path, relpath + "/")
            elif stat.S_ISREG(st.st_mode):
                members.append((tar_info(arcname, st, tarfile.REGTYPE), entry.path))
            elif stat.S_ISLNK(st.st_mode):
                target = os.path.realpath(entry.path)
                if _inside(target, root) and os.path.exists(target):
                    link = os.path.relpath(target, real_dir).replace(os.sep, "/")
                    members.append((tar_info(arcname, st, tarfile.SYMTYPE, link), None))
                elif warn:
                    warn(f"skipping symlink {relpath}: it points outside the model directory or nowhere")
            elif warn:
                warn(f"skipping {relpath}: not a regular file, directory or symlink")

    try:
        walk(root, "")
    except OSError as exc:
        raise UsageError(f"cannot read the model directory {model_dir}: {exc}") from exc
    return members


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


# -- the streamed tar -------------------------------------------------------------------------


class TarStream:
    """A read-only, file-like tar of a model directory, generated while it is read.

    `size` is exact before any byte is read. Supports read(n) (like a raw stream it may return
    fewer than n bytes; b"" only at the end), tell(), seek(0), seek(0, 2) and seeking to where
    it is — what httpx's multipart needs to measure and send it. A file that changed size
    since the scan raises `ModelDirChanged` instead of producing a corrupt tar.
    """

    def __init__(self, entries: Sequence[tuple[tarfile.TarInfo, str | None]], name: str = ""):
        self.name = name
        self.members: list[Member] = []
        offset = 0
        for info, source in entries:
            member = Member(info, source, offset, len(_header(info)))
            self.members.append(member)
            offset = member.end
        end = offset + 2 * _BLOCK
        self.size = end + (-end % tarfile.RECORDSIZE)
        self._pos = 0
        self._pending = b""
        self._used = 0  # bytes of _pending already returned
        self._chunks: Generator[bytes, None, None] | None = None

    @classmethod
    def from_dir(cls, model_dir: str, *, warn: Warn | None = None) -> TarStream:
        top = os.path.basename(os.path.abspath(model_dir))
        return cls(scan(model_dir, warn=warn), name=top + TAR_SUFFIX)

    def __len__(self) -> int:
        return self.size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence] + offset
        if target == self._pos:
            return self._pos
        self._stop()
        if target == 0:
            self._pos = 0
        elif target == self.size:
            self._pos = self.size
        else:
            raise io.UnsupportedOperation("a TarStream seeks only to its start, its end or where it is")
        return self._pos

    def read(self, n: int | None = -1) -> bytes:
        if n is None or n < 0:
            return b"".join(iter(lambda: self.read(CHUNK_SIZE), b""))
        if n == 0 or self._pos >= self.size:
            return b""
        if self._used >= len(self._pending):
            if self._chunks is None:
                self._chunks = self._generate()
            self._pending, self._used = next(self._chunks, b""), 0
        if self._used == 0 and len(self._pending) <= n:
            data = self._pending
        else:
            data = self._pending[self._used : self._used + n]
        self._used += len(data)
        self._pos += len(data)
        return data

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> TarStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _stop(self) -> None:
        if self._chunks is not None:
            self._chunks.close()
        self._chunks = None
        self._pending, self._used = b"", 0

    def _generate(self) -> Generator[bytes, None, None]:
        for member in self.members:
            yield _header(member.info)
            if member.source is not None and member.info.size:
                yield from _file_chunks(member.source, member.info)
            if member.end > member.data_end:
                yield b"\0" * (member.end - member.data_end)
        yield b"\0" * (self.size - (self.members[-1].end if self.members else 0))


def _file_chunks(source: str, info: tarfile.TarInfo) -> Iterator[bytes]:
    try:
        fh = open(source, "rb")  # noqa: SIM115 - closed on exit, also on generator close
    except OSError as exc:
        raise ModelDirChanged(f"{info.name} vanished while uploading: {exc}", hint="run the command again") from exc
    with fh:
        yield from exact_chunks(fh, info.size, info.name)


# -- the model as uploaded ----------------------------------------------------------------------


@dataclass
class ModelUpload:
    """The multipart `file` part and how `args` names the model."""

    file_name: str
    stream: Any
    size: int
    main: str | None  # --model-main as the server sees it (None: --user-cmd runs a command instead)
    dir_name: str | None = None  # --model-dir's basename

    def close(self) -> None:
        self.stream.close()

    def __enter__(self) -> ModelUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def prepare_model(model_main: str | None, model_dir: str | None = None, *, warn: Warn | None = None) -> ModelUpload:
    """Check the model before any request and open what will be uploaded (UsageError if bad).
    `model_main` None: the directory alone (a `--user-cmd` task names no main file)."""
    if model_dir is None:
        if model_main is None:
            raise UsageError("no model: give --model-main FILE or --model-dir DIR")
        if not os.path.isfile(model_main):
            what = "is not a file" if os.path.exists(model_main) else "no such file"
            raise UsageError(
                f"--model-main {model_main}: {what}",
                hint="give the model's main file, or --model-dir DIR with a path inside it",
            )
        name = os.path.basename(model_main)
        fh = open(model_main, "rb")  # noqa: SIM115 - closed by ModelUpload.close
        return ModelUpload(name, fh, os.fstat(fh.fileno()).st_size, name)
    if not os.path.isdir(model_dir):
        raise UsageError(f"--model-dir {model_dir}: no such directory")
    top = os.path.basename(os.path.abspath(model_dir))
    if not top or top in (".", ".."):
        raise UsageError(f"--model-dir {model_dir}: cannot use this directory as a model directory")
    main = None if model_main is None else resolve_main(model_dir, model_main)
    stream = TarStream.from_dir(model_dir, warn=warn)
    if main is not None and f"{top}/{main}" not in {m.info.name for m in stream.members}:
        raise UsageError(
            f"--model-main {model_main} is excluded from the upload",
            hint=f"it matches {', '.join(DEFAULT_EXCLUDES)} or a line of {IGNORE_FILE}",
        )
    return ModelUpload(stream.name, stream, stream.size, main, top)


def resolve_main(model_dir: str, model_main: str) -> str:
    """`--model-main` as a posix path relative to the model directory.

    It is looked up relative to the directory first; a path that exists as given (from the
    current directory, or absolute) is accepted when it lies inside the directory.
    """
    root = os.path.realpath(model_dir)
    candidates = [model_main] if os.path.isabs(model_main) else [os.path.join(model_dir, model_main), model_main]
    for candidate in candidates:
        if not os.path.lexists(candidate):
            continue
        parent = os.path.realpath(os.path.dirname(os.path.abspath(candidate)))
        rel = os.path.relpath(os.path.join(parent, os.path.basename(candidate)), root)
        if rel == os.pardir or rel.startswith(os.pardir + os.sep) or not _inside(os.path.realpath(candidate), root):
            raise UsageError(
                f"--model-main {model_main} is not inside the model directory {model_dir}",
                hint="give the main file's path relative to --model-dir",
            )
        if not os.path.isfile(candidate):
            raise UsageError(f"--model-main {model_main} is not a file")
        return rel.replace(os.sep, "/")
    raise UsageError(
        f"--model-main {model_main} not found in the model directory {model_dir}",
        hint="give the main file's path relative to --model-dir",
    )
