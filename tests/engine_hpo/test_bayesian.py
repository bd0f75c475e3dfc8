"""Bayesian through the contract (make_optimizer → search/get_state/set_state): algoParams,
the space's types, parallel slots (pending experiments), restarts, determinism, quality."""

from __future__ import annotations

import pickle

import pytest

from dlicli.engine.hpo.algorithms.base import OptimizerError, make_optimizer

from .helpers import SPACE, check_point, drive, objective, result

UNIT = [{"name": "u", "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1}]
BOWL = [
    {"name": "a", "type": "Range", "dataType": "double", "minDbVal": -1, "maxDbVal": 1},
    {"name": "b", "type": "Range", "dataType": "double", "minDbVal": -1, "maxDbVal": 1},
]
GRID = [  # 4 x 3 = 12 points: duplicates are easy to make here
    {"name": "n", "type": "Range", "dataType": "int", "minIntVal": 1, "maxIntVal": 4},
    {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": ["sgd", "adam", "rms"]},
]


def bowl(p: dict) -> float:
    """A 2-d bowl with its minimum 0 planted at a=0.3, b=-0.7."""
    return (p["a"] - 0.3) ** 2 + 2 * (p["b"] + 0.7) ** 2


def grid_value(p: dict) -> float:
    return (p["n"] - 3) ** 2 + {"sgd": 1.0, "adam": 0.0, "rms": 0.5}[p["opt"]]


def bayes(space=BOWL, **kw):
    """Bayesian, seeded, with 300 candidates per pick unless told (keeps each test quick)."""
    return make_optimizer("Bayesian", "t", space, **{"RandomSeed": "11", "CubeSize": "300", **kw})


def test_init_points_are_a_space_filling_design_whatever_the_results():
    """InitPoints=8: the first 8 suggestions land one in each eighth of [0, 1] (uniform draws
    rarely do), and do not depend on the results fed back; the 9th does (the model)."""
    a, b = bayes(UNIT, InitPoints="8"), bayes(UNIT, InitPoints="8")
    first_a = drive(a, fn=lambda p: p["u"], limit=8)
    first_b = drive(b, fn=lambda p: 1 - p["u"], limit=8)
    assert first_a == first_b
    assert sorted(int(p["u"] * 8) for p in first_a) == list(range(8))
    last_a = [result(i, p, p["u"]) for i, p in enumerate(first_a)]
    last_b = [result(i, p, 1 - p["u"]) for i, p in enumerate(first_b)]
    assert a.search(1, last_a)[0]["u"] < 0.2 < 0.8 < b.search(1, last_b)[0]["u"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"InitPoints": "0"}, "algoParams InitPoints: must be at least 1"),
        ({"InitPoints": "2.5"}, "algoParams InitPoints: must be an integer"),
        ({"CubeSize": "-3"}, "algoParams CubeSize: must be at least 0"),
        ({"CubeSize": "lots"}, "algoParams CubeSize: not a number: 'lots'"),
        ({"Noiseless": "perhaps"}, "algoParams Noiseless: must be true or false, not 'perhaps'"),
    ],
)
def test_bad_algo_params_name_the_param(params, message):
    with pytest.raises(OptimizerError, match=message):
        bayes(**params)


def test_cube_size_and_noiseless_change_the_search():
    """CubeSize is the number of candidates scored per pick; Noiseless=false fits a noise level."""
    runs = {cube: drive(bayes(InitPoints="4", CubeSize=cube, maxJobNum="8"), fn=bowl) for cube in ("1", "2000")}
    assert runs["1"][:4] == runs["2000"][:4] and runs["1"][4:] != runs["2000"][4:]
    noisy = bayes(InitPoints="4", Noiseless="false", maxJobNum="8")
    quiet = bayes(InitPoints="4", Noiseless="true", maxJobNum="8")
    assert drive(noisy, fn=bowl)[4:] != drive(quiet, fn=bowl)[4:]


def test_every_parameter_type_is_on_its_grid_and_typed():
    """Range with power (log scale), step, int, power-of-2 int, Discrete str/double/int: typed
    values on the grid, also after the model takes over (InitPoints 3 of 15)."""
    seen = drive(bayes(SPACE, InitPoints="3", CubeSize="300", maxJobNum="15"), batch=2)
    assert len(seen) == 15
    for p in seen:
        check_point(p)


