"""dlicli.modeldir called directly: the streamed tar is byte-for-byte what tarfile writes."""

from __future__ import annotations

import io
import os
import tarfile

import pytest

from dlicli import modeldir, submitargs
from dlicli.client.multipart import MultipartBody
from dlicli.errors import UsageError
from dlicli.modeldir import ModelDirChanged, TarStream


def make_tree(root, files: dict[str, bytes | str]) -> str:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(root)


def reference_tar(stream: TarStream) -> bytes:
    """What tarfile.open(mode="w") writes for the same members."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT, encoding="utf-8") as tf:
        for m in stream.members:
            if m.source is None:
                tf.addfile(m.info)
            else:
                with open(m.source, "rb") as fh:
                    tf.addfile(m.info, fh)
    return buf.getvalue()


def read_in(stream, size: int) -> bytes:
    return b"".join(iter(lambda: stream.read(size), b""))


@pytest.mark.parametrize(
    "files",
    [
        {"empty": b""},
        {"a511": b"x" * 511, "b512": b"y" * 512, "c513": b"z" * 513},
        {"d/" + "n" * 120 + ".py": "long name", "e/" + "deep/" * 30 + "f.txt": "deep"},
        {"ünïcødé/日本語.py": "print('hi')\n", "emoji-🙂.txt": b"\x00\x01"},
        {"big.bin": os.urandom(3 * modeldir.CHUNK_SIZE + 17)},
    ],
    ids=["empty-file", "511-512-513", "long-names", "unicode", "multi-chunk"],
)
def test_stream_equals_tarfile_and_size_is_exact(tmp_path, files):
    root = make_tree(tmp_path / "model", files)
    stream = TarStream.from_dir(root)
    data = read_in(stream, 1000)  # odd read size: crosses every boundary
    assert len(data) == stream.size == len(stream)
    assert data == reference_tar(stream)
    assert stream.size % tarfile.RECORDSIZE == 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        names = tf.getnames()
        for rel, content in files.items():
            expected = content.encode() if isinstance(content, str) else content
            assert tf.extractfile(f"model/{rel}").read() == expected
    assert names[0] == "model"
    assert all(n == "model" or n.startswith("model/") for n in names)


def test_sizes_of_small_files_are_exact(tmp_path):
    # top dir header (512) + per file: header 512 + data rounded up to 512; end 1024; record padding
    for size, data_blocks in ((0, 0), (511, 1), (512, 1), (513, 2)):
        root = tmp_path / f"m{size}"
        make_tree(root, {"f": b"a" * size})
        stream = TarStream.from_dir(str(root))
        used = 512 + 512 + data_blocks * 512 + 1024
        assert stream.members[1].end == 1024 + data_blocks * 512
        assert stream.size == used + (-used % tarfile.RECORDSIZE) == 10240
        assert len(stream.read()) == stream.size


def test_exclusions_and_dliignore_with_nested_dirs(tmp_path):
    root = make_tree(
        tmp_path / "proj",
        {
            "main.py": "",
            "pkg/mod.py": "",
            "pkg/mod.pyc": "",
            "pkg/__pycache__/x.cpython-311.pyc": "",
            ".git/config": "",
            "pkg/.git/HEAD": "",
            ".DS_Store": "",
            "pkg/._mod.py": "",
            ".dliignore": "# comment\ndata/\n*.ckpt\n!keep.ckpt\n/top.log\n",
            "data/big.bin": "x",
            "pkg/data/nested.bin": "y",
            "m.ckpt": "",
            "pkg/keep.ckpt": "",
            "top.log": "",
            "pkg/top.log": "",
        },
    )
    names = [m.info.name for m in TarStream.from_dir(root).members]
    assert names == [
        "proj",
        "proj/.dliignore",
        "proj/main.py",
        "proj/pkg",
        "proj/pkg/keep.ckpt",
        "proj/pkg/mod.py",
        "proj/pkg/top.log",
    ]


def test_symlinks_inside_are_links_and_outside_are_skipped(tmp_path):
    root = tmp_path / "m"
    make_tree(root, {"main.py": "x", "lib/util.py": "u"})
    (tmp_path / "secret.txt").write_text("s")
    os.symlink("../main.py", root / "lib" / "main_link.py")
    os.symlink(str(root / "lib"), root / "libdir")  # absolute, but inside: stored relative
    os.symlink(str(tmp_path / "secret.txt"), root / "outside.txt")
    os.symlink("nowhere", root / "dangling")
    warnings: list[str] = []
    stream = TarStream.from_dir(str(root), warn=warnings.append)
    with tarfile.open(fileobj=io.BytesIO(stream.read())) as tf:
        links = {m.name: m.linkname for m in tf.getmembers() if m.issym()}
        assert "m/outside.txt" not in tf.getnames() and "m/dangling" not in tf.getnames()
    assert links == {"m/lib/main_link.py": "../main.py", "m/libdir": "lib"}
    assert len(warnings) == 2 and all("outside the model directory" in w for w in warnings)


def test_seek_protocol_httpx_uses(tmp_path):
    stream = TarStream.from_dir(make_tree(tmp_path / "m", {"a": "1" * 3000}))
    assert stream.tell() == 0
    assert stream.seek(0, os.SEEK_END) == stream.size and stream.read(10) == b""
    assert stream.seek(0) == 0
    first = stream.read(700)  # a short read, like a raw stream: the header block only
    assert len(first) == 512 and stream.tell() == 512 and stream.seek(0, os.SEEK_CUR) == 512
    with pytest.raises(io.UnsupportedOperation):
        stream.seek(5)
    stream.seek(0)
    assert stream.read(700) == first and stream.read(3) == b"m/a"  # the next header
    assert len(first) + 3 + len(stream.read()) == stream.size


def test_file_that_grows_or_shrinks_while_streaming_raises(tmp_path):
    root = tmp_path / "m"
    make_tree(root, {"a.bin": b"a" * 5000, "b.bin": b"b" * 100})
    stream = TarStream.from_dir(str(root))
    (root / "a.bin").write_bytes(b"a" * 10)
    with pytest.raises(ModelDirChanged, match=r"a\.bin shrank"):
        stream.read()
    stream = TarStream.from_dir(str(root))
    (root / "b.bin").write_bytes(b"b" * 200)
    stream.seek(0)
    with pytest.raises(ModelDirChanged, match=r"b\.bin grew"):
        read_in(stream, 4096)
    stream = TarStream.from_dir(str(root))
    os.unlink(root / "a.bin")
    with pytest.raises(ModelDirChanged, match="vanished"):
        stream.read()


def test_multipart_body_parses_has_exact_length_and_reports_progress(tmp_path):
    from email.parser import BytesParser
    from email.policy import HTTP

    stream = TarStream.from_dir(make_tree(tmp_path / "m", {"a": os.urandom(3 * modeldir.CHUNK_SIZE)}))
    body = MultipartBody([("data", '{"dataSource": []}')], "file", 'we"ird\\name\n.tar', stream, stream.size)
    seen: list[int] = []
    body.progress = seen.append
    raw = b"".join(body)
    assert len(raw) == body.length and b"".join(body) == raw  # a second pass is identical
    assert seen[-1] == stream.size and seen == sorted(seen[: len(seen) // 2]) * 2
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + body.content_type.encode() + b"\r\n\r\n" + raw)
    data, file = msg.iter_parts()
    assert data.get_param("name", header="content-disposition") == "data"
    assert data.get_payload(decode=True) == b'{"dataSource": []}'
    assert file.get_content_type() == "application/octet-stream"
    assert 'filename="we%22ird\\\\name%0A.tar"' in file["content-disposition"]
    stream.seek(0)
    assert file.get_payload(decode=True) == stream.read()


def test_multipart_body_refuses_a_file_that_changed(tmp_path):
    path = tmp_path / "train.py"
    path.write_bytes(b"x" * 100)
    with open(path, "rb") as fh:
        body = MultipartBody([], "file", "train.py", fh, 100)
        path.write_bytes(b"x" * 101)
        with pytest.raises(ModelDirChanged, match=r"train\.py grew"):
            b"".join(body)
        path.write_bytes(b"x" * 10)
        with pytest.raises(ModelDirChanged, match=r"train\.py shrank"):
            b"".join(body)


def test_resolve_main(tmp_path, monkeypatch):
    root = make_tree(tmp_path / "m", {"train.py": "", "sub/run.py": "", "sub/dir/x": ""})
    (tmp_path / "other.py").write_text("")
    monkeypatch.chdir(tmp_path)
    assert modeldir.resolve_main(root, "train.py") == "train.py"
    assert modeldir.resolve_main(root, "sub/run.py") == "sub/run.py"
    assert modeldir.resolve_main("m", "m/sub/run.py") == "sub/run.py"  # as given, from the cwd
    assert modeldir.resolve_main(root, str(tmp_path / "m" / "train.py")) == "train.py"
    with pytest.raises(UsageError, match="not inside"):
        modeldir.resolve_main(root, "../other.py")
    with pytest.raises(UsageError, match="not inside"):
        modeldir.resolve_main(root, str(tmp_path / "other.py"))
    with pytest.raises(UsageError, match="not a file"):
        modeldir.resolve_main(root, "sub/dir")
    with pytest.raises(UsageError, match="not found"):
        modeldir.resolve_main(root, "missing.py")


def test_prepare_model_refuses_an_excluded_main(tmp_path):
    root = make_tree(tmp_path / "m", {"main.py": "", ".dliignore": "main.py\n"})
    with pytest.raises(UsageError, match="excluded"):
        modeldir.prepare_model("main.py", root)


def test_prepare_model_single_file(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("print(1)\n")
    with modeldir.prepare_model(str(path)) as upload:
        assert (upload.file_name, upload.main, upload.dir_name, upload.size) == ("train.py", "train.py", None, 9)
        assert upload.stream.read() == b"print(1)\n"
    assert upload.stream.closed


def test_exec_start_args_quotes_each_token():
    args = submitargs.exec_start_args(
        "PyTorch", "main file.py", "m", [("--numWorker", 2), ("--appName", None)], ["--name", "a b", "--x", "a&b#c+d"]
    )
    assert (
        args == "--exec-start PyTorch --model-main 'main file.py' --model-dir m --numWorker 2 "
        "-- --name 'a b' --x 'a&b#c+d'"
    )


def test_merge_data_sources():
    merged = submitargs.merge_data_sources(['{"type": "fs"}', '[{"type": "connection"}, {"type": "data_asset"}]'])
    assert merged == [{"type": "fs"}, {"type": "connection"}, {"type": "data_asset"}]
    with pytest.raises(UsageError, match="--data-source is not valid JSON"):
        submitargs.merge_data_sources(["{nope"])
    with pytest.raises(UsageError, match="object or a list of objects"):
        submitargs.merge_data_sources(["[1, 2]"])
