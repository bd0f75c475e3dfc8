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
    """Text fields, then (optionally) one file part, streamed; `length` is exact up front.

    Iterable more than once: each pass seeks the file back to 0. `progress` (if set) is
    called with the file bytes sent so far.
    """

    def __init__(
        self,
        fields: Sequence[tuple[str, str]],
        name: str | None = None,
        file_name: str | None = None,
        stream: ByteStream | bytes | None = None,
        size: int | None = None,
        content_type: str = "application/octet-stream",
    ):
        self.boundary = os.urandom(16).hex()
        dash = b"--" + self.boundary.encode()
        head = [
            b"%s\r\nContent-Disposition: form-data; name=%s\r\n\r\n%s\r\n" % (dash, _param(k), v.encode())
            for k, v in fields
        ]
        if isinstance(stream, (bytes, bytearray)):
            stream = io.BytesIO(stream)
        if stream is not None:
            if size is None:
                size = _size_of(stream)
            head.append(
                b"%s\r\nContent-Disposition: form-data; name=%s; filename=%s\r\nContent-Type: %s\r\n\r\n"
                % (dash, _param(name or "file"), _param(file_name or "file"), content_type.encode())
            )
            tail = b"\r\n" + dash + b"--\r\n"
        else:
            size = 0
            tail = dash + b"--\r\n"
        self._head, self._tail = b"".join(head), tail
        self.stream, self.size, self.file_name = stream, size, file_name or ""
        self.length = len(self._head) + size + len(self._tail)
        self.content_type = f"multipart/form-data; boundary={self.boundary}"
        self.progress: Callable[[int], None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Content-Type": self.content_type, "Content-Length": str(self.length)}

    def __iter__(self) -> Iterator[bytes]:
        yield self._head
        if self.stream is not None:
            self.stream.seek(0)
            yield from exact_chunks(self.stream, self.size, self.file_name, self.progress)
        yield self._tail


def _param(value: str) -> bytes:
    """A quoted multipart header parameter, escaped as browsers (and httpx) do."""
    text = value.replace("\\", "\\\\").replace('"', "%22")
    text = "".join(f"%{ord(c):02X}" if ord(c) < 0x20 and c != "\x1b" else c for c in text)
    return f'"{text}"'.encode()
