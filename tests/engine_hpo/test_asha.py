"""ASHA: rungs from its algoParams, promotions of the top 1/eta without waiting, the search space,
state, failed runs last, maxJobNum, and bad algoParams."""

from __future__ import annotations

import json
import pickle

import pytest

from dlicli.engine.hpo.algorithms.asha import rung_resources
from dlicli.engine.hpo.algorithms.base import OptimizerError, make_optimizer

from .helpers import SPACE, check_point, objective, result

EPOCHS = {"name": "epochs", "type": "Range", "dataType": "int", "minIntVal": 1, "maxIntVal": 5}  # replaced


def asha(space=SPACE, **kw):
    args = {"RandomSeed": "5", "ResourceName": "epochs", "ResourceValue": "27", "maxJobNum": "500", **kw}
    return make_optimizer("asha", "a", space, **{k: v for k, v in args.items() if v is not None})


def key(p: dict) -> str:
    """A suggestion without its resource, comparable."""
    return json.dumps({k: v for k, v in p.items() if k != "epochs"}, sort_keys=True)


def test_rungs_rise_by_eta_from_the_minimum_to_r():
    assert rung_resources(1, 27, 3) == [1, 3, 9, 27]
    assert rung_resources(1, 125, 5) == [1, 5, 25, 125]
    assert rung_resources(2, 27, 3) == [2, 6, 18, 27]
    assert rung_resources(1, 10, 3) == [1, 3, 9, 10]
    assert rung_resources(1, 8, 1.5) == [1, 2, 3, 5, 8]
    assert rung_resources(27, 27, 3) == [27]


def test_new_configs_fill_every_slot_at_the_lowest_rung_in_the_space():
    opt = asha(space=[*SPACE, EPOCHS])
    got = opt.search(8, [])
    assert len(got) == 8 and len({key(p) for p in got}) == 8
    for p in got:
        check_point(p)
        assert type(p["epochs"]) is int and p["epochs"] == 1
    assert not opt.is_done()


def test_seed_min_resource_and_eta_are_honoured():
    first = asha(MinResourceValue="3", eta="2").search(4, [])
    assert first == asha(MinResourceValue="3", eta="2").search(4, [])
    assert first != asha(RandomSeed="6", MinResourceValue="3", eta="2").search(4, [])
    assert {p["epochs"] for p in first} == {3}
    assert asha(MinResourceValue="3", eta="2").rungs == [3, 6, 12, 24, 27]
    assert asha(hyperbandEta="5", ResourceValue="125").rungs == [1, 5, 25, 125]


def test_promotions_are_the_top_third_best_first_then_new_configs():
    opt = asha()
    rung0 = opt.search(9, [])
    feed = [result(i, p, objective(p)) for i, p in enumerate(rung0)]
    best = sorted(rung0, key=objective)
    up = opt.search(4, feed)
    # floor(9/3) = 3 promotions to epochs 3, best first; the fourth slot gets a new config at 1
    assert [key(p) for p in up[:3]] == [key(p) for p in best[:3]]
    assert [p["epochs"] for p in up] == [3, 3, 3, 1] and key(up[3]) not in {key(p) for p in rung0}
    # the three at epochs 3 finish: the best of them goes on to 9 (floor(3/3) = 1), nothing more from 3
    ranked = sorted(up[:3], key=objective)
    nxt = opt.search(2, [result(10 + i, p, objective(p)) for i, p in enumerate(up[:3])])
    assert key(nxt[0]) == key(ranked[0]) and nxt[0]["epochs"] == 9
    assert nxt[1]["epochs"] == 1


def test_promotion_does_not_wait_for_the_rung():
    """Three results are enough to promote one while the other slots still run."""
    opt = asha()
    got = opt.search(6, [])
    two = opt.search(1, [result(i, p, objective(p)) for i, p in enumerate(got[:2])])
    assert two[0]["epochs"] == 1  # floor(2/3) = 0: nothing to promote yet
    up = opt.search(1, [result(2, got[2], objective(got[2]))])
    assert key(up[0]) == key(min(got[:3], key=objective)) and up[0]["epochs"] == 3


