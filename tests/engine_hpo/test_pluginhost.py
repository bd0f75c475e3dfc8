"""A WMLA plugin folder run unchanged through the plugin host, in its own subprocess."""

from __future__ import annotations

import base64
import json
import os
import pickle
import sys
import textwrap
from pathlib import Path

import pytest

from dlicli.engine.hpo.algorithms.base import OptimizerError
from dlicli.engine.hpo.pluginhost import PluginError, PluginHost, plugin_python

from .helpers import SPACE, result

OPTIMIZER = '''
import json

import numpy as np

from plugins.core.base_plugin_opt import BasePluginOptimizer
from plugins.core.logger import logger


class PluginOptimizer(BasePluginOptimizer):
    """Random search as a WMLA user would write it."""

    def __init__(self, name, hyper_parameters, **kwargs):
        super(PluginOptimizer, self).__init__(name, hyper_parameters, **kwargs)
        self.rng = np.random.RandomState(int(kwargs.get("RandomSeed", "0")))
        self.budget = int(kwargs.get("maxJobNum", "-1"))
        self.made = 0
        self.seen = []
        with open("received.json", "w") as f:
            json.dump({"name": name, "hyper_parameters": self._hyper_parameters, "kwargs": kwargs}, f)
        logger.info("plugin ready with %d hyperparameters", len(hyper_parameters))

    def search(self, number_samples, last_exp_results):
        print("noise on stdout must not break the protocol")
        self.seen.extend(r["id"] for r in last_exp_results)
        out = []
        for _ in range(number_samples):
            if 0 <= self.budget <= self.made:
                break
            exp = {}
            for hp in self._hyper_parameters:
                if hp["type"] == "Range" and hp["dataType"] == "DOUBLE":
                    exp[hp["name"]] = self.rng.uniform(hp["minDbVal"], hp["maxDbVal"])
                elif hp["type"] == "Range":
                    exp[hp["name"]] = self.rng.randint(hp["minIntVal"], hp["maxIntVal"] + 1)
                else:
                    key = {"INT": "discreteIntVal", "DOUBLE": "discreteDbVal", "STR": "discreateStrVal"}[hp["dataType"]]
                    exp[hp["name"]] = hp[key][self.rng.randint(len(hp[key]))]
            out.append(exp)
            self.made += 1
        logger.debug("suggested %d", len(out))
        return out

    def get_state(self):
        return {"rng": self.rng.get_state(), "made": self.made, "seen": self.seen}

    def set_state(self, state):
        self.rng.set_state(state["rng"])
        self.made, self.seen = state["made"], state["seen"]
'''


@pytest.fixture
def plugin_dir(tmp_path) -> Path:
    d = tmp_path / "myrandom"
    d.mkdir()
    (d / "optimizer.py").write_text(OPTIMIZER)
    return d


def host(plugin_dir: Path, log: Path | None = None, **kw) -> PluginHost:
    kw.setdefault("RandomSeed", 11)
    return PluginHost(plugin_dir, "myrandom", SPACE, log_path=log, objective="minimize", objectiveMetric="loss", **kw)


def test_plugin_runs_in_its_own_process_with_wmla_imports(plugin_dir, tmp_path):
    log = tmp_path / "plugin.log"
    with host(plugin_dir, log, maxJobNum=-1, log_level="DEBUG") as opt:
        assert opt.proc.pid != os.getpid()
        first = opt.search(3, [])
        assert len(first) == 3
        for p in first:
            assert type(p["x"]) is float and -5 <= p["x"] <= 10
            assert p["opt"] in ("sgd", "adam", "rms") and type(p["units"]) is int
        second = opt.search(2, [result(1, first[0], 0.5), result(2, first[1], None)])
        assert len(second) == 2 and second != first[:2]
    received = json.loads((plugin_dir / "received.json").read_text())
    assert received["name"] == "myrandom"
    assert received["kwargs"] == {
        "RandomSeed": "11",
        "maxJobNum": "-1",
        "objective": "minimize",
        "objectiveMetric": "loss",
    }  # algoParams as strings
    hps = received["hyper_parameters"]
    assert hps[1] == {"name": "x", "type": "Range", "dataType": "DOUBLE", "minDbVal": -5.0, "maxDbVal": 10.0}
    assert hps[6]["discreateStrVal"] == ["sgd", "adam", "rms"] and hps[6]["type"] == "Discrete"
    text = log.read_text()
    assert "plugin ready with 9 hyperparameters" in text and "suggested 2" in text
    assert "noise on stdout must not break the protocol" in text


