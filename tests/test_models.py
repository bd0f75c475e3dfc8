"""The spec's models: parsing, nesting, unknown fields, the API's spellings, exact round trips."""

from __future__ import annotations

import copy
import re
from dataclasses import fields
from pathlib import Path

import pytest

from dlicli.client import models as m

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec" / "dlpd-rest-api-v1.txt"

HPO_STATE = {
    "running": 0,
    "duration": "3m",
    "creator": "alice",
    "createtime": "2024-01-01",
    "hpoName": "h1",
    "experiments": [
        {
            "maxiteration": 3,
            "appId": "app-1",
            "metricVal": 0.25,
            "id": 5,
            "state": "FINISHED",
            "metrics": [{"min": 0.1, "max": 0.9, "name": "loss", "latest": 0.25}],
            "hyperParams": [
                {"name": "lr", "type": "Range", "dataType": "DOUBLE", "minDbVal": 0.01, "maxDbVal": 0.1},
                {"name": "opt", "type": "discrete", "dataType": "str", "discreateStrVal": ["sgd", "adam"]},
            ],
            "futureField": {"x": 1},
        }
    ],
    "progress": "100%",
    "best": {"id": 5, "metricVal": 0.25, "metrics": [{"name": "loss", "latest": 0.25}]},
    "state": "FINISHED",
    "failed": 1,
    "complete": 6,
    "serverAddedField": [1, 2],
}


def spec_model_names() -> list[str]:
    text = SPEC.read_text()
    toc = text[text.index("Models\n\n[ Jump to Methods ]") :]
    return re.findall(r"^\s+\d+\. (\w+) -$", toc, flags=re.M)


def test_there_is_one_dataclass_per_spec_model():
    names = spec_model_names() if SPEC.exists() else []
    if names:
        assert len(names) == 33
        assert sorted(m.MODELS) == sorted(names)
    assert len(m.MODELS) == 33
    for name, cls in m.MODELS.items():
        assert getattr(m, name) is cls
        assert issubclass(cls, m.Model)


def test_existing_names_are_kept():
    assert "RUNNING" in m.EXEC_ACTIVE_STATES and "FINISHED" in m.EXEC_FINAL_STATES
    assert m.HPO_STATES[0] == "SUBMITTED" and "NOTRUN" in m.EXPERIMENT_STATES
    assert m.created_id({"uid": "h1", "href": "/hypersearch/h1"}) == "h1"
    assert m.created_id('"exec-1"') == "exec-1"
    assert m.created_id({"href": "/execs/abc/"}) == "abc"


def test_hpo_task_state_parses_nested_models():
    task = m.HpoTaskState.from_dict(HPO_STATE)
    assert task.hpoName == "h1" and task.complete == 6
    assert isinstance(task.best, m.HpoExperiment)
    assert task.best.metrics[0] == m.HpoMetric(name="loss", latest=0.25)
    exp = task.experiments[0]
    assert isinstance(exp, m.HpoExperiment) and exp.id == 5
    assert isinstance(exp.metrics[0], m.HpoMetric) and exp.metrics[0].max == 0.9
    lr, opt = exp.hyperParams
    assert isinstance(lr, m.HpoHyperParameter)
    assert (lr.kind, lr.dtype) == ("range", "double")  # case-insensitive type and dataType
    assert opt.discrete_values == ["sgd", "adam"]
    assert exp.extra == {"futureField": {"x": 1}}
    assert task.extra == {"serverAddedField": [1, 2]}


def test_round_trip_is_exact_including_key_order():
    original = copy.deepcopy(HPO_STATE)
    out = m.HpoTaskState.from_dict(HPO_STATE).to_dict()
    assert out == original
    assert list(out) == list(original)
    assert list(out["experiments"][0]) == list(original["experiments"][0])
    assert original == HPO_STATE  # the input was not changed


