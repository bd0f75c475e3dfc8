"""HPO algorithms: the search space, Random, Tpe, Bayesian, Hyperband, ASHA, ExperimentGridSearch
(one module each; base.py holds the contract and the registry), and, in ../pluginhost.py, the WMLA
plugin host. Pure Python + numpy/scipy/optuna; no HTTP, no store. Nothing is imported here, so a
plugin process importing the shim stays light.

The contract (WMLA's plugin interface; built-ins and plugins alike)::

    opt = make_optimizer("Tpe", name, hyper_parameters, **kwargs)        # base.py, built-ins
    opt = PluginHost(plugin_dir, name, hyper_parameters, conda_home=…, **kwargs)  # ../pluginhost.py
    opt.search(number_samples, last_exp_results) -> list[dict]           # up to n new {name: value}
    opt.is_done() -> bool        # [] from search() means done only when is_done() (Hyperband waits)
    opt.get_state() -> picklable ; opt.set_state(state)  # on a fresh instance built with the same args

- hyper_parameters: WMLA's hyperParams (spellings: `dlicli.wmla`), keys in any case,
  `discreteStrVal` or `discreateStrVal`, values maybe strings: {"name", "type": Range|Discrete,
  "dataType": double|int|str, "minDbVal"/"maxDbVal" | "minIntVal"/"maxIntVal" | "discreteDbVal" | "discreteIntVal" |
  "discreateStrVal", "step"?, "power"?}. Suggested values are typed (int/float/str), on the step
  grid, and `power ** x` for a Range with power (the bounds are exponents). Plugins receive them
  canonical: type Range/Discrete, dataType DOUBLE/INT/STR, step/power as strings.
- kwargs: the algoParams by name, as strings (RandomSeed, WarmUp, EICandidate, GoodRatio, GoodMax,
  InitPoints, CubeSize, Noiseless, ResourceName, ResourceValue, MinResourceValue, RandomFraction,
  eta/hyperbandEta),
  plus "objective" (minimize|maximize), "objectiveMetric", "maxJobNum" ("-1" = unlimited), for
  built-ins "maxRunTime" (minutes, "-1" = unlimited: Hyperband and ASHA keep going only when
  maxJobNum or maxRunTime will end them) and, for ExperimentGridSearch, "experiments" (the spec's
  list, or its JSON text).
- last_exp_results: the experiments that finished since the previous call, each::

      {"id": 7,                                   # the experiment id
       "state": "FINISHED" | "FAILED",
       "hyperparameters": {"lr": 0.01, "opt": "adam"},   # as suggested
       "hyper_parameters": {...same...},
       "metricVal": 0.23 | None,                  # best objectiveMetric value; None if failed/none
       "objectiveMetric": "loss",
       "metrics": {"loss": {"min": 0.23, "max": 0.9, "latest": 0.25}, ...},
       "config": {"lr": 0.01, "opt": "adam", "epochs": 9}}  # config.json, incl. Hyperband's resource

  A FAILED experiment (or one with no metric) ranks last. Built-ins match results to their
  suggestions by value, so ids need not be known to them.
"""
