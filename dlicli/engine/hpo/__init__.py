"""HyperSearch in the local engine (`engine.hpo`). Nothing is imported here: a WMLA plugin's own
Python imports pluginhost.py and algorithms/ (standard library only on that path).

    service.py      the 13 HyperSearch operations (HpoService): create, list, stop, restart, delete…
    driver.py       the search loop thread: experiments in, optimizer's suggestions out, state saved
    experiments.py  an experiment as an engine task: a code copy plus config.json, its tasks row
    input.py        the POST /hypersearch body checked and normalised (HpoInput)
    metrics.py      val_dict_list.json → an experiment's metrics and best value; the spec's views
    plugins.py      the engine's registry of installed WMLA plugins (install, list, build)
    pluginhost.py   a plugin in its own process (child side and parent side, JSON lines)
    algorithms/     the built-in algorithms and their contract (see algorithms/__init__.py)
    shim/           `plugins.core.*` as WMLA provides it to a plugin's optimizer.py
"""
