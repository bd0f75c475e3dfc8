"""docs/wmla-compatibility.md says, for every WMLA option the parser knows, what wmla.WMLA_ARGS says
the engine does with it; and every framework the engine runs is in it."""

from __future__ import annotations

import re
from pathlib import Path

from dlicli.engine.tasks.frameworks import frameworks
from dlicli.wmla import WMLA_ARGS

DOC = (Path(__file__).resolve().parent.parent / "docs" / "wmla-compatibility.md").read_text()


def test_every_wmla_option_has_its_row_with_the_tables_effect():
    rows = {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(r"^\| `(--[\w-]+)[^`]*` \| (\w+) \| (.*) \|$", DOC, re.M)
    }
    for name, _kind, effect in WMLA_ARGS:
        what, _, text = effect.partition(": ")
        assert rows.get(name) == (what, text), f"{name}: regenerate its row from wmla.WMLA_ARGS"
    assert set(rows) == {name for name, _, _ in WMLA_ARGS}


def test_every_framework_the_engine_runs_is_documented():
    for framework in frameworks():
        assert f"| `{framework['name']}` | runs |" in DOC
