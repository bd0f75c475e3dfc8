"""HPO bodies one field off a valid one (the hpospec properties' strategy), sent as JSON to a real
engine's POST /hypersearch/algorithm/debug, which reads them exactly as POST /hypersearch does
(hpo/input.py) without starting a search: every answer is a 200 or a 4xx with a message, never a 5xx."""

from __future__ import annotations

import json

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.examples import count
from tests.fuzz.test_hpospec_properties import SPEC, VALID_SPEC, near_valid


@settings(max_examples=100, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(VALID_SPEC, near_valid(), SPEC))
def test_the_engine_reads_any_hpo_body_without_a_5xx(fuzz_engine, body):
    count("POST /hypersearch/algorithm/debug: hpo bodies")
    text = json.dumps(body)
    with httpx.Client(base_url=fuzz_engine.url, timeout=15) as client:
        try:
            response = client.post(
                "/hypersearch/algorithm/debug",
                content=text,
                headers={"Authorization": f"Bearer {fuzz_engine.token}", "Content-Type": "application/json"},
            )
        except httpx.TimeoutException:
            raise AssertionError(f"no answer in 15 s to {text[:2000]}") from None
    assert response.status_code < 500, f"{response.status_code}: {response.text[:300]}\n{body}"
    if response.status_code >= 400:
        assert response.json()["message"]
