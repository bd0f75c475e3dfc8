"""WMLA args as `exec start`, `hpo start` and the `dlicmd` shim send them, against the recording
server: the model's args after a `--` in `args`, WMLA options dlicli has no flag for
(`--wmla-args`), ready `*.modelDir.tar` uploads (`--model-file`), and extra file parts
(`--conda-env-yaml`, `--conda-package`) laid out as dlicmd.py lays them out."""

from __future__ import annotations

import io
import json
import tarfile
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qs

import pytest
import yaml

from tests.outcome import error_line

CREATED = {"id": "exec-42", "state": "SUBMITTED"}


def file_parts(req) -> list[tuple[str, str | None, bytes]]:
    """Every multipart part in order, as (name, filename, data): several may be named `file`."""
    ctype = req.headers["content-type"]
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + req.body)
    return [
        (
            part.get_param("name", header="content-disposition"),
            part.get_param("filename", header="content-disposition"),
            part.get_payload(decode=True) or b"",
        )
        for part in msg.iter_parts()
    ]


def sent_args(server) -> str:
    assert len(server.requests) == 1, server.requests
    return parse_qs(server.last.raw_query)["args"][0]


def model_tar(path, top: str | None = "tf-model", mode: str = "w:gz", mac: bool = True, root_entry: bool = False):
    """A ready model tar as IBM publishes them: `tf-model/…` (gzip), with a Mac's `._*` entries."""
    prefix = f"{top}/" if top else ""
    members = {f"{prefix}main.py": b"print('hi')\n", f"{prefix}lib/util.py": b"x = 1\n"}
    if mac:
        members[f"._{top or 'main.py'}"] = b"\x00\x05\x16\x07"
        members[f"{prefix}._main.py"] = b"\x00\x05\x16\x07"
    with tarfile.open(path, mode) as archive:
        for name in ["."] * root_entry + ([top] if top else []):
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


@pytest.fixture
def main_py(tmp_path):
    path = tmp_path / "train.py"
    path.write_text("import sys; print(sys.argv)\n")
    return path


# -- exec start: `--` and --wmla-args ----------------------------------------------------------


def test_model_args_spelled_like_wmla_options_go_after_a_double_dash(env_server, run, main_py):
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "exec", "start", "--framework", "PyTorch", "--model-main", str(main_py),
        "--wmla-args", "--workerMemory 4g --msd-env A=1",
        "--wmla-args", "--msd-env B=2",
        "--", "--appName", "foo", "--numWorker", "x", "--", "it's",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == (
        "--exec-start PyTorch --model-main train.py --workerMemory 4g --msd-env A=1 --msd-env B=2 "
        "-- --appName foo --numWorker x -- 'it'\"'\"'s'"
    )


BAD_WMLA_ARGS = {
    "bad value": ("--numPs x", "--wmla-args: option --numPs must be a whole number, not 'x'"),
    "missing value": ("--workerMemory", "--wmla-args: option --workerMemory needs a value"),
    "a model arg": ("--workerMemory 4g --lr 0.1", "--wmla-args takes WMLA options only, not '--lr'"),
    "a double dash": ("--workerMemory 4g --", "--wmla-args takes WMLA options only, not '--'"),
    "an option with a flag": ("--numWorker 2", "--wmla-args: give --numWorker as --num-worker"),
    "the model dir": ("--model-dir d", "--wmla-args: give --model-dir as --model-dir or --model-file"),
    "a conda file": ("--conda-env-yaml e.yml", "--wmla-args: give --conda-env-yaml as --conda-env-yaml"),
}


@pytest.mark.parametrize("case", list(BAD_WMLA_ARGS), ids=list(BAD_WMLA_ARGS))
def test_bad_wmla_args_exit_2_naming_the_option_and_send_nothing(env_server, run, main_py, case):
    value, message = BAD_WMLA_ARGS[case]
    result = run("exec", "start", "--framework", "PyTorch", "--model-main", str(main_py), "--wmla-args", value)
    assert error_line(result, 2, message)
    assert env_server.requests == []


def test_user_cmd_runs_a_model_dir_without_a_main_file(env_server, run, tmp_path):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "run.sh").write_text("echo hi\n")
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "exec", "start", "--framework", "PyTorch", "--model-dir", str(tmp_path / "job"),
        "--wmla-args", "--user-cmd", "--", "sh", "run.sh",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == "--exec-start PyTorch --model-dir job --user-cmd -- sh run.sh"


# -- exec start --model-file: a ready tar goes up unchanged ------------------------------------


@pytest.mark.parametrize("main", ["main.py", "tf-model/main.py", "./main.py"])
def test_a_ready_model_tar_goes_up_unchanged(env_server, run, tmp_path, main):
    tar = model_tar(tmp_path / "tf-model.modelDir.tar")
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "exec", "start", "--framework", "tensorflow", "--model-file", str(tar), "--model-main", main,
        "--num-worker", "1", "--", "--epochs", "3",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == (
        "--exec-start tensorflow --model-main main.py --model-dir tf-model --numWorker 1 -- --epochs 3"
    )
    assert file_parts(env_server.last) == [("file", "tf-model.modelDir.tar", tar.read_bytes())]


