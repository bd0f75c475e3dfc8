"""Safe unpacking: every escape is refused with 400 and nothing is written, outside or inside."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from dlicli.engine import EngineError
from dlicli.engine.limits import Limits
from dlicli.engine.tasks.unpack import unpack
from tests.engine.conftest import ADMIN


def make_tar(path: Path, members: list[tuple], mode: str = "w") -> Path:
    """members: (name, kind, payload) with kind file|dir|sym|lnk|chr|fifo."""
    with tarfile.open(path, mode) as archive:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            data = None
            if kind == "file":
                data = payload.encode() if isinstance(payload, str) else payload
                info.size = len(data)
            elif kind == "dir":
                info.type, info.mode = tarfile.DIRTYPE, 0o755
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "lnk":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "chr":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def files_under(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


def test_model_dir_tar_keeps_its_top_folder(tmp_path):
    tar = make_tar(
        tmp_path / "mnist.modelDir.tar",
        [
            ("mnist", "dir", None),
            ("mnist/main.py", "file", "print(1)"),
            ("mnist/pkg/util.py", "file", "x = 1"),
            ("mnist/link.py", "sym", "pkg/util.py"),
            ("mnist/hard.py", "lnk", "mnist/main.py"),
        ],
    )
    folder = unpack(tar, "mnist.modelDir.tar", tmp_path / "out" / "_submitted_code", 1 << 20)
    assert folder == tmp_path / "out" / "_submitted_code" / "mnist"
    assert (folder / "main.py").read_text() == "print(1)"
    assert (folder / "link.py").read_text() == "x = 1"
    assert (folder / "hard.py").read_text() == "print(1)"


def test_gzip_tar_without_single_top_goes_under_its_stem(tmp_path):
    tar = make_tar(tmp_path / "model.tar.gz", [("main.py", "file", "a"), ("data.txt", "file", "b")], "w:gz")
    folder = unpack(tar, "model.tar.gz", tmp_path / "code", 1 << 20)
    assert folder == tmp_path / "code" / "model"
    assert files_under(folder) == ["data.txt", "main.py"]


def test_single_file_goes_into_a_folder_named_after_its_stem(tmp_path):
    src = tmp_path / "train.py"
    src.write_text("print('hi')")
    folder = unpack(src, "../../evil/train.py", tmp_path / "code", 1 << 20)
    assert folder == tmp_path / "code" / "train"
    assert (folder / "train.py").read_text() == "print('hi')"


UNSAFE = {
    "dotdot": [("m", "dir", None), ("m/../../escaped.txt", "file", "x")],
    "absolute": [("/tmp/escaped-abs.txt", "file", "x")],
    "symlink_out": [("m", "dir", None), ("m/out", "sym", "../../..")],
    "symlink_absolute": [("m/out", "sym", "/etc")],
    "symlink_then_write_through": [("m/out", "sym", "."), ("m/out/f.txt", "file", "x")],
    "symlink_chain_escape": [("p/q/deep", "sym", "../../x"), ("x", "dir", None), ("p/q/deep/u", "sym", "../../..")],
    "hardlink_out": [("m/h", "lnk", "../outside.txt")],
    "hardlink_absolute": [("m/h", "lnk", "/etc/passwd")],
    "device": [("m/null", "chr", None)],
    "fifo": [("m/pipe", "fifo", None)],
    "too_big": [("m/a.bin", "file", b"0" * 600), ("m/b.bin", "file", b"0" * 600)],
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_unsafe_archives_are_refused_and_write_nothing(tmp_path, case):
    tar = make_tar(tmp_path / "evil.tar", [("m/ok.py", "file", "fine")] + UNSAFE[case])
    dest = tmp_path / "work" / "task" / "_submitted_code"
    dest.parent.mkdir(parents=True)
    before = files_under(tmp_path)
    with pytest.raises(EngineError) as info:
        unpack(tar, "evil.tar", dest, Limits(max_unpacked_bytes=1000))  # the upload itself is not capped
    assert info.value.status == (413 if case == "too_big" else 400), info.value.message
    assert files_under(tmp_path) == before  # nothing outside, nothing left inside
    assert not Path("/tmp/escaped-abs.txt").exists()


def test_a_file_larger_than_the_cap_is_refused(tmp_path):
    src = tmp_path / "big.py"
    src.write_bytes(b"#" * 2048)
    with pytest.raises(EngineError) as info:
        unpack(src, "big.py", tmp_path / "code", 1024)
    assert info.value.status == 413 and not (tmp_path / "code").exists()


def test_a_corrupt_tar_is_a_400(tmp_path):
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(EngineError) as info:
        unpack(bad, "x.tar.gz", tmp_path / "code", 1 << 20)
    assert info.value.status == 400 and not (tmp_path / "code").exists()


def test_submit_refuses_an_unsafe_upload_and_leaves_no_task(engine, tmp_path):
    tar = make_tar(
        tmp_path / "evil.modelDir.tar", [("m/main.py", "file", "print(1)"), ("m/../../../escaped.txt", "file", "x")]
    )
    with pytest.raises(EngineError) as info:
        engine.execs.submit(ADMIN, "--exec-start python --model-main main.py", "evil.modelDir.tar", tar, None)
    assert info.value.status == 400
    assert list(engine.tasks_root.iterdir()) == []
    assert engine.execs.list_tasks(ADMIN) == []
    assert not (engine.data_dir.parent / "escaped.txt").exists()


def test_submit_refuses_a_model_main_outside_the_model(engine, tmp_path):
    tar = make_tar(tmp_path / "m.modelDir.tar", [("m/main.py", "file", "print(1)")])
    for main in ("../../../etc/passwd", "/etc/passwd", "missing.py"):
        with pytest.raises(EngineError) as info:
            engine.execs.submit(ADMIN, f"--exec-start python --model-main {main}", "m.modelDir.tar", tar, None)
        assert info.value.status == 400, main
    assert list(engine.tasks_root.iterdir()) == []


def test_mac_metadata_is_left_out_and_noted(tmp_path):
    # the shape of a tar made on a Mac (IBM's sample tf-model.modelDir.tar has a top-level ._tf-model)
    tar = make_tar(
        tmp_path / "tf-model.modelDir.tar",
        [
            ("._tf-model", "file", b"\x00\x05\x16\x07AppleDouble"),
            ("tf-model", "dir", None),
            ("tf-model/main.py", "file", "print(1)"),
            ("tf-model/._main.py", "file", b"\x00\x05\x16\x07"),
            ("__MACOSX/tf-model/._main.py", "file", b"\x00\x05\x16\x07"),
        ],
    )
    notes: list[tuple[str, str]] = []
    folder = unpack(tar, "tf-model.modelDir.tar", tmp_path / "code", 1 << 20, notes=notes)
    assert folder == tmp_path / "code" / "tf-model"  # the one real top folder keeps its name
    assert files_under(tmp_path / "code") == ["tf-model", "tf-model/main.py"]
    assert notes == [
        (
            "Info",
            "left out 3 macOS metadata entries of the upload: ._tf-model, tf-model/._main.py, "
            "__MACOSX/tf-model/._main.py",
        )
    ]


def test_a_tar_of_nothing_but_mac_metadata_holds_no_files(tmp_path):
    tar = make_tar(tmp_path / "m.tar", [("._main.py", "file", "x"), ("__MACOSX/", "dir", None)])
    with pytest.raises(EngineError) as info:
        unpack(tar, "m.tar", tmp_path / "code", 1 << 20)
    assert info.value.status == 400 and "holds no files" in info.value.message
    assert not (tmp_path / "code").exists()


@pytest.mark.parametrize("mode", ["w", "w:gz"])
@pytest.mark.parametrize(
    "members, folder, files",
    [
        (  # `tar -C tf-model -czf tf-model.modelDir.tar .`: no top folder, a `./` entry; named after --model-dir
            [
                ("./", "dir", None),
                ("./main.py", "file", "a"),
                ("./._main.py", "file", "x"),
                ("./lib/u.py", "file", "b"),
            ],
            "given",
            ["lib", "lib/u.py", "main.py"],
        ),
        (  # `tar -czf x.modelDir.tar ./tf-model`: the top folder keeps its name
            [(".", "dir", None), ("./tf-model", "dir", None), ("./tf-model/main.py", "file", "a")],
            "tf-model",
            ["main.py"],
        ),
    ],
)
def test_a_ready_model_tar_with_or_without_its_top_folder(tmp_path, mode, members, folder, files):
    tar = make_tar(tmp_path / "ready.modelDir.tar", members, mode)
    notes: list[tuple[str, str]] = []
    got = unpack(tar, "ready.modelDir.tar", tmp_path / "code", 1 << 20, basename="given", notes=notes)
    assert got == tmp_path / "code" / folder
    assert files_under(got) == files
