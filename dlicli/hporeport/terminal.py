"""The report in a terminal: plotext charts fitted to its width (the objective per experiment with
the best so far, each parameter against the objective, the importances) and the best experiment's
parameters; piped, the same numbers as tab-separated tables under `# ` titles, no drawing."""

from __future__ import annotations

from typing import Any

from dlicli.hporeport import data
from dlicli.hporeport.data import Search
from dlicli.output import escape_controls


def _cell(value: Any) -> str:
    return escape_controls(f"{value:.6g}" if isinstance(value, float) else str(value))


def _table(title: str, header: list[str], rows: list[list[Any]]) -> str:
    lines = [f"# {title}", "\t".join(header), *("\t".join(_cell(c) for c in row) for row in rows)]
    return "\n".join(lines) + "\n"


def plain(searches: list[Search], shares: dict[str, float], notes: list[str]) -> str:
    """The report's numbers, piped: best so far, importances, the best parameters."""
    first = searches[0]
    series = [[s.name, i, v, b] for s in searches for i, v, b in data.best_so_far(s)]
    parts = [
        _table(
            f"{first.metric_name} ({first.direction}) per experiment", ["SEARCH", "ID", "VALUE", "BEST_SO_FAR"], series
        ),
        _table("importances", ["PARAM", "IMPORTANCE"], [[n, v] for n, v in shares.items()]),
    ]
    for search in searches:
        top = data.best(search)
        rows = [
            [search.name, top.id, first.metric_name, top.value],
            *([search.name, top.id, n, v] for n, v in top.params.items()),
        ]
        parts.append(_table(f"best experiment of {search.name}", ["SEARCH", "ID", "PARAM", "VALUE"], rows))
    parts.extend(f"# note: {note}\n" for note in notes)
    return "\n".join(parts)


MARKERS = ["•", "x", "+", "o", "*"]  # one per search: the charts are colourless, for any terminal


def _canvas(width: int, height: int, title: str) -> Any:
    from dlicli.hporeport.extras import need

    fig = need("plotext").figure
    fig.clear.all()
    fig.plot_size(width, height)
    fig.theme("colorless")
    fig.title(title)
    return fig


def _marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


def history(searches: list[Search], width: int) -> str:
    fig = _canvas(width, 18, f"{searches[0].metric_name} per experiment ({searches[0].direction}), best so far")
    for i, search in enumerate(searches):
        rows = data.best_so_far(search)
        xs = list(range(1, len(rows) + 1))
        fig.draw(fig.signal(xs, [v for _, v, _ in rows], marker=_marker(i)).label(search.name))
        fig.draw(fig.signal(xs, [b for _, _, b in rows], marker="hd").lines().label(f"{search.name} best so far"))
    fig.label("finished experiments, in id order")
    return str(fig.build().string(colorless=True))


def slices(searches: list[Search], width: int) -> list[str]:
    out = []
    for name, param in searches[0].space.items():
        fig = _canvas(width, 12, f"{name} against {searches[0].metric_name}")
        categorical = param.kind == "str" or param.choices is not None
        labels = list(dict.fromkeys(str(p) for s in searches for p, _ in data.per_param(s)[name]))
        for i, search in enumerate(searches):
            pairs = data.per_param(search)[name]
            xs = [labels.index(str(p)) for p, _ in pairs] if categorical else [float(p) for p, _ in pairs]
            label = search.name if len(searches) > 1 else None
            signal = fig.signal(xs, [v for _, v in pairs], marker=_marker(i))
            fig.draw(signal.label(label) if label else signal)
        if categorical:
            fig.ruler("x").ticks(list(range(len(labels))), labels)
        elif param.log:
            fig.ruler("x").scale("log")
        out.append(str(fig.build().string(colorless=True)))
    return out


def importance_bars(shares: dict[str, float], width: int) -> str:
    fig = _canvas(width, max(6, 2 * len(shares) + 3), "parameter importances (PED-ANOVA)")
    names = list(shares)[::-1]
    fig.draw(fig.bar(names, [shares[n] for n in names], orientation="horizontal", width=0.5))
    fig.ruler("x").lim(0, 1)
    return str(fig.build().string(colorless=True))


def charts(searches: list[Search], shares: dict[str, float], width: int) -> list[str]:
    """Every chart of the terminal report, each as text `width` columns wide."""
    parts = [history(searches, width), *slices(searches, width)]
    if shares:
        parts.append(importance_bars(shares, width))
    return parts
