"""Streaming multipart parsing for `POST /execs`: the part `file` goes straight to a 0600 temp file
under the engine's data dir, capped in size; other parts (`data`) are small and kept in memory.

Starlette's own `request.form()` spools files to the system temp dir without a size cap, hence this.
Imported only by api/ (it needs python-multipart from the `engine` extra).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from dlicli.engine import EngineError
from dlicli.engine.limits import TOO_LARGE, option_of

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

FIELD_LIMIT = 1 << 20  # a form field such as `data` (JSON) is small
FILE_PART = "file"


@dataclass
class ExecForm:
    """What a submission carried: the upload on disk, its client-side name, the other fields, and
    further `file` parts (dlicmd.py sends `--conda-env-yaml`/`--conda-package` files that way)."""

    path: Path | None = None
    filename: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    extras: list[tuple[str, Path]] = field(default_factory=list)  # (client-side name, file)

    def discard(self) -> None:
        for path in [self.path, *(p for _, p in self.extras)]:
            if path is not None:
                path.unlink(missing_ok=True)


def field_too_large(what: str) -> EngineError:
    """413: a JSON body or form field over FIELD_LIMIT, a fixed limit (no option: only a big
    ExperimentGridSearch comes near it, and docs/local-engine.md says to split it)."""
    return EngineError(TOO_LARGE, f"{what} exceeds {FIELD_LIMIT} bytes (1 MiB), the engine's limit for JSON")


def over_limit(max_bytes: int) -> EngineError:
    """413: the upload is larger than --max-upload-bytes."""
    message = f"upload exceeds the engine's limit of {max_bytes} bytes (server start {option_of('max_upload_bytes')})"
    return EngineError(TOO_LARGE, message)


class _Collector:
    """python-multipart callbacks; raises EngineError(400) as soon as a limit is crossed."""

    def __init__(self, spool_dir: Path, max_bytes: int, form: ExecForm):
        self.spool_dir, self.max_bytes, self.form = spool_dir, max_bytes, form
        self.header_name = self.header_value = b""
        self.disposition = b""
        self.name = ""
        self.handle: BinaryIO | None = None
        self.buffer = bytearray()
        self.size = self.file_bytes = 0

    def on_part_begin(self) -> None:
        self.disposition, self.name, self.buffer, self.size = b"", "", bytearray(), 0

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if self.header_name.strip().lower() == b"content-disposition":
            self.disposition = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.disposition)
        self.name = options.get(b"name", b"").decode("utf-8", "replace")
        if self.name != FILE_PART:
            return
        filename = options.get(b"filename", b"").decode("utf-8", "replace")
        fd, name = tempfile.mkstemp(dir=self.spool_dir, prefix="upload-", suffix=".part")  # mode 0600
        if self.form.path is None:
            self.form.path, self.form.filename = Path(name), filename
        else:
            self.form.extras.append((filename, Path(name)))
        self.handle = os.fdopen(fd, "wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.size += end - start
        if self.handle is not None:
            self.file_bytes += end - start  # all file parts share the limit
            if self.file_bytes > self.max_bytes:
                raise over_limit(self.max_bytes)
            self.handle.write(data[start:end])
        else:
            if self.size > FIELD_LIMIT:
                raise field_too_large(f"form field {self.name!r}")
            self.buffer += data[start:end]

    def on_part_end(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None
        elif self.name:
            self.form.fields[self.name] = self.buffer.decode("utf-8", "replace")

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }


async def read_exec_form(
    request: Request, spool_dir: Path, max_bytes: int, *, file_required: bool = True, what: str = "POST /execs"
) -> ExecForm:
    """Parse a multipart/form-data body chunk by chunk; the caller discards the form when done.
    `what` names the operation in errors (POST /hypersearch reads its form with this too)."""
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not options.get(b"boundary"):
        raise EngineError(
            400, f"{what} needs a multipart/form-data body" + (" with the part file" if file_required else "")
        )
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > max_bytes + FIELD_LIMIT:
        raise over_limit(max_bytes)
    spool_dir.mkdir(parents=True, exist_ok=True)
    form = ExecForm()
    collector = _Collector(spool_dir, max_bytes, form)
    parser = MultipartParser(options[b"boundary"], collector.callbacks())
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(parser.write, chunk)  # writes the file part off the event loop
        parser.finalize()
        if collector.handle is not None:
            raise EngineError(400, "the multipart body ended inside the part file")
        if form.path is None and file_required:
            raise EngineError(400, "the form has no part named file (the model file or .modelDir.tar)")
    except BaseException as exc:
        collector.close()
        form.discard()
        if isinstance(exc, FormParserError):
            raise EngineError(400, "the multipart body is malformed") from None
        raise
    return form
