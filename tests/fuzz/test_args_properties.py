"""Properties of WMLA's `args` parser (dlicli/wmlaargs.py) and the engine's reading of it
(engine/tasks/execargs.py), over any text: the only failures are WmlaArgsError and
EngineError(400) naming the option; `join` round-trips any tokens; the model's args after `--`
come through verbatim, even when spelled like WMLA options."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dlicli.engine import EngineError
from dlicli.engine.tasks import execargs
from dlicli.wmla import WMLA_ARG_KINDS
from dlicli.wmlaargs import WmlaArgsError, join, parse, split
from tests.fuzz.examples import count

EXAMPLES = settings(max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPTIONS = sorted(WMLA_ARG_KINDS)
# words an args string is made of: WMLA options (bare and `=value`), their likely values, quotes,
# `--`, dashes, numbers and any text at all
WORDS = st.one_of(
    st.sampled_from(OPTIONS),
    st.builds(lambda o, v: f"{o}={v}", st.sampled_from(OPTIONS), st.text(max_size=8)),
    st.sampled_from(["--", "-", "-1", "-1e3", "'", '"', "\\", "PyTorch", "python", "m.py", "gpu", "4", "0", "x=y"]),
    st.integers(-(10**30), 10**30).map(str),
    st.text(max_size=12),
)
ARGS_TEXT = st.one_of(st.lists(WORDS, max_size=12).map(" ".join), st.text(max_size=80))
TOKENS = st.lists(st.text(max_size=15), max_size=10)


@EXAMPLES
@given(ARGS_TEXT)
def test_parse_raises_nothing_but_wmla_args_error(args):
    count("wmlaargs.parse: any args")
    try:
        parsed = parse(args)
    except WmlaArgsError as exc:
        assert str(exc).startswith("option --"), exc
        return
    assert all(isinstance(t, str) for t in parsed.model_args)


@EXAMPLES
@given(ARGS_TEXT)
def test_the_engine_reads_any_args_or_answers_400(args):
    count("execargs.parse_args: any args")
    try:
        execargs.parse_args(args)
    except EngineError as exc:
        assert exc.status == 400, exc
        assert exc.message.strip(), "a 400 says what is wrong"


@EXAMPLES
@given(TOKENS)
def test_join_round_trips_any_tokens(tokens):
    count("wmlaargs.join: round trip")
    assert split(join(tokens)) == (tokens, None)


@EXAMPLES
@given(st.lists(st.one_of(st.text(max_size=15), st.sampled_from(OPTIONS), st.just("--")), max_size=10))
def test_model_args_after_the_separator_survive_verbatim(model_args):
    count("wmlaargs.parse: args after --")
    args = "--exec-start PyTorch --model-main main.py --numWorker 2 -- " + join(model_args)
    parsed = parse(args)
    assert parsed.separated
    assert parsed.model_args == model_args
    assert parsed.options["--numWorker"] == "2"
    assert execargs.parse_args(args).model_args == model_args
