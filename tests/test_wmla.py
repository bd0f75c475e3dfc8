"""WMLA's vocabulary (`dlicli.wmla`): the tables agree with the spec and each other, the helpers
apply them, and the module stays standard-library only (the engine, the client and the CLI import it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dlicli import wmla

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "dlpd-rest-api-v1.txt"


def test_importing_wmla_loads_only_the_standard_library():
    code = (
        "import sys; before = set(sys.modules); import dlicli.wmla; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'dlicli'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.skipif(not SPEC.exists(), reason="the spec text is not beside the repository")
def test_the_spec_spellings_are_the_specs():
    text = SPEC.read_text()
    for spelling in (*wmla.ALIASES.values(), *wmla.DISCRETE_KEY.values(), "fixedVal", "objectiveMetric"):
        assert spelling in text, spelling
    assert "discreteStrVal" not in text  # the spec only has its typo; the alias is ours


def test_aliases_both_ways():
    assert wmla.ALIASES == {
        "maxParalleJob": "maxParalleJobNum",
        "eta": "hyperbandEta",
        "discreteStrVal": "discreateStrVal",
    }
    assert wmla.ALIASES_OF["hyperbandEta"] == "eta"
    assert set(wmla.ALGO_DEF_ALIASES).union(wmla.ALGO_DEF_ALIASES.values()) <= set(wmla.ALGO_DEF_KEYS)
    assert set(wmla.HYPER_PARAM_ALIASES).union(wmla.HYPER_PARAM_ALIASES.values()) <= set(wmla.HYPER_PARAM_KEYS)
    assert set(wmla.ETA_PARAMS) == {"eta", "hyperbandEta"}


def test_normalise_keys_spells_known_keys_and_keeps_the_rest():
    got = wmla.normalise_keys({"MAXJOBNUM": 3, "Objective": "Maximize", "custom": 1}, wmla.ALGO_DEF_KEYS)
    assert got == {"maxJobNum": 3, "objective": "Maximize", "custom": 1}
    hp = {"DiscreteStrVal": ["a"], "DATATYPE": "str", "userdefined": True}
    folded = wmla.normalise_keys(hp, wmla.HYPER_PARAM_KEYS, fold_aliases=True)
    assert folded == {"discreateStrVal": ["a"], "dataType": "str", "userDefined": True}
    kept = wmla.normalise_keys(hp, wmla.HYPER_PARAM_KEYS)
    assert "discreteStrVal" in kept and "discreateStrVal" not in kept


def test_aliased_prefers_the_specs_field():
    assert wmla.aliased({"maxParalleJob": 2}, "maxParalleJobNum") == 2
    assert wmla.aliased({"maxParalleJob": 2, "maxParalleJobNum": 4}, "maxParalleJobNum") == 4
    assert wmla.aliased({}, "hyperbandEta", 3) == 3


@pytest.mark.parametrize(
    ("helper", "given", "expected"),
    [
        (wmla.hp_type, " RANGE ", "Range"),
        (wmla.hp_type, "fixed", "Fix"),
        (wmla.hp_type, "choice", None),
        (wmla.data_type, "Double", "DOUBLE"),
        (wmla.data_type, "integer", "INT"),
        (wmla.data_type, None, None),
        (wmla.objective, "Maximize", "maximize"),
        (wmla.objective, "up", None),
        (wmla.metric_strategy, "MINIMIZE", "minimize"),
        (wmla.metric_strategy, "mean", "latest"),
        (wmla.builtin_algorithm, " tpe", "Tpe"),
        (wmla.builtin_algorithm, "experimentgridsearch", "ExperimentGridSearch"),
        (wmla.builtin_algorithm, "myPlugin", None),
    ],
)
def test_value_spellings_any_case(helper, given, expected):
    assert helper(given) == expected


def test_states_partition_as_the_design_says():
    assert not set(wmla.EXEC_ACTIVE_STATES) & set(wmla.EXEC_FINAL_STATES)
    assert set(wmla.EXEC_FINAL_STATES) == {"FINISHED", "KILLED", "ERROR", "FAILED"}
    assert sorted(wmla.HPO_ACTIVE_STATES + wmla.HPO_FINAL_STATES) == sorted(wmla.HPO_STATES)
    assert set(wmla.EXPERIMENT_ACTIVE_STATES) | set(wmla.EXPERIMENT_FAILED_STATES) < set(wmla.EXPERIMENT_STATES)
    ended = set(wmla.EXEC_FINAL_STATES) | set(wmla.HPO_FINAL_STATES)
    assert set(wmla.FAILED_STATES) | set(wmla.STOPPED_STATES) == ended - {"FINISHED"}
    assert ended <= set(wmla.APP_FINAL_STATES)


def test_submit_options_both_ways():
    assert wmla.SUBMIT_OPTIONS["--num-worker"] == "--numWorker"
    assert wmla.SUBMIT_OPTIONS["--worker-device-num"] == "--workerDeviceNum"
    assert wmla.SUBMIT_OPTIONS["--app-name"] == "--appName"
    assert {wmla.DLICMD_SUBMIT_OPTIONS[v] for v in wmla.SUBMIT_OPTIONS.values()} == set(wmla.SUBMIT_OPTIONS)


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ({"uid": "h1", "href": "/hypersearch/h1"}, "h1"),
        ('"exec-1"', "exec-1"),
        ("  ", None),
        ({"href": "/execs/abc/"}, "abc"),
        ({"id": "", "execId": 7}, "7"),
        ({"href": "/"}, None),
        (["exec-1"], None),
    ],
)
def test_created_id(response, expected):
    assert wmla.created_id(response) == expected
