#!/usr/bin/env python3
"""Benchmark: `dlicli exec start --model-dir` upload against `curl -F file=@ready.tar`.

Builds a model directory of --mib MiB of random files in a temp dir, starts a local sink HTTP
server on 127.0.0.1 that reads and discards request bodies (answering {"id": "x"}), then times,
alternately and --runs times each:

  (a) curl -sS -F file=@ready.tar URL       (the tar made beforehand with tarfile, not timed)
  (b) dlicli exec start --framework PyTorch --model-main main.py --model-dir DIR   (subprocess)

and prints the medians, the ratio dlicli/curl and the peak RSS of each process (per child, from
os.wait4). Aims: ratio <= 1.5, dlicli peak RSS <= 150 MB.

    python benchmarks/bench_upload.py --mib 256
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API = "/platform/rest/deeplearning/v1"


class Sink(BaseHTTPRequestHandler):
    """Reads every body to the end and throws it away; remembers how many bytes came."""

    protocol_version = "HTTP/1.1"  # also answers `Expect: 100-continue`, as curl sends for big uploads
    received: list[int] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        buf = memoryview(bytearray(1 << 20))
        total = 0
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            while size := int(self.rfile.readline().split(b";")[0], 16):
                total += self._drain(buf, size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            total = self._drain(buf, int(self.headers.get("content-length") or 0))
        Sink.received.append(total)
        payload = json.dumps({"id": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drain(self, buf: memoryview, length: int) -> int:
        done = 0
        while done < length:
            n = self.rfile.readinto(buf[: min(len(buf), length - done)])
            if not n:
                break
            done += n
        return done


def make_model(root: str, mib: int) -> None:
    """`mib` MiB of random data: mostly 32 MiB files, plus many small ones, in nested dirs."""
    os.makedirs(os.path.join(root, "data", "shards"))
    with open(os.path.join(root, "main.py"), "w") as fh:
        fh.write("print('training')\n")
    left, i = mib * 1024 * 1024, 0
    while left > 0:
        size = min(left, 32 << 20) if i % 4 else min(left, 1 + (i * 7919) % (256 << 10))
        path = os.path.join(root, "data" if i % 2 else "data/shards", f"part-{i:05d}.bin")
        with open(path, "wb") as fh:
            written = 0
            while written < size:
                n = min(1 << 20, size - written)
                fh.write(os.urandom(n))
                written += n
        left -= size
        i += 1


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run cmd; return (seconds, peak RSS in MB) of that one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    _out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return elapsed, usage.ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mib", type=int, default=1024, help="size of the model directory in MiB (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each command (default 3)")
    opts = parser.parse_args()
    curl = shutil.which("curl")
    if not curl:
        raise SystemExit("curl is not installed")
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        model = os.path.join(tmp, "model")
        make_model(model, opts.mib)
        ready = os.path.join(tmp, "ready.tar")
        with tarfile.open(ready, "w") as tf:
            tf.add(model, arcname="model")
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        root = f"http://127.0.0.1:{httpd.server_address[1]}"
        env = {
            **os.environ,
            "DLICLI_URL": root,
            "DLICLI_TOKEN": "bench-token",
            "DLICLI_CONFIG_DIR": os.path.join(tmp, "cfg"),
            "DLICLI_DATA_DIR": os.path.join(tmp, "data"),
        }
        dlicli = shutil.which("dlicli", path=os.path.dirname(sys.executable))
        dlicli_cmd = [dlicli] if dlicli else [sys.executable, "-m", "dlicli"]
        commands = {
            "curl": [curl, "-sS", "-o", os.devnull, "-F", f"file=@{ready}", root + API + "/execs"],
            "dlicli": [
                *dlicli_cmd,
                "exec",
                "start",
                "--framework",
                "PyTorch",
                "--model-main",
                "main.py",
                "--model-dir",
                model,
            ],
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        print(
            f"model dir: {opts.mib} MiB in {sum(len(f) for _, _, f in os.walk(model))} files; "
            f"tar {os.path.getsize(ready) / 2**20:.1f} MiB"
        )
        for run in range(opts.runs):
            for name, cmd in commands.items():
                secs, rss = timed(cmd, env)
                results[name].append((secs, rss))
                print(
                    f"run {run + 1} {name:6s} {secs:7.2f} s  {opts.mib / secs:8.1f} MiB/s  "
                    f"peak RSS {rss:6.1f} MB  body {Sink.received[-1] / 2**20:.1f} MiB"
                )
        httpd.shutdown()
    med = {name: statistics.median(s for s, _ in runs) for name, runs in results.items()}
    peak = {name: max(r for _, r in runs) for name, runs in results.items()}
    print(f"median curl   {med['curl']:.2f} s   peak RSS {peak['curl']:.1f} MB")
    print(f"median dlicli {med['dlicli']:.2f} s   peak RSS {peak['dlicli']:.1f} MB")
    ratio = med["dlicli"] / med["curl"]
    print(f"ratio dlicli/curl {ratio:.2f} (aim <= 1.5); dlicli peak RSS {peak['dlicli']:.1f} MB (aim <= 150)")


if __name__ == "__main__":
    main()