def test_batch_with_running_experiments_is_distinct_and_avoids_them():
    """search(4, …) while 3 run: 4 distinct suggestions, none equal to a running one (a 12-point
    grid, where the model would happily pick the same best cell again)."""
    opt = bayes(GRID, InitPoints="4")
    drive(opt, fn=grid_value, limit=4)
    running = opt.search(3, [])
    got = opt.search(4, [])
    assert len(got) == 4
    keys = [(p["n"], p["opt"]) for p in got + running]
    assert len(set(keys)) == 7


def test_a_batch_spreads_out_instead_of_piling_on_the_best_point():
    """The kriging believer: 4 picks in one call are all different and not clustered at one spot."""
    opt = bayes(InitPoints="6")
    drive(opt, fn=bowl, limit=10)
    batch = opt.search(4, [])
    pairs = [(p["a"], p["b"]) for p in batch]
    assert len(set(pairs)) == 4
    gaps = [abs(x[0] - y[0]) + abs(x[1] - y[1]) for i, x in enumerate(pairs) for y in pairs[i + 1 :]]
    assert min(gaps) > 1e-3


def test_restart_with_pending_experiments_continues_identically():
    """State saved with 3 experiments running; a fresh instance given it suggests what the old one
    does next, for the results of the running ones (one failed) and for a later batch."""
    kw = {"InitPoints": "5", "maxJobNum": "-1"}
    opt = bayes(SPACE, **kw)
    drive(opt, limit=8)
    running = opt.search(3, [])
    state = pickle.loads(pickle.dumps(opt.get_state()))
    finished = [result(100, running[0], objective(running[0])), result(101, running[1], None)]
    expected = opt.search(4, finished)
    fresh = bayes(SPACE, **kw)
    fresh.set_state(state)
    assert fresh.search(4, finished) == expected
    assert fresh.search(2, [result(102, running[2], 0.5)]) == opt.search(2, [result(102, running[2], 0.5)])


def test_same_seed_same_search_other_seed_other_search():
    a = drive(bayes(maxJobNum="14"), fn=bowl, batch=2)
    b = drive(bayes(maxJobNum="14"), fn=bowl, batch=2)
    c = drive(bayes(maxJobNum="14", RandomSeed="12"), fn=bowl, batch=2)
    assert a == b and a != c


def test_finds_a_planted_optimum_of_a_bowl_in_25_trials():
    """Default algoParams (10 initial points, 2500 candidates): 25 trials reach within 1e-3 of
    the planted minimum."""
    seen = drive(make_optimizer("Bayesian", "t", BOWL, RandomSeed="11", maxJobNum="25"), fn=bowl)
    assert len(seen) == 25
    assert min(bowl(p) for p in seen) < 1e-3
    assert min(bowl(p) for p in seen[:10]) > 1e-2  # the design alone does not get there


def test_maximize_and_failed_experiments():
    """objective=maximize climbs; a failed experiment ranks last and the search goes on."""
    opt = bayes(InitPoints="5", maxJobNum="20", objective="maximize")
    seen, last = [], []
    while got := opt.search(1, last):
        p = got[0]
        value = None if p["a"] < -0.8 else -bowl(p)
        last = [result(len(seen), p, value)]
        seen.append(p)
    assert len(seen) == 20 and max(-bowl(p) for p in seen[5:]) > max(-bowl(p) for p in seen[:5])


@pytest.mark.parametrize("seed", ["0", "1", "2"])
def test_picks_made_while_experiments_run_explore_around_the_best(seed):
    """A bowl sampled every 0.05 on [0, 0.5] (minimum at 0.25) and once at 1.0: the first of 4 picks
    is EI's, at the minimum; the 3 made while it runs use the believer's lower confidence bound and
    spread around it (log EI on the believer piled all 4 within 6e-4 of each other)."""
    opt = bayes(UNIT, RandomSeed=seed, InitPoints="1")
    first = opt.search(1, [])[0]["u"]
    xs = [i * 0.05 for i in range(11)] + [1.0]
    last = [result(i, {"u": x}, (x - 0.25) ** 2) for i, x in enumerate(xs[:-1])]
    last += [result(11, {"u": 1.0}, 0.1), result(12, {"u": first}, 0.1 if first > 0.5 else (first - 0.25) ** 2)]
    batch = sorted(p["u"] for p in opt.search(4, last))
    assert abs(batch[0] - 0.25) < 0.01 and abs(batch[-1] - 0.25) < 0.01
    assert batch[-1] - batch[0] > 2e-3
