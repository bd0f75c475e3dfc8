"""Properties of the HPO spec checker (dlicli/hpospec): for any spec, YAML/JSON text or structure,
shaped like startHPO's body or not, the outcome is a body and warnings or a SpecError/UsageError
listing problems, never another exception (which the CLI would show as a traceback)."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlicli import hpospec
from dlicli.errors import UsageError
from dlicli.wmla import ALGO_DEF_KEYS, BUILTIN_ALGORITHMS, HYPER_PARAM_KEYS, MODEL_SPEC_KEYS, TOP_KEYS
from tests.fuzz.examples import count

EXAMPLES = settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NUMBERS = st.one_of(
    st.integers(),
    st.integers(-(10**40), 10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 1, 1e308, -1e308, 1e-320, 2**63, "1e400", "NaN", "-inf", "0x10", "1_000"]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=10))
ANY = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=12,
)


def shaped(keys: tuple[str, ...], values: dict[str, st.SearchStrategy] | None = None) -> st.SearchStrategy:
    """Dicts with some of `keys` (and now and then an unknown one), values likely for each key or anything."""
    values = values or {}
    key = st.one_of(st.sampled_from(keys), st.text(max_size=6))
    return st.dictionaries(key, ANY, max_size=3).flatmap(
        lambda extra: st.fixed_dictionaries({}, optional={k: st.one_of(values.get(k, ANY), ANY) for k in keys}).map(
            lambda d: {**extra, **d}
        )
    )


HYPER_PARAM = shaped(
    HYPER_PARAM_KEYS,
    {
        "name": st.sampled_from(["lr", "batch", "", "a b"]),
        "type": st.sampled_from(["Range", "range", "Discrete", "DISCRETE", "Fix", "other"]),
        "dataType": st.sampled_from(["int", "double", "str", "DOUBLE", "float"]),
        "minDbVal": NUMBERS,
        "maxDbVal": NUMBERS,
        "minIntVal": NUMBERS,
        "maxIntVal": NUMBERS,
        "discreteDbVal": st.lists(NUMBERS, max_size=4),
        "discreteIntVal": st.lists(NUMBERS, max_size=4),
        "discreateStrVal": st.lists(st.text(max_size=5), max_size=4),
        "step": st.one_of(NUMBERS, NUMBERS.map(str)),
        "power": st.one_of(NUMBERS, NUMBERS.map(str)),
    },
)
ALGO_DEF = shaped(
    ALGO_DEF_KEYS,
    {
        "algorithm": st.sampled_from([*BUILTIN_ALGORITHMS, "random", "myplugin", ""]),
        "maxJobNum": NUMBERS,
        "maxRunTime": NUMBERS,
        "maxParalleJobNum": NUMBERS,
        "objective": st.sampled_from(["minimize", "Maximize", "latest", "up"]),
        "objectiveMetric": st.sampled_from(["loss", ""]),
        "algoParams": st.lists(shaped(("name", "value")), max_size=3),
        "hyperbandEta": NUMBERS,
    },
)
MODEL_SPEC = shaped(
    MODEL_SPEC_KEYS,
    {"args": st.sampled_from(["--exec-start PyTorch --model-main m.py", "--model-main", "", "-- x"]) | st.text()},
)
SPEC = shaped(
    TOP_KEYS,
    {
        "hpoName": st.text(max_size=8),
        "modelSpec": MODEL_SPEC,
        "algoDef": ALGO_DEF,
        "hyperParams": st.lists(HYPER_PARAM, max_size=3),
        "experiments": st.lists(shaped(("id", "hyperParams")), max_size=3),
    },
)

FINITE = st.floats(-1e6, 1e6, allow_nan=False)
VALID_PARAM = st.one_of(
    st.tuples(st.integers(-1000, 1000), st.integers(1, 1000)).map(
        lambda t: {"name": "batch", "type": "Range", "dataType": "int", "minIntVal": t[0], "maxIntVal": t[0] + t[1]}
    ),
    st.tuples(FINITE, st.floats(1e-3, 1e3)).map(
        lambda t: {"name": "lr", "type": "range", "dataType": "double", "minDbVal": t[0], "maxDbVal": t[0] + t[1]}
    ),
    st.lists(st.text("abc", min_size=1, max_size=3), min_size=1, max_size=4, unique=True).map(
        lambda v: {"name": "opt", "type": "Discrete", "dataType": "str", "discreteStrVal": v}
    ),
)
VALID_SPEC = st.builds(
    lambda algorithm, jobs, params: {
        "hpoName": "h1",
        "modelSpec": {"args": "--exec-start PyTorch --model-main main.py"},
        "algoDef": {"algorithm": algorithm, "maxJobNum": jobs, "objectiveMetric": "loss", "objective": "minimize"},
        "hyperParams": params,
    },
    st.sampled_from(["Random", "Tpe", "Bayesian"]),
    st.integers(1, 20),
    st.lists(VALID_PARAM, min_size=1, max_size=3, unique_by=lambda p: p["name"]),
)


@st.composite
def near_valid(draw) -> dict:
    """A valid spec with one field (at any depth) replaced by anything: the checker's edge cases."""
    spec = draw(VALID_SPEC)
    holder = draw(st.sampled_from([spec, spec["modelSpec"], spec["algoDef"], *spec["hyperParams"]]))
    key = draw(st.one_of(st.sampled_from(sorted(holder)), st.sampled_from(HYPER_PARAM_KEYS + ALGO_DEF_KEYS)))
    holder[key] = draw(st.one_of(NUMBERS, ANY))
    return spec


