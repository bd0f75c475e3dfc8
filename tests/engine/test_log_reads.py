"""Reading a task's log fast gives what reading it whole gave: a tail read backwards from the end,
a plain read without per-line work, and the CLI's parse of a stamped answer."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest

from dlicli import logstreams
from dlicli.engine.tasks import logtimes

TEXTS = [
    b"",
    b"\n",
    b"\n\n\n",
    b"one",
    b"one\n",
    b"one\ntwo",
    b"one\ntwo\n",
    b"a\r\nb\rc\n\nd\n",
    "é\nünï\ncödé\n".encode(),
    b"x" * 50 + b"\n" + b"y" * 20 + b"\n" + b"z" * 33,
]


def lines_of(data: bytes) -> list[bytes]:
    pieces = data.split(b"\n")
    return [p + b"\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])


@pytest.mark.parametrize("data", TEXTS)
@pytest.mark.parametrize("block", [1, 2, 3, 7, 1 << 16])
def test_the_tail_read_backwards_is_the_last_lines(data, block):
    whole = lines_of(data)
    for count in range(len(whole) + 3):
        offset, got = logtimes._tail(io.BytesIO(data), count, block=block)
        expected = b"".join(whole[max(0, len(whole) - count) :] if count else [])
        assert got == expected, (data, count, block)
        assert offset == len(data) - len(expected)


def write_log(path: Path, lines: int) -> None:
    """A log of `lines` lines and a sidecar of samples, one per 1000 lines, as the Sampler writes."""
    with open(path, "wb") as log, open(logtimes.times_file(path), "w", encoding="ascii") as times:
        for i in range(lines):
            log.write(f"line {i} {'x' * (i % 97)}\n".encode())
            if i % 1000 == 999:
                times.write(f"{1.7e9 + i / 1000:.3f} {log.tell()}\n")


@pytest.mark.parametrize("count", [0, 1, 3, 999, 1000, 1001, 4999, 5000, 7000])
def test_a_tail_has_the_lines_and_times_of_the_whole_read(tmp_path, count):
    log = tmp_path / "stdout.log"
    write_log(log, 5000)  # ~270 kB: the tail crosses several 64 KiB blocks
    whole = logtimes.read_lines(log)
    assert len(whole) == 5000
    assert logtimes.read_lines(log, count) == (whole[max(0, len(whole) - count) :] if count else [])


def test_a_plain_read_is_what_rendering_every_line_gives(tmp_path):
    files = []
    for rank, lines in enumerate([2500, 0, 3, 1]):
        log = tmp_path / f"w{rank}.log"
        write_log(log, lines)
        files.append((f"--- worker {rank} stdout ---\n" if rank else "", log))
    files.append(("--- worker 9 stdout ---\n", tmp_path / "missing.log"))
    (tmp_path / "w3.log").write_bytes(b"no end \xff\xfe")  # undecodable bytes, no final newline
    parts = [(head, logtimes.read_lines(log)) for head, log in files]
    assert logtimes.read_plain(files) == logtimes.render(parts, logtimes.LogQuery())
    assert logtimes.read_plain(files).endswith("--- worker 3 stdout ---\nno end \ufffd\ufffd")


def test_the_client_parses_each_lines_stamp_and_leaves_unstamped_lines_whole():
    text = (
        "2026-12-02T10:00:00Z first\n"
        "2026-12-02T10:00:00Z second\n"
        "not stamped\n"
        "2026-12-02T10:00:01.5Z third \n"
        "2026-12-02T10:00:00Z"
    )
    got = logstreams.parse(text, "stdout", timed=True)
    ten = datetime(2026, 12, 2, 10, tzinfo=timezone.utc).timestamp()
    assert [(line.text, line.time) for line in got] == [
        ("first\n", ten),
        ("second\n", ten),
        ("not stamped\n", None),
        ("third \n", ten + 1.5),
        ("2026-12-02T10:00:00Z", None),  # a stamp needs its space
    ]
    assert logstreams.parse(text, "stdout", timed=False)[0].text.startswith("2026-")
