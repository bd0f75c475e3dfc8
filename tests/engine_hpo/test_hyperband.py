"""Hyperband: the bracket table from the formula, successive halving on fed results, state."""

from __future__ import annotations

import math
import pickle

import pytest

from dlicli.engine.hpo.algorithms.base import OptimizerError, make_optimizer
from dlicli.engine.hpo.algorithms.hyperband import bracket_table

from .helpers import result

SPACE = [
    {"name": "x", "type": "Range", "dataType": "double", "minDbVal": 0, "maxDbVal": 1},
    {"name": "opt", "type": "Discrete", "dataType": "str", "discreateStrVal": ["a", "b"]},
    {"name": "epochs", "type": "Range", "dataType": "int", "minIntVal": 1, "maxIntVal": 5},  # the resource: replaced
]
CLASSIC = [
    [(27, 1), (9, 3), (3, 9), (1, 27)],
    [(12, 3), (4, 9), (1, 27)],
    [(6, 9), (2, 27)],
    [(4, 27)],
]


def formula_table(R: int, eta: int) -> list[list[tuple[int, int]]]:
    s_max = math.floor(math.log(R) / math.log(eta) + 1e-9)
    out = []
    for s in range(s_max, -1, -1):
        n, rungs = math.ceil((s_max + 1) / (s + 1) * eta**s), []
        for i in range(s + 1):
            rungs.append((n, R * eta**i // eta**s))
            n //= eta
        out.append(rungs)
    return out


def test_bracket_table_is_the_classic_one():
    assert formula_table(27, 3) == CLASSIC
    assert bracket_table(27, 3) == CLASSIC
    assert bracket_table(81, 3) == formula_table(81, 3)
    assert bracket_table(16, 2) == formula_table(16, 2)
    assert bracket_table(1, 3) == [[(1, 1)]]


def hyperband(**kw):
    args = {"RandomSeed": "5", "ResourceName": "epochs", "ResourceValue": "27", **kw}
    return make_optimizer("Hyperband", "hb", SPACE, **args)


def run_rung(opt, loss):
    """Ask for far more than a rung holds; everything comes back at once; feed results back."""
    got = opt.search(100, [])
    return got, [result(i, p, loss(p)) for i, p in enumerate(got)]


def test_runs_the_table_and_promotes_exactly_the_top_third():
    opt = hyperband()
    assert opt.search(0, []) == []
    seen_table, pending = [], []
    for bracket in CLASSIC:
        rungs = []
        for i, (n, r) in enumerate(bracket):
            got = opt.search(100, pending)
            assert len(got) == n and {p["epochs"] for p in got} == {r}
            assert all(type(p["epochs"]) is int and 0 <= p["x"] <= 1 and p["opt"] in "ab" for p in got)
            if i:  # exactly the best floor(n_prev/eta) of the previous rung, by loss (lower x is better)
                prev = rungs[-1]
                best = sorted(prev, key=lambda p: p["x"])[:n]
                assert sorted(({k: v for k, v in p.items() if k != "epochs"} for p in got), key=lambda p: p["x"]) == [
                    {k: v for k, v in p.items() if k != "epochs"} for p in best
                ]
            assert opt.search(5, []) == [] and not opt.is_done()  # waiting for the rung
            pending = [result(j, p, p["x"] + 1.0 / p["epochs"]) for j, p in enumerate(got)]
            rungs.append(got)
        seen_table.append([(len(g), g[0]["epochs"]) for g in rungs])
    assert seen_table == CLASSIC
    assert opt.search(100, pending) == [] and opt.is_done()
    assert opt.count == sum(n for b in CLASSIC for n, _ in b) == 69


def test_failed_experiments_rank_last_and_maximize_is_respected():
    opt = hyperband(objective="maximize")
    got = opt.search(100, [])
    # maximise x, but the two best by x failed: they must not be promoted
    ranked = sorted(got, key=lambda p: -p["x"])
    failed = {id(p) for p in ranked[:2]}
    feed = [result(i, p, None if id(p) in failed else p["x"]) for i, p in enumerate(got)]
    nxt = opt.search(100, feed)
    want = [{"x": p["x"], "opt": p["opt"]} for p in ranked[2:11]]
    assert sorted(({"x": p["x"], "opt": p["opt"]} for p in nxt), key=lambda p: -p["x"]) == want


def test_results_may_arrive_piecemeal_and_in_any_order():
    opt = hyperband(ResourceValue="9")  # s_max=2: 9@1, 3@3, 1@9 first
    first = opt.search(4, [])
    assert len(first) == 4 and opt.search(0, []) == []
    rest = opt.search(100, [result(0, first[3], 0.5)])
    assert len(rest) == 5
    nxt = opt.search(100, [result(i, p, p["x"]) for i, p in enumerate(first[:3] + rest)])
    assert len(nxt) == 3 and {p["epochs"] for p in nxt} == {3}


def test_state_round_trip_resumes_the_bracket():
    opt = hyperband()
    _, feed = run_rung(opt, lambda p: p["x"])
    second = opt.search(4, feed)  # 4 of the 9 promoted are running
    state = pickle.loads(pickle.dumps(opt.get_state()))
    done = [result(i, p, p["x"]) for i, p in enumerate(second)]
    expect = opt.search(100, done)

    fresh = hyperband()
    fresh.set_state(state)
    assert fresh.search(100, done) == expect and len(expect) == 5
    assert fresh.get_state() == opt.get_state()


def test_max_job_num_ends_hyperband_early():
    opt = hyperband(maxJobNum="30")
    got, feed = run_rung(opt, lambda p: p["x"])
    assert len(got) == 27
    assert len(opt.search(100, feed)) == 3 and opt.is_done() and opt.search(1, []) == []


def test_eta_spellings_and_required_params():
    assert hyperband(hyperbandEta="2", ResourceValue="8").table[0] == [(8, 1), (4, 2), (2, 4), (1, 8)]
    assert hyperband(ETA="2", ResourceValue="8").table == hyperband(eta="2.0", ResourceValue="8").table
    with pytest.raises(OptimizerError, match="ResourceName: required"):
        make_optimizer("Hyperband", "hb", SPACE, ResourceValue="27")
    with pytest.raises(OptimizerError, match="ResourceValue: required"):
        make_optimizer("Hyperband", "hb", SPACE, ResourceName="epochs")
    with pytest.raises(OptimizerError, match="eta: must be greater than 1"):
        hyperband(eta="1")


def run_pass(opt, table=CLASSIC):
    """One whole pass, every rung fed back at once; returns every suggestion and the last results."""
    seen, feed = [], []
    for bracket in table:
        for _ in bracket:
            got = opt.search(100, feed)
            feed = [result(len(seen) + i, p, p["x"] + 1.0 / p["epochs"]) for i, p in enumerate(got)]
            seen += got
    return seen, feed


def test_max_job_num_makes_hyperband_start_a_second_pass_and_end_on_it():
    opt = hyperband(maxJobNum="80")
    first, feed = run_pass(opt)
    assert len(first) == 69 and not opt.is_done()
    second = opt.search(100, feed)  # the first bracket again with fresh configs, cut at maxJobNum
    assert len(second) == 11 and {p["epochs"] for p in second} == {1}
    assert not {(p["x"], p["opt"]) for p in second} & {(p["x"], p["opt"]) for p in first}
    assert opt.is_done() and opt.search(100, []) == []
    assert opt.get_state()["algo"]["passes"] == 2


def test_max_run_time_keeps_hyperband_going_and_state_survives_the_pass_boundary():
    opt = hyperband(maxRunTime="5")
    _, feed = run_pass(opt)
    state = pickle.loads(pickle.dumps(opt.get_state()))
    expect = opt.search(100, feed)
    assert len(expect) == 27 and not opt.is_done()
    fresh = hyperband(maxRunTime="5")
    fresh.set_state(state)
    assert fresh.search(100, feed) == expect


def test_without_max_job_num_or_max_run_time_one_pass_ends_it():
    for kw in ({}, {"maxJobNum": "-1", "maxRunTime": "-1"}):
        opt = hyperband(**kw)
        _, feed = run_pass(opt)
        assert opt.search(100, feed) == [] and opt.is_done()