def test_to_dict_omits_none_and_uses_spec_names_for_new_objects():
    plan = m.Resplan(name="p1", labels=[m.Labels_Map(key="k", value="v")])
    assert plan.to_dict() == {"name": "p1", "labels": [{"key": "k", "value": "v"}]}
    assert m.algoDef(algorithm="Random", maxParalleJobNum=2, hyperbandEta=3.0).to_dict() == {
        "algorithm": "Random",
        "maxParalleJobNum": 2,
        "hyperbandEta": 3.0,
    }


def test_tree_dto_nests_children_and_v1_resplan():
    tree = m.TreeDto.from_dict(
        {
            "id": "1",
            "name": "root",
            "V1Resplan": {"usedcpu": "2", "path": "/root"},
            "childTreeDto": [{"id": "2", "name": "child", "childTreeDto": [], "V1Resplan": {"requestgpu": "1"}}],
        }
    )
    assert isinstance(tree.V1Resplan, m.V1Resplan) and tree.V1Resplan.usedcpu == "2"
    child = tree.childTreeDto[0]
    assert isinstance(child, m.TreeDto) and child.name == "child"
    assert child.V1Resplan.requestgpu == "1"


def test_the_spec_example_tree_with_null_children_survives():
    data = {"path": "p", "isParent": "true", "childTreeDto": [None, None], "V1Resplan": {"path": "p"}, "id": "i"}
    tree = m.TreeDto.from_dict(data)
    assert tree.childTreeDto == [None, None]
    assert tree.to_dict() == data


@pytest.mark.parametrize(
    ("cls", "data", "attr", "value"),
    [
        (m.algoDef, {"maxParalleJob": 4}, "maxParalleJobNum", 4),
        (m.algoDef, {"maxParalleJobNum": 4}, "maxParalleJobNum", 4),
        (m.algoDef, {"eta": 3}, "hyperbandEta", 3),
        (m.algoDef, {"hyperbandEta": 3}, "hyperbandEta", 3),
        (m.HpoHyperParameter, {"discreteStrVal": ["a"]}, "discreateStrVal", ["a"]),
        (m.HpoHyperParameter, {"discreateStrVal": ["a"]}, "discreateStrVal", ["a"]),
        (m.searchExperiment, {"hyperParams": [{"name": "x", "fixedVal": "1"}]}, "fixedHyperParams", None),
    ],
)
def test_the_apis_spellings_are_read_and_written_back_as_they_came(cls, data, attr, value):
    obj = cls.from_dict(data)
    got = getattr(obj, attr)
    if value is not None:
        assert got == value
    else:
        assert isinstance(got[0], m.fixedHyperParam) and got[0].fixedVal == "1"
    assert obj.extra == {}
    assert obj.to_dict() == data


def test_both_spellings_at_once_keep_the_second_in_extra():
    obj = m.algoDef.from_dict({"maxParalleJobNum": 2, "maxParalleJob": 3})
    assert obj.maxParalleJobNum == 2 and obj.extra == {"maxParalleJob": 3}
    assert obj.to_dict() == {"maxParalleJobNum": 2, "maxParalleJob": 3}


def test_objective_and_algo_params_are_case_insensitive():
    algo = m.algoDef.from_dict({"objective": "MAXIMIZE", "algoParams": [{"name": "RandomSeed", "value": "7"}]})
    assert algo.maximize
    assert not m.algoDef.from_dict({"objective": "Minimize"}).maximize
    assert algo.param("randomseed") == "7" and algo.param("missing", "d") == "d"
    assert isinstance(algo.algoParams[0], m.algoParams)
    assert m.fixedHyperParam.from_dict({"dataType": "Int"}).dtype == "int"
    assert m.norm(" Discrete ") == "discrete" and m.norm(3) == 3


