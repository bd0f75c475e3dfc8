"""The peers the built-ins are measured against: Optuna's TPESampler and GPSampler with their
defaults (seeded), behind the contract's search(n, last_exp_results). On request also
"Optuna TPE20": the TPESampler with 20 startup trials, WMLA's WarmUp default for Tpe (Optuna's
is 10), so Tpe can be compared with the same warm-up.

With more than one slot the TPE peer sets constant_liar=True (Optuna's advice for parallel
runs); GPSampler has no such switch. GPSampler needs torch (CPU is enough) and takes ~30 s per
100-trial search, so peer curves are cached by (Optuna version, sampler, problem, trials, slots,
seed) in $XDG_CACHE_HOME/dlicli-bench/peers.json: they are deterministic, only slow.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

PEERS = {  # column → (sampler, its non-default arguments)
    "Optuna TPE": ("TPESampler", {}),
    "Optuna GP": ("GPSampler", {}),
    "Optuna TPE20": ("TPESampler", {"n_startup_trials": 20}),
}
DEFAULT_PEERS = ("Optuna TPE", "Optuna GP")  # the aims' peers: Optuna's defaults


class OptunaPeer:
    def __init__(self, peer: tuple[str, dict], space: list[dict], seed: int, slots: int = 1):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.optuna = optuna
        self.dists = {
            hp["name"]: optuna.distributions.FloatDistribution(hp["minDbVal"], hp["maxDbVal"]) for hp in space
        }
        sampler, options = peer
        if sampler == "TPESampler":
            made = optuna.samplers.TPESampler(seed=seed, constant_liar=slots > 1, **options)
        else:
            made = optuna.samplers.GPSampler(seed=seed)
        self.study = optuna.create_study(sampler=made)
        self.asked: list = []

    def search(self, n: int, last: list[dict]) -> list[dict]:
        for r in last:
            trial = next(t for t in self.asked if t.params == r["hyperparameters"])
            self.asked.remove(trial)
            self.study.tell(trial, r["metricVal"])
        out = []
        for _ in range(n):
            trial = self.study.ask(self.dists)
            self.asked.append(trial)
            out.append(dict(trial.params))
        return out


def cache_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dlicli-bench" / "peers.json"


def cache_key(peer: str, problem: str, trials: int, slots: int, seed: int) -> str:
    import optuna

    return f"optuna {optuna.__version__}|{peer}|{problem}|{trials}|{slots}|{seed}"


def load_cache() -> dict[str, Any]:
    try:
        return json.loads(cache_path().read_text())
    except (OSError, ValueError):
        return {}


def save_cache(entries: dict[str, Any]) -> None:
    """Merge entries into the cache file (other runs may have written to it meanwhile)."""
    path = cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    merged = {**load_cache(), **entries}
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(merged, handle)
    os.replace(tmp, path)
