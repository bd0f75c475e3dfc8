"""The WMLA args parser (dlicli.wmlaargs) and what the engine makes of it (engine/tasks/execargs.py)."""

from __future__ import annotations

import pytest

from dlicli.engine import EngineError
from dlicli.engine.tasks.execargs import parse_args
from dlicli.wmla import WMLA_ARG_EFFECTS, WMLA_ARGS
from dlicli.wmlaargs import WmlaArgsError, parse


def test_known_options_anywhere_are_consumed_and_the_rest_goes_to_the_model_in_order():
    parsed = parse_args(
        "--exec-start pytorch --model-main train.py --model-dir mnist --numWorker=3 "
        "--workerDeviceNum 1 --appName 'my app' --cs-datastore-meta data_path=x,type=fs "
        "--lr 0.1 --numWorker 9 'a b'"
    )
    assert parsed.framework == "PyTorch" and parsed.model_main == "train.py" and parsed.model_dir == "mnist"
    assert parsed.num_worker == 9 and parsed.worker_device_num == 1 and parsed.app_name == "my app"
    assert parsed.datastore_meta == {"data_path": "x", "type": "fs"}
    assert parsed.model_args == ["--lr", "0.1", "a b"]
    assert parsed.workers == 1  # PyTorch runs one process
    assert parse_args("--exec-start distPyTorch --model-main m.py --numWorker 2 -- --x").workers == 2


def test_ibm_tutorial_args_with_wmla_options_before_model_main():
    parsed = parse_args(
        "--exec-start PyTorch --python-version 3.6 --gpuPerWorker 1 --edt-options maxWorkers=2 "
        "--model-main m.py --model-dir d --epochs 3 --debug-level debug --trainFile /data/train"
    )
    assert parsed.model_main == "m.py" and parsed.python_version == "3.6" and parsed.worker_device_num == 1
    assert parsed.model_args == ["--epochs", "3", "--trainFile", "/data/train"]
    ignored = [text for level, text in parsed.notes if text.startswith("ignored on the local engine")]
    assert ignored == [
        "ignored on the local engine: --edt-options maxWorkers=2 (not edtPyTorch)",
        "ignored on the local engine: --debug-level debug",
    ]
    edt = parse_args("--exec-start edtPyTorch --edt-options maxWorkers=3 --model-main m.py")
    assert edt.workers == 3 and not any("edt" in text for _, text in edt.notes)
    assert parse_args("--exec-start edtPyTorch --numWorker 2 --edt-options maxWorkers=3 --model-main m").workers == 2


def test_everything_after_a_standalone_double_dash_is_the_models_verbatim():
    parsed = parse_args("--exec-start python --model-main m.py --lr 1 -- --appName z --numWorker x --")
    assert parsed.model_args == ["--lr", "1", "--appName", "z", "--numWorker", "x", "--"]
    assert parsed.app_name is None and parsed.num_worker == 1


def test_unquoted_apostrophes_are_split_on_whitespace_with_a_note():
    parsed = parse_args("--exec-start python --model-main m.py --title it's fine")
    assert parsed.model_args == ["--title", "it's", "fine"]
    assert any("not valid shell quoting" in text for _, text in parsed.notes)


def test_acting_options():
    parsed = parse_args(
        "--exec-start python --model-main m.py --workerDeviceType cpu --workerMemory 2g "
        "--msd-env A=1 --msd-env B=x,y --conda-env-yaml /home/u/env.yml --conda-home /opt/conda"
    )
    assert parsed.cpu_only and parsed.memory_limit == 2 * 2**30
    assert parsed.env == {"A": "1", "B": "x,y"} and parsed.uploads == ["env.yml"]
    assert parsed.conda_home == "/opt/conda" and parsed.model_args == []
    assert parse_args("--exec-start python --model-main m --workerMemoryLimit 512").memory_limit == 512 * 2**20
    user = parse_args("--exec-start python --user-cmd -- bash -c 'echo hi'")
    assert user.user_cmd and user.argv("/py") == ["bash", "-c", "echo hi"]


def test_secret_values_are_never_in_the_notes():
    parsed = parse_args("--exec-start python --model-main m.py --cs-url-bearer s3cr3t --consumer /a")
    text = " ".join(t for _, t in parsed.notes)
    assert "s3cr3t" not in text and "--cs-url-bearer ***" in text and "--consumer /a" in text


@pytest.mark.parametrize(
    ("args", "names"),
    [
        ("", "--exec-start"),
        ("--model-main m.py", "--exec-start"),
        ("--exec-start python", "--model-main"),
        ("--exec-start caffe --model-main m", "caffe"),
        ("--exec-start python --model-main m.py --numWorker 0", "--numWorker"),
        ("--exec-start python --model-main m.py --numWorker x", "--numWorker"),
        ("--exec-start python --model-main m.py --numWorker", "--numWorker"),
        ("--exec-start python --model-main m.py --numWorker --lr", "--numWorker"),
        ("--exec-start python --model-main m.py --workerDeviceType tpu", "--workerDeviceType"),
        ("--exec-start python --model-main m.py --workerMemory lots", "--workerMemory"),
        ("--exec-start python --model-main m.py --cs-datastore-meta nokey", "--cs-datastore-meta"),
        ("--exec-start python --model-main m.py --msd-env novalue", "--msd-env"),
        ("--exec-start python --pbmodel-name AlexNet --pbmodel-cmd x", "--pbmodel-name"),
        ("--exec-start python --user-cmd", "--user-cmd"),
        ("--exec-start python --model-main m --user-cmd=yes", "--user-cmd"),
        ("--exec-start edtPyTorch --model-main m --edt-options maxWorkers=lots", "maxWorkers"),
    ],
)
def test_bad_wmla_values_are_a_400_naming_the_option(args, names):
    with pytest.raises(EngineError) as info:
        parse_args(args)
    assert info.value.status == 400 and names in info.value.message


def test_parser_keeps_model_values_that_look_like_negative_numbers():
    assert parse("--lr -0.5 --appName x").model_args == ["--lr", "-0.5"]
    with pytest.raises(WmlaArgsError, match="--appName needs a value"):
        parse("--appName --lr")


def test_every_option_in_the_table_says_what_the_engine_does():
    assert len({name for name, _, _ in WMLA_ARGS}) == len(WMLA_ARGS)
    for effect in WMLA_ARG_EFFECTS.values():
        assert effect.split(":")[0] in ("runs", "acts", "ignored", "refused")