def test_the_highest_rung_promotes_first():
    opt = asha()
    c = opt.search(9, [])
    losses = [0.1, 0.2, 1, 1, 1, 1, 0.15, 1, 1]
    up = opt.search(2, [result(i, c[i], losses[i]) for i in range(6)])
    assert [(key(p), p["epochs"]) for p in up] == [(key(c[0]), 3), (key(c[1]), 3)]
    more = opt.search(4, [result(i, c[i], losses[i]) for i in range(6, 9)])  # c6 is in the top 3 of 9 now
    assert (key(more[0]), more[0]["epochs"]) == (key(c[6]), 3) and [p["epochs"] for p in more[1:]] == [1, 1, 1]
    feed = [result(20, up[0], 0.5), result(21, up[1], 0.6), result(22, more[0], 0.2)]
    feed += [result(23 + i, p, v) for i, (p, v) in enumerate(zip(more[1:], [0.05, 2, 2]))]
    both = opt.search(2, feed)  # rung 3 can promote c6 to 9 and rung 1 the new best to 3: 9 first
    assert [(key(p), p["epochs"]) for p in both] == [(key(c[6]), 9), (key(more[1]), 3)]


def test_failed_runs_rank_last_and_are_never_promoted_and_maximize_is_respected():
    opt = asha()
    got = opt.search(9, [])
    ranked = sorted(got, key=objective)
    feed = [result(i, p, None if p in ranked[:2] else objective(p)) for i, p in enumerate(got)]
    assert [key(p) for p in opt.search(3, feed)] == [key(p) for p in ranked[2:5]]
    opt = asha(objective="maximize")
    got = opt.search(9, [])
    by_x = sorted(got, key=lambda p: -p["x"])  # maximise x; the two best by x fail
    feed = [result(i, p, None if p in by_x[:2] else p["x"]) for i, p in enumerate(got)]
    up = opt.search(3, feed)
    assert [key(p) for p in up] == [key(p) for p in by_x[2:5]]
    opt = asha()
    got = opt.search(3, [])
    up = opt.search(1, [result(i, p, None) for i, p in enumerate(got)])  # top third failed: new config
    assert up[0]["epochs"] == 1 and key(up[0]) not in {key(p) for p in got}


def test_no_duplicate_proposals_in_a_small_space_until_it_runs_out():
    small = [
        {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": ["a", "b", "c"]},
        {"name": "k", "type": "Discrete", "dataType": "int", "discreteIntVal": [1, 2]},
    ]
    opt = asha(space=small)
    got = opt.search(6, [])
    assert sorted(key(p) for p in got) == sorted(
        json.dumps({"k": k, "opt": o}, sort_keys=True) for o in "abc" for k in (1, 2)
    )
    assert len(opt.search(2, [])) == 2  # all six were drawn: repeats are allowed now


def test_state_round_trip_mid_search_gives_the_same_next_suggestions():
    opt = asha()
    rung0 = opt.search(9, [])
    up = opt.search(4, [result(i, p, objective(p)) for i, p in enumerate(rung0[:6])])
    state = pickle.loads(pickle.dumps(opt.get_state()))
    later = [result(20 + i, p, objective(p)) for i, p in enumerate(rung0[6:] + up[:2])]
    expect = opt.search(5, later)
    fresh = asha()
    fresh.set_state(state)
    assert fresh.search(5, later) == expect
    assert fresh.get_state() == opt.get_state()


def test_max_job_num_ends_it_and_the_answer_reaches_r():
    opt = asha(maxJobNum="120", ResourceValue="9")
    seen, last = [], []
    while True:
        got = opt.search(4, last)
        if not got:
            break
        seen += got
        last = [result(len(seen) + i, p, objective(p) + 1 / p["epochs"]) for i, p in enumerate(got)]
    assert len(seen) == 120 and opt.is_done() and opt.search(4, last) == []
    assert {p["epochs"] for p in seen} == {1, 3, 9}


def test_max_run_time_alone_lets_it_run():
    opt = asha(maxJobNum=None, maxRunTime="5")
    assert len(opt.search(50, [])) == 50 and not opt.is_done()


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"ResourceName": None}, "algoParams ResourceName: required for ASHA"),
        ({"ResourceValue": None}, "algoParams ResourceValue: required for ASHA"),
        ({"ResourceValue": "0"}, "algoParams ResourceValue: must be at least 1"),
        ({"eta": "1"}, "algoParams eta: must be greater than 1"),
        ({"hyperbandEta": "x"}, "algoParams eta: not a number: 'x'"),
        ({"MinResourceValue": "0"}, "algoParams MinResourceValue: must be at least 1"),
        ({"MinResourceValue": "2.5"}, "algoParams MinResourceValue: must be an integer"),
        ({"MinResourceValue": "30"}, "algoParams MinResourceValue: 30 is more than ResourceValue 27"),
        ({"eta": "1.001", "ResourceValue": "100000"}, "algoParams eta: 1.001 makes more than 40 rungs"),
        ({"maxJobNum": None}, "ASHA runs until maxJobNum or maxRunTime ends it"),
        ({"maxJobNum": "-1", "maxRunTime": "-1"}, "ASHA runs until maxJobNum or maxRunTime ends it"),
    ],
)
def test_bad_algo_params_name_the_param(kw, message):
    with pytest.raises(OptimizerError, match=message):
        asha(**kw)


