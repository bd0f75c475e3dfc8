"""multipart/form-data bodies for the API's uploads (execsPost, startHPO, installHPOAlgorithm).

Why not httpx's `files=`: it reads files 64 KiB at a time, and the per-chunk cost in
httpx/httpcore/h11 halves the throughput of a GiB upload (benchmarks/bench_upload.py). This body
streams the file in 1 MiB pieces with its exact length known up front (sent as Content-Length),
and notices a file that grows or shrinks while it is sent instead of sending a corrupt body.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

from dlicli.errors import FileChanged

CHUNK_SIZE = 1024 * 1024


class ByteStream(Protocol):
    """What an upload reads: an open binary file, or any seekable byte stream (a TarStream)."""

    def read(self, n: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...

    def tell(self) -> int: ...


def exact_chunks(fh: Any, size: int, name: str, progress: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Exactly `size` bytes of `fh` in CHUNK_SIZE pieces; FileChanged if it has more or less."""
    remaining = size
    while remaining > 0:
        chunk = fh.read(min(CHUNK_SIZE, remaining))
        if not chunk:
            raise FileChanged(f"{name} shrank while uploading (was {size} bytes)")
        remaining -= len(chunk)
        yield chunk
        if progress is not None:
            progress(size - remaining)
    if fh.read(1):
        raise FileChanged(f"{name} grew while uploading (was {size} bytes)")


def _size_of(stream: Any) -> int:
    """The bytes left in a seekable stream (its whole size: bodies always send from 0)."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


class MultipartBody:
    """Text fields, then (optionally) file parts, streamed; `length` is exact up front.

    The first file part is (`name`, `file_name`, `stream`); `extras` are further parts
    (name, file name, stream) — dlicmd.py sends a conda env yaml or package as more parts named
    `file` after the model. Iterable more than once: each pass seeks every file back to 0.
    `progress` (if set) is called with the file bytes sent so far, all parts together.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        name: str | None = None,
        file_name: str | None = None,
        stream: ByteStream | bytes | None = None,
        size: int | None = None,
        content_type: str = "application/octet-stream",
        extras: Sequence[tuple[str, str, ByteStream | bytes]] = (),
    ):
        self.boundary = os.urandom(16).hex()
        self._dash = b"--" + self.boundary.encode()
        head = [
            b"%s\r\nContent-Disposition: form-data; name=%s\r\n\r\n%s\r\n" % (self._dash, _param(k), v.encode())
            for k, v in fields
        ]
        self._files: list[tuple[bytes, ByteStream, int, str]] = []  # (part header, stream, size, name)
        if stream is not None:
            self._add(name or "file", file_name or "file", stream, size, content_type)
        for extra_name, extra_file, extra_stream in extras:
            self._add(extra_name, extra_file, extra_stream, None, "application/octet-stream")
        first = self._files[0] if self._files else None
        self._head = b"".join(head) + (first[0] if first else b"")
        self._tail = (b"\r\n" if first else b"") + self._dash + b"--\r\n"
        self.stream = first[1] if first else None
        self.file_name = first[3] if first else ""
        self.size = sum(f[2] for f in self._files)
        self.length = len(self._head) + self.size + sum(len(f[0]) + 2 for f in self._files[1:]) + len(self._tail)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.progress: Callable[[int], None] | None = None

    def _add(self, name: str, file_name: str, stream: ByteStream | bytes, size: int | None, ctype: str) -> None:
        if isinstance(stream, (bytes, bytearray)):
            stream = io.BytesIO(stream)
        header = b"%s\r\nContent-Disposition: form-data; name=%s; filename=%s\r\nContent-Type: %s\r\n\r\n" % (
            self._dash,
            _param(name),
            _param(file_name),
            ctype.encode(),
        )
        self._files.append((header, stream, _size_of(stream) if size is None else size, file_name))

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Length": str(self.length)}

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        sent = 0
        for i, (header, stream, size, file_name) in enumerate(self._files):
            if i:
                yield b"\r\n" + header
            stream.seek(0)
            done = sent
            report = None if self.progress is None else (lambda n, done=done, p=self.progress: p(done + n))
            yield from exact_chunks(stream, size, file_name, report)
            sent += size
        yield self._tail


def _param(value: str) -> bytes:
    """A quoted multipart header parameter, escaped as browsers (and httpx) do."""
    text = value.replace("\\", "\\\\").replace('"', "%22")
    text = "".join(f"%{ord(c):02X}" if ord(c) < 0x20 and c != "\x1b" else c for c in text)
    return f'"{text}"'.encode()
