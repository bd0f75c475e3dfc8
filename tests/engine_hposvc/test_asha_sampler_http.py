"""ASHA's RandomFraction through a real engine process over HTTP: a bad value is a 400 naming it."""

from __future__ import annotations

from tests.engine_hposvc.over_http import hpo_body, post_hpo

RESOURCE = {"ResourceName": "epochs", "ResourceValue": 9, "eta": 3, "RandomSeed": 4}


def test_asha_with_a_random_fraction_outside_0_1_is_400(admin):
    answer = post_hpo(admin, hpo_body("asha-rf", algorithm="ASHA", params={**RESOURCE, "RandomFraction": 2}))
    assert answer.status_code == 400
    assert answer.json()["message"] == "algoDef: ASHA: algoParams RandomFraction: must be in [0, 1], not 2"
    assert admin.get("hypersearch/asha-rf").status_code == 404
