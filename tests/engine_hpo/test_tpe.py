"""Tpe through the contract: algoParams, the space, parallel slots (running experiments), restarts."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from dlicli.engine.hpo.algorithms import tpe_sampler
from dlicli.engine.hpo.algorithms.base import OptimizerError, make_optimizer
from dlicli.engine.hpo.algorithms.tpe_sampler import believed_results, recombined

from .helpers import SPACE, check_point, drive, objective, result

LINE = [{"name": "x", "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1}]
SIX = [{"name": "c", "type": "Discrete", "dataType": "int", "discreteIntVal": [1, 2, 3, 4, 5, 6]}]


def tpe(space=SPACE, **kw):
    return make_optimizer("Tpe", "t", space, **{"RandomSeed": "5", **kw})


def test_the_first_warm_up_suggestions_are_the_startup_design_then_the_model_homes_in():
    opt = tpe(LINE, WarmUp="8", maxJobNum="20")
    seen = drive(opt, fn=lambda p: (p["x"] - 0.3) ** 2)
    warm = sorted(p["x"] for p in seen[:8])
    # a stratified design: one point in each eighth of the line (uniform draws: p = 8!/8^8 ≈ 0.002)
    assert [int(x * 8) for x in warm] == list(range(8))
    model = [abs(p["x"] - 0.3) for p in seen[8:]]
    assert sorted(model)[len(model) // 2] < 0.08  # the model's median distance (uniform: 0.25)
    assert min(model) < min(abs(x - 0.3) for x in warm)


def test_warm_up_is_capped_by_max_job_num_and_suggestions_stay_in_the_space():
    opt = tpe(WarmUp="20", maxJobNum="6")
    assert opt.warmup == 6
    seen = drive(tpe(WarmUp="4", maxJobNum="16"), batch=3)
    assert len(seen) == 16
    for p in seen:  # types, step grids, powers and choices, in warm-up and from the model
        check_point(p)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"WarmUp": "2"}, "algoParams WarmUp: must be at least 3"),
        ({"WarmUp": "3.5"}, "algoParams WarmUp: must be an integer"),
        ({"EICandidate": "1"}, "algoParams EICandidate: must be at least 2"),
        ({"EICandidate": "20000"}, "algoParams EICandidate: at most 10000"),
        ({"GoodRatio": "0"}, r"algoParams GoodRatio: must be in \(0, 1\]"),
        ({"GoodRatio": "1.5"}, r"algoParams GoodRatio: must be in \(0, 1\]"),
        ({"GoodRatio": "half"}, "algoParams GoodRatio: not a number: 'half'"),
        ({"GoodMax": "1"}, "algoParams GoodMax: must be at least 2"),
    ],
)
def test_bad_algo_params_name_the_param_and_the_bound(params, message):
    with pytest.raises(OptimizerError, match=message):
        tpe(**params)


def test_good_ratio_and_good_max_set_the_good_share():
    assert [tpe(GoodRatio="0.25", GoodMax="25").good_count(n) for n in (1, 20, 100, 400)] == [1, 5, 25, 25]
    assert tpe(GoodRatio="0.5", GoodMax="3").good_count(100) == 3


def test_a_batch_never_repeats_a_running_experiment_nor_itself():
    opt = tpe(SIX, WarmUp="3")
    first = opt.search(3, [])
    running = first  # three experiments still running
    got = opt.search(4, [])
    values = [p["c"] for p in got]
    assert sorted(values) == sorted({1, 2, 3, 4, 5, 6} - {p["c"] for p in running})  # only 3 are free
    finished = [result(i, p, float(p["c"])) for i, p in enumerate(first)]
    more = opt.search(4, finished)  # now the batch may reuse finished values, not running ones
    assert len({p["c"] for p in more}) == len(more) == 3
    assert not {p["c"] for p in more} & set(values)


def test_parallel_batches_with_running_experiments_are_distinct_on_a_continuous_space():
    opt = tpe(WarmUp="4", maxJobNum="-1")
    running = opt.search(4, [])
    for _ in range(4):  # one finishes, the next batch is proposed while three still run
        done, running = running[0], running[1:]
        got = opt.search(1, [result(0, done, objective(done))])
        running += got
        assert len(got) == 1 and got[0] not in running[:-1]
    batch = opt.search(4, [])
    assert len(batch) == 4 and all(p not in running for p in batch)
    assert len({tuple(sorted(p.items())) for p in batch}) == 4


def test_restart_with_running_and_pending_experiments_gives_the_same_next_suggestions():
    kw = {"WarmUp": "4", "maxJobNum": "-1"}
    opt = tpe(**kw)
    drive(opt, limit=6)
    running = opt.search(3, [])  # three running when the engine stops
    state = pickle.loads(pickle.dumps(opt.get_state()))
    fresh = tpe(**kw)
    fresh.set_state(state)
    assert fresh.search(2, []) == opt.search(2, [])  # proposed while all are still running
    finished = [result(50, running[0], objective(running[0])), result(51, running[2], None)]
    assert fresh.search(3, finished) == opt.search(3, finished)


def test_the_same_seed_gives_the_same_batches():
    def run(seed: str) -> list[dict]:
        return drive(tpe(WarmUp="4", maxJobNum="14", RandomSeed=seed), batch=4)

    assert run("5") == run("5")
    assert run("5") != run("6")


def test_the_best_good_experiments_weigh_most_in_the_good_density():
    # every finished experiment is "good" (GoodRatio 1), in two clusters of the same shape: the
    # ten best around 0.8, ten worse around 0.2. Weighted alike, l(x) would split between them.
    opt = tpe(LINE, WarmUp="3", GoodRatio="1", GoodMax="25", maxJobNum="-1")
    warm = opt.search(3, [])
    done = [result(i, p, 10.0 + i) for i, p in enumerate(warm)]
    done += [result(3 + i, {"x": 0.71 + 0.02 * i}, 0.1 * i) for i in range(10)]
    done += [result(13 + i, {"x": 0.11 + 0.02 * i}, 1.0 + 0.1 * i) for i in range(10)]
    got = [p["x"] for p in opt.search(8, done)]
    assert sum(x > 0.5 for x in got) >= 7, got


def test_running_experiments_count_at_their_believed_results_so_the_next_batch_spreads_around_the_good():
    # the good experiments sit around 0.5 and so do the six proposals still running. Believed at
    # their neighbours' (good) results they take good places, and the finished experiments they
    # displace count in g(x): the next batch spreads around 0.5 instead of piling on it (left out
    # of the model, 36 of these 36 proposals were within 0.1 of 0.5; believed, 22), and it never
    # leaves the region (all within 0.3) nor repeats a running proposal.
    spread = [0.02, 0.06, 0.1, 0.18, 0.26, 0.34, 0.66, 0.74, 0.82, 0.9, 0.94, 0.98]
    near = around = 0
    for seed in range(6):
        opt = tpe(LINE, WarmUp="3", RandomSeed=str(seed), maxJobNum="-1")
        done = [result(i, p, 10.0 + i) for i, p in enumerate(opt.search(3, []))]
        done += [result(3 + i, {"x": 0.46 + 0.02 * i}, 0.1 * i) for i in range(5)]
        done += [result(8 + i, {"x": x}, 5.0 + i) for i, x in enumerate(spread)]
        running = opt.search(6, done)
        assert sum(abs(p["x"] - 0.5) < 0.15 for p in running) >= 5
        batch = opt.search(6, [])
        assert not any(p in running for p in batch)
        near += sum(abs(p["x"] - 0.5) < 0.1 for p in batch)
        around += sum(abs(p["x"] - 0.5) < 0.3 for p in batch)
    assert near < 30 and around == 36, (near, around)


def test_a_running_point_is_believed_at_its_neighbours_results_weighted_by_closeness():
    done = np.array([[0.0, 0], [1.0, 0], [0.4, 0], [0.6, 0], [0.2, 0], [0.9, 0], [0.5, 1], [0.8, 1]])
    results = np.array([1.0, 3.0, 2.0, 2.0, 1.0, 3.0, 100.0, 100.0])
    categorical = np.array([False, True])
    # on a finished point: its result; among its neighbours of the same category: in between them
    got = believed_results(done, results, np.array([[0.0, 0], [0.5, 0]]), categorical)
    assert got[0] == pytest.approx(1.0, abs=1e-6)
    assert 1.0 < got[1] < 3.0
    # the closest neighbours weigh most: next to the two 100s of its own category
    assert believed_results(done, results, np.array([[0.45, 1]]), categorical)[0] > 50
    # categories are unordered: index 2 is as far from index 0 as index 1 is (1, not 2), so two
    # neighbours 1 and 0.9 away weigh about alike
    two = believed_results(np.array([[0.0, 2], [0.9, 0]]), np.array([10.0, 0.0]), np.array([[0.0, 0]]), categorical)
    assert 4 < two[0] < 6


def test_recombined_candidates_mix_coordinates_and_keep_each_parameter_s_values():
    a = np.arange(8, dtype=float)
    samples = {"x": a, "y": a + 100.0}  # every candidate has y = x + 100
    got = recombined(samples, np.random.RandomState(0), 0.5)
    assert list(got["x"][:4]) == list(a[:4]) and list(got["y"][:4]) == list(a[:4] + 100)  # untouched
    assert sorted(got["x"][4:]) == list(a[4:]) and sorted(got["y"][4:]) == list(a[4:] + 100)
    assert any(y != x + 100 for x, y in zip(got["x"][4:], got["y"][4:]))  # pairs mixed
    assert list(samples["x"]) == list(a)  # the input is left alone
    assert recombined(samples, np.random.RandomState(0), 0.1) is samples  # fewer than 2: nothing


def test_only_picks_made_while_experiments_run_recombine_candidates(monkeypatch):
    def sequential() -> list[dict]:
        return drive(tpe(WarmUp="4", maxJobNum="12"))

    def busy() -> list[dict]:
        opt = tpe(WarmUp="4", maxJobNum="-1")
        running = opt.search(4, [])
        got = []
        for i in range(6):  # one finishes, the next is proposed while three still run
            done, running = running[0], running[1:]
            running += opt.search(1, [result(i, done, objective(done))])
            got.append(running[-1])
        return got

    plain = sequential(), busy()
    monkeypatch.setattr(tpe_sampler, "RECOMBINED", 0.0)
    assert sequential() == plain[0]
    assert busy() != plain[1]
