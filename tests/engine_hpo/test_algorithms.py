"""Random, Tpe, Bayesian and ExperimentGridSearch through the contract: search/is_done/get_state."""

from __future__ import annotations

import pickle

import pytest

from dlicli.engine.hpo.algorithms.base import OptimizerError, make_optimizer

from .helpers import SPACE, check_point, drive, objective, result

MODEL = ["Random", "Tpe", "Bayesian"]


def fast(algo: str, **kw) -> dict:
    """algoParams that keep the model-based ones quick and past warm-up early."""
    extra = {"Tpe": {"WarmUp": "5"}, "Bayesian": {"InitPoints": "5", "CubeSize": "300"}}.get(algo, {})
    return {"RandomSeed": "7", **extra, **kw}


@pytest.mark.parametrize("algo", MODEL)
@pytest.mark.slow
def test_suggestions_respect_the_space_and_max_job_num(algo):
    opt = make_optimizer(algo.upper() if algo == "Tpe" else algo, "t", SPACE, **fast(algo, maxJobNum="14"))
    seen = drive(opt, batch=3)
    assert len(seen) == 14  # 3+3+3+3+2 then []
    for p in seen:
        check_point(p)
    assert opt.search(3, []) == [] and opt.is_done()


@pytest.mark.parametrize("algo", MODEL)
@pytest.mark.slow
def test_same_seed_same_search_other_seed_other_search(algo):
    a = drive(make_optimizer(algo, "a", SPACE, **fast(algo, maxJobNum="12")))
    b = drive(make_optimizer(algo, "b", SPACE, **fast(algo, maxJobNum="12")))
    c = drive(make_optimizer(algo, "c", SPACE, **fast(algo, maxJobNum="12", RandomSeed="8")))
    assert a == b
    assert a != c


@pytest.mark.parametrize("algo", MODEL)
@pytest.mark.slow
def test_state_round_trip_mid_search_gives_the_same_next_suggestions(algo):
    kw = fast(algo, maxJobNum="-1")
    opt = make_optimizer(algo, "t", SPACE, **kw)
    drive(opt, limit=9)
    pending = opt.search(2, [])  # two running when the engine stops
    state = pickle.loads(pickle.dumps(opt.get_state()))
    finished = [result(100, pending[0], objective(pending[0])), result(101, pending[1], None)]
    expected = opt.search(3, finished)

    fresh = make_optimizer(algo, "t", SPACE, **kw)
    fresh.set_state(state)
    assert fresh.search(3, finished) == expected
    assert fresh.search(2, []) == opt.search(2, [])


@pytest.mark.parametrize("algo", ["Tpe", "Bayesian"])
@pytest.mark.slow
def test_model_based_search_beats_its_own_warm_up(algo):
    opt = make_optimizer(algo, "t", SPACE, **fast(algo, maxJobNum="40"))
    values = [objective(p) for p in drive(opt)]
    assert min(values[20:]) < min(values[:5])
    assert min(values) < 1.0  # random's typical best of 40 on this space is about 1.6


@pytest.mark.parametrize("algo", ["Tpe", "Bayesian"])
@pytest.mark.slow
def test_maximize_is_respected(algo):
    opt = make_optimizer(algo, "t", SPACE, **fast(algo, maxJobNum="30", objective="maximize"))
    values = [-objective(p) for p in drive(opt, fn=lambda p: -objective(p))]
    assert max(values[15:]) > max(values[:5])


def test_results_of_unknown_experiments_are_learnt_too():
    opt = make_optimizer("Tpe", "t", SPACE, RandomSeed="1", WarmUp="3")
    rng_points = make_optimizer("Random", "r", SPACE, RandomSeed="2").search(5, [])
    got = opt.search(1, [result(i, p, objective(p)) for i, p in enumerate(rng_points)])
    assert len(opt.study.trials) == 6 and len(got) == 1


def test_bad_algo_params_are_clear_errors():
    with pytest.raises(OptimizerError, match="algoParams WarmUp: not a number"):
        make_optimizer("Tpe", "t", SPACE, WarmUp="many")
    with pytest.raises(OptimizerError, match="algoParams Noiseless"):
        make_optimizer("Bayesian", "t", SPACE, Noiseless="perhaps")
    with pytest.raises(OptimizerError, match="unknown algorithm 'Genetic'"):
        make_optimizer("Genetic", "t", SPACE)
    with pytest.raises(OptimizerError, match="maxDbVal"):
        make_optimizer("Random", "t", [{"name": "a", "type": "Range", "dataType": "double", "minDbVal": 1}])


def test_bayesian_noisy_fits_a_noise_level():
    opt = make_optimizer(
        "Bayesian", "t", SPACE[:2], RandomSeed="3", InitPoints="4", CubeSize="200", Noiseless="false", maxJobNum="10"
    )
    seen = drive(opt, fn=lambda p: objective({**p, "y": 0.5, "layers": 5, "opt": "adam", "mom": 0.9, "bs": 32}))
    assert len(seen) == 10 and len(opt.gp.theta) == 2 + 2  # two lengthscales, signal, noise


EXPERIMENTS = [
    {
        "id": 2,
        "hyperParams": [
            {"name": "lr", "dataType": "double", "fixedVal": "0.1"},
            {"name": "opt", "dataType": "STR", "fixedVal": "adam"},
        ],
    },
    {
        "id": 1,
        "fixedHyperParams": [
            {"name": "lr", "dataType": "DOUBLE", "fixedVal": 0.01},
            {"name": "layers", "dataType": "int", "fixedVal": "3"},
        ],
    },
    {"id": 3, "hyperparams": [{"name": "layers", "datatype": "Int", "fixedval": 4}]},
]


def test_grid_gives_exactly_the_experiments_in_order_typed():
    opt = make_optimizer("ExperimentGridSearch", "g", [], experiments=EXPERIMENTS)
    assert opt.search(2, []) == [{"lr": 0.1, "opt": "adam"}, {"lr": 0.01, "layers": 3}]
    assert type(opt.search(0, [])) is list and not opt.is_done()
    state = opt.get_state()
    assert opt.search(5, []) == [{"layers": 4}]
    assert opt.is_done() and opt.search(1, []) == []
    again = make_optimizer("experimentgridsearch", "g", EXPERIMENTS)  # experiments as hyper_parameters
    again.set_state(state)
    assert again.search(5, []) == [{"layers": 4}]


def test_grid_max_job_num_and_bad_experiments():
    import json

    opt = make_optimizer("ExperimentGridSearch", "g", [], experiments=json.dumps(EXPERIMENTS), maxJobNum="2")
    assert len(opt.search(5, [])) == 2 and opt.search(5, []) == []
    bad = [{"id": 1, "hyperParams": [{"name": "lr", "dataType": "int", "fixedVal": "0.5"}]}]
    with pytest.raises(OptimizerError, match=r"experiments\[0\].hyperParams\[0\].fixedVal: not of dataType int"):
        make_optimizer("ExperimentGridSearch", "g", [], experiments=bad)