def test_a_tar_without_a_top_folder_is_named_after_its_stem(env_server, run, tmp_path):
    tar = model_tar(tmp_path / "mnist.modelDir.tar", top=None, mode="w", root_entry=True)
    env_server.route("POST", "/execs", body=CREATED)
    result = run("exec", "start", "--framework", "PyTorch", "--model-file", str(tar), "--model-main", "lib/util.py")
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == "--exec-start PyTorch --model-main lib/util.py --model-dir mnist"
    assert file_parts(env_server.last)[0][2] == tar.read_bytes()


def test_a_plain_model_file_is_the_main_file(env_server, run, main_py):
    env_server.route("POST", "/execs", body=CREATED)
    result = run("exec", "start", "--framework", "PyTorch", "--model-file", str(main_py))
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == "--exec-start PyTorch --model-main train.py"
    assert file_parts(env_server.last) == [("file", "train.py", main_py.read_bytes())]


def test_bad_model_files_exit_2_and_send_nothing(env_server, run, tmp_path, main_py):
    tar = model_tar(tmp_path / "tf-model.modelDir.tar")
    (tmp_path / "broken.modelDir.tar").write_bytes(b"not a tar at all" * 64)
    (tmp_path / "m").mkdir()
    cases = [
        (["--model-file", str(tar)], ["is a model tar: give --model-main"]),
        (["--model-file", str(tar), "--model-main", "nope.py"], ["--model-main nope.py is not a file of"]),
        (["--model-file", str(tar), "--model-main", "._main.py"], ["is not a file of"]),  # Mac metadata
        (["--model-file", str(tmp_path / "broken.modelDir.tar"), "--model-main", "m.py"], ["not a readable tar"]),
        (["--model-file", str(tmp_path / "nope.tar")], ["--model-file", "no such file"]),
        (["--model-file", str(main_py), "--model-main", "other.py"], ["--model-main other.py goes with"]),
        (["--model-file", str(tar), "--model-dir", str(tmp_path / "m")], ["--model-dir or --model-file"]),
        ([], ["no model: give --model-main"]),
    ]
    for argv, words in cases:
        result = run("exec", "start", "--framework", "PyTorch", *argv)
        assert error_line(result, 2, *words)
    assert env_server.requests == []


# -- exec start --conda-env-yaml / --conda-package: further parts named `file` -------------------


def test_conda_files_are_further_file_parts_named_in_args(env_server, run, tmp_path, main_py):
    env = tmp_path / "conf" / "env.yml"
    env.parent.mkdir()
    env.write_text("name: py3\ndependencies: [numpy]\n")
    pkg = tmp_path / "mypkg-1.0-0.tar.bz2"
    pkg.write_bytes(b"\x42" * 3000)
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "exec", "start", "--framework", "PyTorch", "--model-main", str(main_py),
        "--conda-env-yaml", str(env), "--conda-package", str(pkg),
        "--data-source", '{"type": "fs"}', "--", "--lr", "1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == (
        "--exec-start PyTorch --model-main train.py --conda-env-yaml env.yml "
        "--conda-package mypkg-1.0-0.tar.bz2 -- --lr 1"
    )
    req = env_server.last
    assert int(req.headers["content-length"]) == len(req.body)
    assert file_parts(req) == [
        ("data", None, b'{"dataSource": [{"type": "fs"}]}'),
        ("file", "train.py", main_py.read_bytes()),
        ("file", "env.yml", env.read_bytes()),
        ("file", "mypkg-1.0-0.tar.bz2", pkg.read_bytes()),
    ]


def test_a_missing_conda_file_exits_2_and_sends_nothing(env_server, run, tmp_path, main_py):
    result = run(
        "exec", "start", "--framework", "PyTorch", "--model-main", str(main_py),
        "--conda-env-yaml", str(tmp_path / "env.yml"),
    )  # fmt: skip
    assert error_line(result, 2, "--conda-env-yaml", "no such file")
    assert env_server.requests == []


# -- hpo start: the spec's args read by the one parser; ready tars ------------------------------

IBM_BODY = {
    "modelSpec": {
        "args": "--exec-start PyTorch --python-version 3.6 --gpuPerWorker 1 --edt-options maxWorkers=2 "
        "--model-main main.py --model-dir tf-model --epochs 3 --debug-level debug"
    },
    "algoDef": {"algorithm": "TPE", "maxJobNum": 2, "objectiveMetric": "loss", "objective": "minimize"},
    "hyperParams": [{"name": "lr", "type": "Range", "dataType": "DOUBLE", "minDbVal": 0.01, "maxDbVal": 0.1}],
}


def write_spec(tmp_path, body) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(body))
    return str(path)


