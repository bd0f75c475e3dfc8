"""The search space: any spelling in, typed values out, and the unit-cube round trip."""

from __future__ import annotations

import numpy as np
import pytest

from dlicli.engine.hpo.algorithms.space import Space, SpaceError, canonical_hyper_parameters

from .helpers import SPACE, check_point


def test_parses_any_case_and_both_str_spellings():
    space = Space([*SPACE, {"name": "act", "type": "DISCRETE", "dataType": "STR", "discreateStrVal": "relu, tanh"}])
    by = {p.name: p for p in space.params}
    assert by["opt"].values == ["sgd", "adam", "rms"]
    assert by["act"].values == ["relu", "tanh"]
    assert by["k"].values == [1, 3]
    assert by["lr"].power == 10.0 and (by["lr"].low, by["lr"].high) == (-4.0, -1.0)
    assert by["layers"].grid == [1, 3, 5, 7, 9]
    assert by["y"].grid == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert by["bs"].grid == [16, 32, 64, 128]
    assert by["x"].grid is None
    assert space.size() == float("inf")


def test_samples_respect_the_space_and_cover_every_grid_value():
    space, rng = Space(SPACE), np.random.default_rng(0)
    points = [space.sample(rng) for _ in range(400)]
    for p in points:
        check_point(p)
    assert {p["layers"] for p in points} == {1, 3, 5, 7, 9}
    assert {p["bs"] for p in points} == {16, 32, 64, 128}
    # power: the exponent is uniform, so about half the lr values are below 10**-2.5
    low = sum(p["lr"] < 10**-2.5 for p in points) / len(points)
    assert 0.4 < low < 0.6


def test_encode_decode_round_trip():
    space, rng = Space(SPACE), np.random.default_rng(1)
    for _ in range(50):
        p = space.sample(rng)
        u = space.encode(p)
        assert ((u >= 0) & (u <= 1)).all()
        back = space.decode(u)
        assert back.keys() == p.keys()
        for k in p:
            assert back[k] == pytest.approx(p[k], rel=1e-9) if isinstance(p[k], float) else back[k] == p[k]
        assert np.allclose(space.snap(u)[0][[2, 3, 4, 5, 6, 7, 8]], u[[2, 3, 4, 5, 6, 7, 8]])


@pytest.mark.parametrize(
    "hp, message",
    [
        (
            {"name": "a", "type": "Range", "dataType": "double", "minDbVal": 2, "maxDbVal": 1},
            "hyper_parameters[0].maxDbVal: must not be less than minDbVal",
        ),
        (
            {"name": "a", "type": "Range", "dataType": "int", "minIntVal": 1.5, "maxIntVal": 3},
            "hyper_parameters[0].minIntVal: not an integer",
        ),
        ({"name": "a", "type": "Bogus", "dataType": "int"}, "hyper_parameters[0].type: must be Range or Discrete"),
        (
            {"name": "a", "type": "Discrete", "dataType": "str"},
            "hyper_parameters[0].discreateStrVal: must be a non-empty",
        ),
        (
            {"name": "a", "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1, "step": "0"},
            "hyper_parameters[0].step: must be greater than 0",
        ),
        ({"type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1}, "hyper_parameters[0].name: required"),
    ],
)
def test_bad_definitions_name_the_field(hp, message):
    with pytest.raises(SpaceError) as e:
        Space([hp])
    assert str(e.value).startswith(message)


def test_canonical_spelling_for_plugins():
    out = canonical_hyper_parameters(SPACE)
    assert out[0] == {
        "name": "lr",
        "type": "Range",
        "dataType": "DOUBLE",
        "minDbVal": -4.0,
        "maxDbVal": -1.0,
        "power": "10",
    }
    assert out[6] == {"name": "opt", "type": "Discrete", "dataType": "STR", "discreateStrVal": ["sgd", "adam", "rms"]}
    assert out[3]["minIntVal"] == 1 and out[3]["step"] == "2" and out[3]["dataType"] == "INT"
    assert out[8]["discreteIntVal"] == [1, 3]


def test_a_plugins_values_snap_onto_what_the_builtins_draw_and_into_range():
    space = Space(SPACE)
    drawn = space.sample(np.random.default_rng(3))
    assert space.snap_values(drawn) == (drawn, [])  # the built-ins' own values stay as they are
    by = {p.name: p for p in space.params}
    assert by["layers"].snap_value(4.2) == (5, False) and by["layers"].snap_value(99) == (9, True)
    assert by["y"].snap_value(0.3) == (0.25, False) and by["y"].snap_value(-1) == (0.0, True)
    assert by["bs"].snap_value(40) == (32, False)
    assert by["x"].snap_value("0.123456") == (0.123456, False)  # continuous: clipped only
    assert by["k"].snap_value(2.9) == (3, False)
    snapped, notes = space.snap_values({**drawn, "layers": 4.2, "extra": "kept"})
    assert snapped["layers"] == 5 and snapped["extra"] == "kept" and notes == ["layers=4.2 snapped to 5"]


@pytest.mark.parametrize(
    "name, value, words",
    [("opt", "adagrad", "'adagrad' is not one of"), ("x", "abc", "not a number"), ("x", True, "not a number")],
)
def test_a_plugin_value_of_the_wrong_type_is_a_space_error(name, value, words):
    with pytest.raises(SpaceError, match=words):
        {p.name: p for p in Space(SPACE).params}[name].snap_value(value)
