"""Inputs the fuzz does not send yet, each a bug listed in issue 10 that another part of that work
fixes (the `bounds` branch). Remove a filter when its fix is on main; the fuzz then covers it.

- A Range whose grid is large (an INT range of ±2**31, a `step` or `power` that splits a range
  finely) is materialised in memory by the engine: no answer for minutes and GBs of memory
  (issue 10: "an INT Range of ±10^30 makes the engine build the grid in memory").
"""

from __future__ import annotations

from typing import Any

LARGE_GRID = 10**5


def builds_a_large_grid(body: Any) -> bool:
    """Whether an HPO body (startHPO's shape) has a Range the engine would materialise at great size."""
    params = body.get("hyperParams") if isinstance(body, dict) else None
    if not isinstance(params, list):
        return False
    for hp in params:
        if not isinstance(hp, dict):
            continue
        if "step" in hp or "power" in hp:
            return True
        low, high = hp.get("minIntVal"), hp.get("maxIntVal")
        numbers = isinstance(low, (int, float)) and isinstance(high, (int, float))
        if numbers and not (abs(high - low) <= LARGE_GRID):  # also NaN and infinities
            return True
    return False