def test_hpo_start_sends_a_ready_tar_unchanged_when_the_args_name_model_dir(env_server, run, tmp_path):
    tar = model_tar(tmp_path / "tf-model.modelDir.tar")
    env_server.route("POST", "/hypersearch", body="hpo-1")
    result = run("hpo", "start", write_spec(tmp_path, IBM_BODY), "--model-file", str(tar))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "hpo-1\n"
    assert "warning" not in result.stderr  # IBM's own body: no spurious warning
    parts = file_parts(env_server.last)
    assert [(name, filename) for name, filename, _ in parts] == [("data", None), ("file", "tf-model.modelDir.tar")]
    assert parts[1][2] == tar.read_bytes()
    assert json.loads(parts[0][2])["modelSpec"]["args"] == IBM_BODY["modelSpec"]["args"]  # as written


def test_hpo_start_names_the_tar_top_folder_and_leaves_the_model_words_alone(env_server, run, tmp_path):
    tar = model_tar(tmp_path / "ready.modelDir.tar", top="net")
    body = json.loads(json.dumps(IBM_BODY))
    body["modelSpec"]["args"] = "--exec-start PyTorch --model-main lib/util.py --model-dir tf-model -- --model-dir x"
    env_server.route("POST", "/hypersearch", body="hpo-2")
    result = run("hpo", "start", write_spec(tmp_path, body), "--model-file", str(tar))
    assert result.exit_code == 0, result.stderr
    assert "modelSpec.args: --model-dir tf-model → net (what is uploaded)" in result.stderr
    args = json.loads(file_parts(env_server.last)[0][2])["modelSpec"]["args"]
    assert args == "--exec-start PyTorch --model-main lib/util.py --model-dir net -- --model-dir x"


@pytest.mark.parametrize(
    "args, message",
    [
        (
            "--exec-start PyTorch --numWorker x --model-main main.py",
            "option --numWorker must be a whole number, not 'x'",
        ),
        ("--exec-start PyTorch --model-main main.py --workerDeviceType tpu", "option --workerDeviceType must be one"),
    ],
)
def test_hpo_spec_with_a_bad_wmla_value_exits_2_in_the_engines_words(env_server, run, tmp_path, args, message):
    tar = model_tar(tmp_path / "tf-model.modelDir.tar")
    body = {**IBM_BODY, "modelSpec": {"args": args}}
    result = run("hpo", "start", write_spec(tmp_path, body), "--model-file", str(tar))
    assert error_line(result, 2, "modelSpec.args:", message)
    assert env_server.requests == []


def test_hpo_args_that_are_not_shell_quoting_are_a_warning_not_an_error(env_server, run, tmp_path):
    tar = model_tar(tmp_path / "tf-model.modelDir.tar")
    body = {**IBM_BODY, "modelSpec": {"args": "--exec-start PyTorch --model-main main.py --note it's"}}
    env_server.route("POST", "/hypersearch", body="hpo-3")
    result = run("hpo", "start", write_spec(tmp_path, body), "--model-file", str(tar))
    assert result.exit_code == 0, result.stderr
    assert "warning: modelSpec.args: args are not valid shell quoting" in result.stderr
    assert len(env_server.requests) == 1


# -- the dlicmd shim: dlicmd.py's exec-start, as the server receives it ------------------------


def test_dlicmd_exec_start_keeps_the_double_dash_user_cmd_and_conda_files(env_server, run, tmp_path):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "run.py").write_text("print(1)\n")
    env = tmp_path / "env.yml"
    env.write_text("name: x\n")
    env_server.route("POST", "/execs", body=CREATED)
    result = run(
        "dlicmd", "--exec-start", "PyTorch", "--model-dir", str(tmp_path / "job"),
        "--conda-env-yaml", str(env), "--workerMemory", "4g", "--user-cmd", "--gpuPerWorker=1",
        "--debug-level", "info", "--note", "n", "--", "python", "run.py", "--appName", "foo",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sent_args(env_server) == (
        "--exec-start PyTorch --model-dir job --conda-env-yaml env.yml --workerMemory 4g --user-cmd "
        "--gpuPerWorker=1 --debug-level info -- --note n python run.py --appName foo"
    )
    assert [(n, f) for n, f, _ in file_parts(env_server.last)] == [("file", "job.modelDir.tar"), ("file", "env.yml")]


@pytest.mark.parametrize(
    "argv, words",
    [
        (["--workerMemory"], ["--workerMemory needs a value"]),
        (["--numPs", "x"], ["dlicmd option --numPs must be a whole number, not 'x'"]),
        (["--pbmodel-name", "resnet"], []),  # passed on: the server says what it does with it
        (["--edt-options", "-np 4"], []),  # a word with a space is a value, as argparse reads it
    ],
)
def test_dlicmd_wmla_options_are_checked_before_anything_is_sent(env_server, run, main_py, argv, words):
    env_server.route("POST", "/execs", body=CREATED)
    result = run("dlicmd", "--exec-start", "PyTorch", "--model-main", str(main_py), *argv)
    if words:
        assert error_line(result, 2, *words)
        assert env_server.requests == []
    else:
        assert result.exit_code == 0, result.stderr
        sent = {"--pbmodel-name": "--pbmodel-name resnet", "--edt-options": "--edt-options '-np 4'"}[argv[0]]
        assert sent_args(env_server) == f"--exec-start PyTorch --model-main train.py {sent}"
