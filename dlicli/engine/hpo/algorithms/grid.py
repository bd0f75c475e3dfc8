"""ExperimentGridSearch: exactly the given `experiments`, in the given order, then done.

Each experiment is {"id", "hyperParams" | "fixedHyperParams": [{"name", "dataType", "fixedVal"}]};
fixedVal is typed by dataType (int, double, str; any case). Pass them as `experiments=` (a list
or its JSON text), or as the hyper_parameters list itself.
"""

from __future__ import annotations

import json
from typing import Any

from dlicli.engine.hpo.algorithms.base import BasePluginOptimizer, OptimizerError, kwarg
from dlicli.engine.hpo.algorithms.space import to_number

_CAST = {"int": int, "integer": int, "double": float, "float": float, "str": str, "string": str}


def _typed(where: str, dtype: Any, value: Any) -> Any:
    cast = _CAST.get(str(dtype).strip().lower())
    if cast is None:
        raise OptimizerError(f"{where}.dataType: must be int, double or str, not {dtype!r}")
    try:
        return str(value) if cast is str else to_number(value, cast)
    except (TypeError, ValueError, OverflowError):
        raise OptimizerError(f"{where}.fixedVal: not of dataType {str(dtype).lower()}: {value!r}") from None


def parse_experiments(experiments: Any) -> list[dict[str, Any]]:
    """The experiments as a list of {name: typed value}, in order."""
    if isinstance(experiments, str):
        try:
            experiments = json.loads(experiments)
        except ValueError as e:
            raise OptimizerError(f"experiments: not JSON: {e}") from None
    if not isinstance(experiments, list) or not experiments:
        raise OptimizerError("experiments: must be a non-empty list")
    out = []
    for i, exp in enumerate(experiments):
        keys = {str(k).lower(): v for k, v in (exp.items() if isinstance(exp, dict) else [])}
        params = keys.get("hyperparams", keys.get("fixedhyperparams"))
        if not isinstance(params, list) or not params:
            raise OptimizerError(f"experiments[{i}].hyperParams: must be a non-empty list")
        config = {}
        for j, hp in enumerate(params):
            where = f"experiments[{i}].hyperParams[{j}]"
            hp = {str(k).lower(): v for k, v in (hp.items() if isinstance(hp, dict) else [])}
            if not hp.get("name"):
                raise OptimizerError(f"{where}.name: required")
            if "fixedval" not in hp:
                raise OptimizerError(f"{where}.fixedVal: required")
            config[str(hp["name"])] = _typed(where, hp.get("datatype", "str"), hp["fixedval"])
        out.append(config)
    return out


class ExperimentGridSearch(BasePluginOptimizer):
    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        super().__init__(name, hyper_parameters, **kwargs)
        self.configs = parse_experiments(kwarg(kwargs, "experiments", hyper_parameters))
        self.next = 0
        try:
            jobs = int(float(kwarg(kwargs, "maxJobNum", -1)))
        except (TypeError, ValueError):
            raise OptimizerError(f"maxJobNum: not an integer: {kwarg(kwargs, 'maxJobNum')!r}") from None
        if jobs > 0:
            self.configs = self.configs[:jobs]

    def search(self, number_samples: int, last_exp_results: list[dict[str, Any]]) -> list[dict[str, Any]]:
        n = max(0, int(number_samples))
        out = [dict(c) for c in self.configs[self.next : self.next + n]]
        self.next += len(out)
        return out

    def is_done(self) -> bool:
        return self.next >= len(self.configs)

    def get_state(self) -> dict[str, Any]:
        return {"next": self.next}

    def set_state(self, state: dict[str, Any]) -> None:
        self.next = int(state["next"])
