"""Safe unpacking of an uploaded model: a tar (plain, gz, bz2, xz) or a single file.

Every member is checked BEFORE anything is written: no absolute path, no `..`, no member under a
symlink, no symlink or hardlink whose target leaves the folder (resolved through the archive's own
links), no device or fifo. The engine's limits (limits.py) hold while the members are read, so a
tar is given up at the first member over them, not after unpacking it all: no more than
`max_tar_members` members, `max_unpacked_bytes` in total, nor `max_unpack_ratio` times the upload
(a gzip bomb). A refusal raises EngineError (400 for what is wrong, 413 for what is too large) and
leaves the destination absent. The metadata a Mac adds to an archive (AppleDouble `._*` files,
`__MACOSX/`) is left out, as WMLA users' tars carry it (IBM's own sample model tars among them), and
so is a tar's own `./` folder: a model tar comes with its top folder (`tf-model/…`) or without.
"""

from __future__ import annotations

import posixpath
import shutil
import stat
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any

from dlicli.engine import EngineError
from dlicli.engine.limits import RATIO_FLOOR, TOO_LARGE, Limits, option_of

TAR_SUFFIXES = (".modeldir.tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar")


def safe_name(upload_name: str) -> str:
    """The upload's own file name, stripped of any directory a client sent with it."""
    name = PurePosixPath(upload_name.replace("\\", "/")).name.strip()
    if not name or name in (".", "..") or "\x00" in name:
        raise EngineError(400, f"invalid upload file name {upload_name!r}")
    return name


def archive_stem(name: str) -> str:
    lower = name.lower()
    for suffix in TAR_SUFFIXES:
        if lower.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    stem = PurePosixPath(name).stem
    return stem or name


def is_tar_name(name: str) -> bool:
    return name.lower().endswith(TAR_SUFFIXES)


def as_limits(limits: Limits | int) -> Limits:
    """The engine's Limits; a bare number caps the upload and what it unpacks to (in-process callers)."""
    if isinstance(limits, Limits):
        return limits
    return Limits(max_upload_bytes=limits, max_unpacked_bytes=limits)


def unpack(
    upload: Path,
    upload_name: str,
    dest: Path,
    limits: Limits | int,
    basename: str | None = None,
    notes: list[tuple[str, str]] | None = None,
) -> Path:
    """Unpack `upload` into `dest/<basename>` and return that folder (the task's cwd).

    A tar whose members share one top folder keeps that folder's name; other tars go under
    `basename` (or the archive's stem). A single file goes into a folder named after its stem.
    `dest` must not exist yet; on any failure it is removed again. What was left out is said in
    `notes` (level, text), for the task's events.
    """
    name, limits = safe_name(upload_name), as_limits(limits)
    if upload.stat().st_size > limits.max_upload_bytes:
        raise too_large(f"upload exceeds the engine's limit of {limits.max_upload_bytes} bytes", "max_upload_bytes")
    try:
        if is_tar_name(name):
            return _unpack_tar(upload, name, dest, limits, basename, notes)
        folder = dest / _component(basename or archive_stem(name))
        folder.mkdir(parents=True)
        shutil.copyfile(upload, folder / name)
        return folder
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise


def _component(name: str) -> str:
    name = safe_name(name)
    if name.startswith("."):
        raise EngineError(400, f"invalid model folder name {name!r}")
    return name


def too_large(message: str, limit: str) -> EngineError:
    return EngineError(TOO_LARGE, f"{message} (server start {option_of(limit)})")


def read_members(archive: tarfile.TarFile, packed: int, limits: Limits) -> list[tarfile.TarInfo]:
    """The archive's members, read one by one and given up at the first over the limits."""
    members: list[tarfile.TarInfo] = []
    total, most = 0, max(RATIO_FLOOR, packed * limits.max_unpack_ratio)
    for member in archive:
        members.append(member)
        total += max(member.size, 0) if member.isfile() else 0
        if len(members) > limits.max_tar_members:
            raise too_large(f"the archive has more than {limits.max_tar_members} members", "max_tar_members")
        if total > limits.max_unpacked_bytes:
            raise too_large(
                f"the archive unpacks to more than the engine's limit of {limits.max_unpacked_bytes} bytes",
                "max_unpacked_bytes",
            )
        if total > most:
            raise too_large(
                f"the archive unpacks to more than {limits.max_unpack_ratio} times its {packed} bytes "
                "(compression ratio)",
                "max_unpack_ratio",
            )
    return members