NUMBER_FIELDS = {
    "int": ("minIntVal", "maxIntVal", "discreteIntVal"),
    "double": ("minDbVal", "maxDbVal", "discreteDbVal"),
}
ALGO_NUMBERS = ("maxJobNum", "maxRunTime", "maxParalleJob", "maxParalleJobNum", "eta", "hyperbandEta")


def assert_finite(body: dict) -> None:
    """The numbers the checker checks are finite (JSON has no NaN or Infinity); a field it does not
    know keeps its value, with a warning (see the xfail test below)."""
    json.dumps(body)  # serialisable at all
    params = [hp for hp in body.get("hyperParams") or [] if isinstance(hp, dict)]
    numbers = [hp.get(k) for hp in params for k in NUMBER_FIELDS.get(str(hp.get("dataType")).lower(), ())]
    algo = body.get("algoDef")
    numbers += [algo.get(k) for k in ALGO_NUMBERS] if isinstance(algo, dict) else []
    try:
        json.dumps(numbers, allow_nan=False)
    except ValueError:
        raise AssertionError(f"accepted a non-finite number: {body!r}") from None


def check(spec) -> None:
    try:
        body, warnings = hpospec.validate(spec, "spec.yaml")
    except hpospec.SpecError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        count("hpospec.validate outcome: refused with problems")
        return
    count("hpospec.validate outcome: accepted")
    assert isinstance(body, dict)
    assert all(isinstance(w, str) for w in warnings)
    assert_finite(body)  # what `hpo start` sends is JSON, with no NaN or Infinity


@EXAMPLES
@given(SPEC)
def test_any_spec_shaped_like_start_hpo_is_checked_without_a_traceback(spec):
    count("hpospec.validate: spec-shaped")
    check(spec)


@EXAMPLES
@given(st.one_of(VALID_SPEC, near_valid()))
def test_a_valid_spec_or_one_field_off_is_checked_without_a_traceback(spec):
    count("hpospec.validate: valid or one field off")
    check(spec)


@EXAMPLES
@given(ANY)
def test_any_value_at_all_is_checked_without_a_traceback(spec):
    count("hpospec.validate: any value")
    check(spec)


@EXAMPLES
@given(
    st.one_of(st.text(max_size=200), st.one_of(SPEC, near_valid()).map(lambda s: yaml.safe_dump(s, allow_unicode=True)))
)
def test_any_text_loads_or_is_a_usage_error(text):
    count("hpospec.load: any text")
    for name in ("spec.yaml", "spec.json"):
        try:
            spec = hpospec.load(name, text)
        except UsageError as exc:
            assert str(exc).startswith(name), exc
            continue
        if isinstance(spec, float) and math.isnan(spec):
            continue
        check(spec)


def test_a_non_finite_number_in_an_unknown_field_is_refused():
    spec = {
        "modelSpec": {"args": "--exec-start PyTorch --model-main main.py"},
        "algoDef": {"algorithm": "Random", "maxJobNum": 1, "objectiveMetric": "loss", "objective": "minimize"},
        "hyperParams": [{"name": "b", "type": "Range", "dataType": "int", "minIntVal": 0, "maxIntVal": 1}],
        "name": math.inf,
    }
    with pytest.raises(hpospec.SpecError, match="name"):
        hpospec.validate(spec, "spec.yaml")
