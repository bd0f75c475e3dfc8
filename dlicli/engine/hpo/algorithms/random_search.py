"""Random: independent uniform draws from the space (log-uniform where `power` is set).

`RandomSeed` makes the sequence reproducible; the generator state is saved so a restarted
task continues the same sequence.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlicli.engine.hpo.algorithms.base import BuiltinOptimizer


class RandomSearch(BuiltinOptimizer):
    def __init__(self, name: str, hyper_parameters: list[dict[str, Any]], **kwargs: Any):
        super().__init__(name, hyper_parameters, **kwargs)
        self.rng = np.random.default_rng(self.seed)

    def _suggest(self, n: int) -> list[dict[str, Any]]:
        return [self.space.sample(self.rng) for _ in range(n)]

    def _state(self) -> Any:
        return self.rng.bit_generator.state

    def _load(self, state: Any) -> None:
        self.rng = np.random.default_rng()
        self.rng.bit_generator.state = state