# -- new configs from the model (BOHB's l(x)/g(x) on the lowest rung) ---------------------------

UNIT = [{"name": n, "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1} for n in ("a", "b")]


def near(p: dict) -> float:
    """Distance to (0.2, 0.2): the loss the model should learn."""
    return ((p["a"] - 0.2) ** 2 + (p["b"] - 0.2) ** 2) ** 0.5


def new_configs_after(opt, first: list[dict], fn, n: int = 60) -> list[dict]:
    """Feed `first`'s results, then the new configs (lowest rung) among the next n suggestions."""
    got = opt.search(n, [result(i, p, fn(p)) for i, p in enumerate(first)])
    return [p for p in got if p["epochs"] == 1]


def test_new_configs_come_from_the_model_once_the_lowest_rung_has_results():
    spread = {}
    for fraction in ("0", "1"):
        opt = asha(space=UNIT, RandomFraction=fraction)
        new = new_configs_after(opt, opt.search(30, []), near)
        spread[fraction] = sorted(near(p) for p in new)[len(new) // 2]
    assert spread["0"] < 0.5 * spread["1"], spread  # the model's configs crowd around the best results


def test_the_model_waits_for_dim_plus_2_results_drawing_uniformly_until_then():
    def after(fraction: str, results: int) -> list[dict]:
        opt = asha(space=UNIT, RandomFraction=fraction)
        return new_configs_after(opt, opt.search(results, []), near, n=4)

    assert after("0", 3) == after("1", 3)  # 3 < dim + 2: the same uniform draws
    assert after("0", 4) != after("1", 4)


def test_model_configs_honour_the_space_and_never_repeat_a_config():
    opt = asha(RandomFraction="0")
    first = opt.search(40, [])
    new = new_configs_after(opt, first, objective, n=60)
    assert len(new) >= 40
    for p in new:
        check_point(p)
    keys = [key(p) for p in first + new]
    assert len(set(keys)) == len(keys)


def test_model_state_round_trip_gives_the_same_next_suggestions():
    opt = asha(space=UNIT)
    first = opt.search(20, [])
    opt.search(4, [result(i, p, near(p)) for i, p in enumerate(first[:12])])
    state = pickle.loads(pickle.dumps(opt.get_state()))
    later = [result(30 + i, p, near(p)) for i, p in enumerate(first[12:])]
    expect = opt.search(12, later)
    fresh = asha(space=UNIT)
    fresh.set_state(state)
    assert fresh.search(12, later) == expect
    assert sum(p["epochs"] == 1 for p in expect) >= 4


@pytest.mark.parametrize(
    "value, message",
    [("1.5", "algoParams RandomFraction: must be in \\[0, 1\\], not 1.5"), ("x", "RandomFraction: not a number")],
)
def test_a_bad_random_fraction_is_refused(value, message):
    with pytest.raises(OptimizerError, match=message):
        asha(RandomFraction=value)


def test_a_model_config_already_drawn_is_replaced_by_a_new_one():
    small = [
        {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": ["a", "b", "c"]},
        {"name": "k", "type": "Discrete", "dataType": "int", "discreteIntVal": [1, 2, 3]},
    ]
    for seed in range(5):
        opt = asha(space=small, RandomFraction="0", RandomSeed=str(seed), eta="9")
        first = opt.search(5, [])
        new = opt.search(4, [result(i, p, p["k"] + (p["opt"] != "a")) for i, p in enumerate(first)])
        keys = [key(p) for p in first + new]
        assert len(set(keys)) == 9  # the model's picks near the best would repeat one
