"""The report as ONE self-contained HTML page that works offline: Optuna's plotly figures
(optimisation history, importances, parallel coordinates, slices, contour of the two most
important parameters), plotly.js embedded once, and the experiments table."""

from __future__ import annotations

import html
from typing import Any

from dlicli.hporeport import data, study
from dlicli.hporeport.data import Search
from dlicli.hporeport.extras import need

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
th{background:#f0f0f0}.note{color:#666}.best{background:#e8f6e8}"""


def figures(searches: list[Search], studies: list[Any], shares: dict[str, float]) -> list[tuple[str, Any]]:
    """(title, plotly figure) for every plot the page shows; the two-parameter ones only when
    there are two parameters."""
    vis = need("optuna.visualization")
    need("plotly")
    pooled = study.pooled(searches, studies)
    target = searches[0].metric_name
    figs: list[tuple[str, Any]] = [
        (
            "Optimisation history",
            vis.plot_optimization_history(studies if len(studies) > 1 else studies[0], target_name=target),
        ),
        ("Parallel coordinates", vis.plot_parallel_coordinate(pooled, target_name=target)),
        ("Slices", vis.plot_slice(pooled, target_name=target)),
    ]
    if shares:
        top_two = list(shares)[:2]
        figs.append(
            ("Contour of " + " and ".join(top_two), vis.plot_contour(pooled, params=top_two, target_name=target))
        )
        figs.append(
            (
                "Parameter importances (PED-ANOVA)",
                vis.plot_param_importances(pooled, evaluator=study.evaluator(pooled), target_name=target),
            )
        )
    return figs


def experiments_table(searches: list[Search]) -> str:
    names = list(searches[0].space)
    metric = searches[0].metric_name
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["SEARCH", "ID", "STATE", metric, *names])
    rows = []
    for search in searches:
        best_id = data.best(search).id
        for exp in search.experiments:
            cells = [search.name, exp.id, exp.state, "" if exp.value is None else f"{exp.value:.6g}"]
            cells += [exp.params.get(n, "") for n in names]
            mark = ' class="best"' if exp.id == best_id else ""
            rows.append(f"<tr{mark}>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def render(searches: list[Search], studies: list[Any], shares: dict[str, float], notes: list[str]) -> str:
    """The whole page."""
    title = "HPO report: " + ", ".join(s.name for s in searches)
    body = [f"<h1>{html.escape(title)}</h1>", _summary(searches)]
    body += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    for i, (heading, fig) in enumerate(figures(searches, studies, shares)):
        fig.update_layout(title=None, height=480)
        body.append(f"<h2>{html.escape(heading)}</h2>")
        body.append(fig.to_html(full_html=False, include_plotlyjs=i == 0, config={"responsive": True}))
    body += ["<h2>Experiments</h2>", experiments_table(searches)]
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _summary(searches: list[Search]) -> str:
    items = []
    for s in searches:
        top = data.best(s)
        items.append(
            f"<li><b>{html.escape(s.name)}</b> ({html.escape(s.state or 'no state')}): {len(s.finished)} finished, "
            f"{s.failed} failed of {len(s.experiments)}; best {html.escape(s.metric_name)} = {top.value:.6g} "
            f"({s.direction}) at experiment {html.escape(str(top.id))}</li>"
        )
    return "<ul>" + "".join(items) + "</ul>"
