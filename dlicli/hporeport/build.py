"""A report made from getOneHPO answers: the searches, their studies, the importances and the notes
on what could not be shown; what each output (terminal, pipe, JSON, page) takes from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlicli.hporeport import data, study
from dlicli.hporeport.data import Search


@dataclass
class Report:
    searches: list[Search]
    studies: list[Any]
    shares: dict[str, float]
    notes: list[str]


def make(answers: list[tuple[str, Any]], override: str | None) -> Report:
    """answers: (name, getOneHPO's answer) per search. Exit 3 for a search with nothing finished, 2
    for an unknown direction or searches that cannot be overlaid."""
    searches = [data.search_of(name, task, override) for name, task in answers]
    data.check_comparable(searches)
    studies = study.studies(searches)
    shares = study.importances(study.pooled(searches, studies))
    return Report(searches, studies, shares, _notes(searches, shares))


def _notes(searches: list[Search], shares: dict[str, float]) -> list[str]:
    notes = []
    count = len(searches[0].space)
    if count < 2:
        notes.append(
            f"{count} searched parameter{'' if count == 1 else 's'}: no contour and no importances (they need two)"
        )
    elif not shares:
        notes.append("one finished experiment: no contour and no importances (they need two)")
    return notes


def as_data(report: Report) -> dict[str, Any]:
    """The report's numbers as plain data (--json)."""
    out = []
    for search in report.searches:
        top = data.best(search)
        out.append(
            {
                "hpoName": search.name,
                "objectiveMetric": search.metric_name,
                "objective": search.direction,
                "experiments": len(search.experiments),
                "finished": len(search.finished),
                "failed": search.failed,
                "bestSoFar": [{"id": i, "value": v, "best": b} for i, v, b in data.best_so_far(search)],
                "params": {
                    n: [{"value": p, "objective": v} for p, v in pairs] for n, pairs in data.per_param(search).items()
                },
                "best": {"id": top.id, "value": top.value, "hyperParams": top.params},
            }
        )
    return {"searches": out, "importances": report.shares, "notes": report.notes}