def test_hpo_task_detail_nests_input_and_search_grid():
    detail = m.HpoTaskDetail.from_dict(
        {
            "input": {
                "modelName": "mnist",
                "hpoName": "h",
                "hyperParams": [{"name": "lr", "type": "range"}],
                "resDef": {"framework": "PyTorch", "maxiteration": "10", "batchsize": 32},
                "algoDef": {"algorithm": "Random", "maxParalleJob": 2},
                "experiments": [
                    {"id": 1, "fixedHyperParams": [{"name": "lr", "dataType": "double", "fixedVal": "0.1"}]}
                ],
                "modelSpec": {"args": "--exec-start PyTorch"},
            },
            "searchGrid": {"best": {"id": 1}, "experiments": [{"id": 1}], "running": 0},
            "state": "RUNNING",
        }
    )
    inp = detail.input
    assert isinstance(inp, m.HpoTaskInput)
    assert isinstance(inp.resDef, m.resDef) and inp.resDef.batchsize == 32
    assert isinstance(inp.algoDef, m.algoDef) and inp.algoDef.maxParalleJobNum == 2
    assert isinstance(inp.hyperParams[0], m.HpoHyperParameter)
    assert isinstance(inp.experiments[0].fixedHyperParams[0], m.fixedHyperParam)
    assert inp.modelSpec == {"args": "--exec-start PyTorch"}
    assert isinstance(detail.searchGrid, m.searchGrid) and isinstance(detail.searchGrid.best, m.HpoExperiment)
    assert isinstance(detail.searchGrid.experiments[0], m.HpoExperiment)


def test_other_nested_lists():
    desc = m.EDIModelDescription.from_dict(
        {"name": "n", "attributes": [{"name": "a", "value": "1"}], "environments": [{"name": "E", "value": "v"}]}
    )
    assert isinstance(desc.attributes[0], m.Attr) and isinstance(desc.environments[0], m.Envs)
    spec = m.Spec.from_dict({"children": [{"name": "c", "usedcpu": "1"}]})
    assert isinstance(spec.children[0], m.Children)
    plan = m.Resplan.from_dict({"name": "p", "labels": [{"key": "k", "value": "v"}]})
    assert plan.labels == [m.Labels_Map(key="k", value="v")]


def test_a_value_of_an_unexpected_shape_is_kept_as_sent():
    data = {"name": "p", "labels": {"team": "a"}}  # a server that sends labels as a map
    plan = m.Resplan.from_dict(data)
    assert plan.labels == {"team": "a"}
    assert plan.to_dict() == data
    assert m.HpoTaskState.from_dict({"best": "none"}).best == "none"


def test_string_map_keeps_every_key():
    conf = {"DLI_EDT_ENABLED": "true", "other": "x"}
    smap = m.StringMap.from_dict(conf)
    assert smap.values == conf and smap.to_dict() == conf


@pytest.mark.parametrize("name", sorted(m.MODELS))
def test_every_model_round_trips_its_fields_and_unknown_ones(name):
    cls = m.MODELS[name]
    data = {f.name: f"v-{f.name}" for f in fields(cls) if f.init and f.name != "extra"}
    data["zzUnknown"] = {"nested": [1, None]}
    obj = cls.from_dict(data)
    assert obj.extra == {"zzUnknown": {"nested": [1, None]}}
    assert obj.to_dict() == data
    assert cls.from_dict(obj) is obj
    assert cls.from_list([data, data])[1].to_dict() == data
    assert cls.from_list(None) == []


def test_from_dict_refuses_a_non_object():
    with pytest.raises(TypeError, match="HpoTaskState"):
        m.HpoTaskState.from_dict(["not", "an", "object"])


def test_batch_is_final_ignores_case():
    assert m.Batch.from_dict({"state": "finished"}).is_final
    assert not m.Batch.from_dict({"state": "RUNNING"}).is_final
    assert not m.Batch().is_final


def test_importing_models_does_not_import_httpx():
    import subprocess
    import sys

    code = "import sys, dlicli.client.models; print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
