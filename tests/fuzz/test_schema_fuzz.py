"""A schema fuzz of the engine with schemathesis: requests made from the OpenAPI document the engine
serves (valid ones and, in the negative mode, ones that break it), sent over HTTP to a real engine
on 127.0.0.1 with the admin token. No answer may be a 5xx, and none may take longer than
REQUEST_TIMEOUT (a hang fails the test).

The short run (FUZZ_EXAMPLES per operation) is in the default suite; the long one is `slow`:
    DLICLI_FUZZ_EXAMPLES=200 python -m pytest tests/fuzz/test_schema_fuzz.py -m slow -p no:cacheprovider
The figures (requests, bad inputs, clean errors, 5xx) are printed at the end of the session.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import GenerationMode

from tests.fuzz.tally import TALLY

DOCUMENT = Path(__file__).resolve().parents[2] / "dlicli" / "engine" / "api" / "openapi.json"
REQUEST_TIMEOUT = 15.0  # seconds; the engine answers every one of these in well under a second
FUZZ_EXAMPLES = 6
LONG_EXAMPLES = int(os.environ.get("DLICLI_FUZZ_EXAMPLES", "60"))

schema = schemathesis.openapi.from_path(DOCUMENT)
# every request carries the admin token (no generated or dropped Authorization: the 401 paths have
# their own tests), so the fuzz reaches the handlers
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False
)


@pytest.fixture(scope="module")
def tally():
    yield TALLY
    TALLY.write(os.environ.get("DLICLI_FUZZ_FIGURES"))


def call(case, engine) -> None:
    headers = {"Authorization": f"Bearer {engine.token}"}
    try:
        response = case.call(base_url=engine.root, headers=headers, timeout=REQUEST_TIMEOUT)
    except Exception as exc:  # a timeout or a dropped connection: the engine hung or died
        TALLY.fail(case, f"no answer: {type(exc).__name__}: {exc}")
        raise AssertionError(f"{case.method} {case.formatted_path}: no answer ({exc})") from exc
    TALLY.record(case, response.status_code, response.content)
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path} → {response.status_code}: {response.text[:500]}\n{case.as_curl_command()}"
    )


QUICK = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)
LONG = settings(QUICK, max_examples=LONG_EXAMPLES, derandomize=False)


@schema.parametrize()
@QUICK
def test_no_operation_answers_5xx_or_hangs(case, fuzz_engine, tally):
    call(case, fuzz_engine)


@pytest.mark.slow
@schema.parametrize()
@LONG
def test_no_operation_answers_5xx_or_hangs_long(case, fuzz_engine, tally):
    call(case, fuzz_engine)