def _unpack_tar(upload: Path, name: str, dest: Path, limits: Limits, basename: str | None, notes: list | None) -> Path:
    try:
        archive = tarfile.open(upload, mode="r:*")  # noqa: SIM115 - closed by the `with` below
    except (tarfile.TarError, OSError) as exc:
        raise EngineError(400, f"{name} is not a readable tar archive: {exc}") from None
    with archive:
        try:
            members = read_members(archive, upload.stat().st_size, limits)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise EngineError(400, f"{name} is not a readable tar archive: {exc}") from None
        members = _without_mac_metadata([m for m in members if not _is_root(m)], notes)
        if not members:
            raise EngineError(400, f"{name} holds no files")
        paths = check_members(members, limits.max_unpacked_bytes)
        tops = {p.split("/", 1)[0] for p in paths}
        top = next(iter(tops)) if len(tops) == 1 else None
        if top is not None and any(p != top for p in paths):  # one top folder: keep its name
            target, folder = dest, dest / _component(top)
        else:
            folder = dest / _component(basename or archive_stem(name))
            target = folder
        target.mkdir(parents=True, exist_ok=True)
        for member, path in zip(members, paths):
            member.name = path
            if member.islnk():
                member.linkname = _normal(member.linkname)
            member.mode = (member.mode | 0o600) & 0o700 if not member.isdir() else 0o700  # owner only
            member.uid = member.gid = 0
            member.uname = member.gname = ""
        try:
            kwargs: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            archive.extractall(target, members=members, numeric_owner=True, **kwargs)
        except (tarfile.TarError, OSError, EOFError, KeyError) as exc:
            raise EngineError(400, f"could not unpack {name}: {exc}") from None
    if not folder.is_dir():
        raise EngineError(400, f"{name} holds no files")
    return folder


def _without_mac_metadata(members: list[tarfile.TarInfo], notes: list | None) -> list[tarfile.TarInfo]:
    """The members but a Mac's AppleDouble files (`._x`) and `__MACOSX/` folders, noted if any."""

    def is_metadata(member: tarfile.TarInfo) -> bool:
        parts = member.name.replace("\\", "/").split("/")
        return any(p == "__MACOSX" or p.startswith("._") for p in parts)

    left_out = [m for m in members if is_metadata(m)]
    if left_out and notes is not None:
        names = ", ".join(m.name for m in left_out[:5]) + (f", {len(left_out) - 5} more" if len(left_out) > 5 else "")
        notes.append(("Info", f"left out {len(left_out)} macOS metadata entries of the upload: {names}"))
    return [m for m in members if not is_metadata(m)]


def _is_root(member: tarfile.TarInfo) -> bool:
    """The archive's own `.` or `./` folder (`tar -C dir -cf x.tar .` writes one): nothing to unpack."""
    return member.isdir() and all(p in ("", ".") for p in member.name.replace("\\", "/").split("/"))


def _normal(path: str) -> str:
    """A member path made relative and normalised; refuses absolute paths and `..`."""
    if path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":"):
        raise EngineError(400, f"archive member has an absolute path: {path!r}")
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise EngineError(400, f"archive member leaves the model folder: {path!r}")
    if not parts or any("\x00" in p for p in parts):
        raise EngineError(400, f"archive member has an invalid name: {path!r}")
    return "/".join(parts)


def check_members(members: list[tarfile.TarInfo], max_bytes: int) -> list[str]:
    """Validate every member; returns their normalised paths (same order)."""
    paths = [_normal(m.name) for m in members]
    links = {p: m.linkname for p, m in zip(paths, members) if m.issym()}
    total = 0
    for path, member in zip(paths, members):
        if not (member.isfile() or member.isdir() or member.issym() or member.islnk()):
            kind = "device" if (member.ischr() or member.isblk()) else "fifo" if member.isfifo() else "special"
            raise EngineError(400, f"archive member {path!r} is a {kind} file")
        if member.mode & (stat.S_ISUID | stat.S_ISGID):
            member.mode &= 0o777
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent and _through_link(parent, links):
            raise EngineError(400, f"archive member {path!r} lies under a symlink")
        if member.issym():
            target = member.linkname
            if not target or target.startswith("/"):
                raise EngineError(400, f"symlink {path!r} points outside the model folder")
            _resolve(posixpath.join(parent, target).split("/"), links, path)
        elif member.islnk():
            target = _normal(member.linkname)
            _resolve(target.split("/"), links, path)
        total += max(member.size, 0) if member.isfile() else 0
        if total > max_bytes:
            raise too_large(
                f"archive unpacks to more than the engine's limit of {max_bytes} bytes", "max_unpacked_bytes"
            )
    return paths


def _through_link(parent: str, links: dict[str, str]) -> bool:
    parts = parent.split("/")
    return any("/".join(parts[: i + 1]) in links for i in range(len(parts)))


def _resolve(parts: list[str], links: dict[str, str], member: str, depth: int = 0) -> list[str]:
    """Resolve a path inside the archive, following its symlinks; refuses any escape."""
    out: list[str] = []
    for part in parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not out:
                raise EngineError(400, f"link {member!r} points outside the model folder")
            out.pop()
            continue
        out.append(part)
        target = links.get("/".join(out))
        if target is not None:
            if depth > 40 or target.startswith("/"):
                raise EngineError(400, f"link {member!r} points outside the model folder")
            out = _resolve(out[:-1] + target.split("/"), links, member, depth + 1)
    return out