@pytest.mark.slow
def test_state_is_a_pickled_numpy_rng_and_a_fresh_process_resumes(plugin_dir):
    with host(plugin_dir) as a:
        a.search(4, [])
        state = a.get_state()
        expected = a.search(3, [result(7, {"x": 1}, 1.0)])
    assert isinstance(state, str)
    decoded = pickle.loads(base64.b64decode(state))
    assert decoded["rng"][0] == "MT19937" and type(decoded["rng"][1]).__module__ == "numpy"
    assert decoded["made"] == 4
    with host(plugin_dir) as b:
        b.set_state(pickle.loads(pickle.dumps(state)))
        assert b.search(3, [result(7, {"x": 1}, 1.0)]) == expected
        assert pickle.loads(base64.b64decode(b.get_state()))["seen"] == [7]


def test_empty_list_means_done(plugin_dir):
    with host(plugin_dir, maxJobNum="2") as opt:
        assert len(opt.search(5, [])) == 2 and not opt.is_done()
        assert opt.search(5, []) == [] and opt.is_done()


def write(plugin_dir: Path, body: str) -> None:
    (plugin_dir / "optimizer.py").write_text(textwrap.dedent(body))


def test_a_plugin_exception_comes_back_with_its_traceback(plugin_dir):
    write(
        plugin_dir,
        """
        from plugins.core.base_plugin_opt import BasePluginOptimizer

        class PluginOptimizer(BasePluginOptimizer):
            def search(self, number_samples, last_exp_results):
                return self.helper()

            def helper(self):
                raise ValueError("no more ideas")
        """,
    )
    with host(plugin_dir) as opt:
        with pytest.raises(PluginError) as e:
            opt.search(1, [])
        assert str(e.value) == "plugin myrandom: search failed: ValueError: no more ideas"
        assert "optimizer.py" in e.value.traceback and "in helper" in e.value.traceback
        with pytest.raises(PluginError, match="set_state failed: Error"):
            opt.set_state("not base64 pickle")  # the process is still alive and answering
        assert opt.get_state()  # BasePluginOptimizer.get_state → None, pickled


def test_a_plugin_that_dies_or_is_missing(plugin_dir, tmp_path):
    write(
        plugin_dir,
        """
        import os, sys
        from plugins.core.base_plugin_opt import BasePluginOptimizer

        class PluginOptimizer(BasePluginOptimizer):
            def search(self, number_samples, last_exp_results):
                sys.stderr.write("segfault, say\\n")
                sys.stderr.flush()
                os._exit(3)
        """,
    )
    with host(plugin_dir) as opt:
        with pytest.raises(PluginError, match=r"exited \(3\) during search") as e:
            opt.search(1, [])
        assert "segfault, say" in e.value.traceback
    (plugin_dir / "optimizer.py").write_text("class Other: pass\n")
    with pytest.raises(PluginError, match="defines no class PluginOptimizer"):
        host(plugin_dir)
    with pytest.raises(PluginError, match=r"no optimizer\.py"):
        host(tmp_path / "nothing-here")


def test_conda_python_without_dlicli_installed(plugin_dir, tmp_path):
    base = getattr(sys, "_base_executable", sys.executable)
    env_bin = tmp_path / "conda" / "envs" / "hpo" / "bin"
    env_bin.mkdir(parents=True)
    (env_bin / "python").symlink_to(base)
    assert plugin_python(str(tmp_path / "conda"), "hpo") == str(env_bin / "python")
    assert plugin_python(None, str(tmp_path / "conda" / "envs" / "hpo")) == str(env_bin / "python")
    with pytest.raises(OptimizerError, match="no python in the conda environment"):
        plugin_python(str(tmp_path), "missing")
    write(
        plugin_dir,
        """
        import sys
        from plugins.core.base_plugin_opt import BasePluginOptimizer
        from plugins.core.logger import logger

        class PluginOptimizer(BasePluginOptimizer):
            def search(self, number_samples, last_exp_results):
                return [{"python": sys.executable}]
        """,
    )
    with host(plugin_dir, conda_home=str(tmp_path / "conda"), conda_env="hpo") as opt:
        assert opt.search(1, []) == [{"python": str(env_bin / "python")}]
