"""`dlicli hpo report NAME [NAME…]`: a search's experiments as pictures: in the terminal (plotext),
piped as plain tables, or as one self-contained HTML page (--html). Only getOneHPO is called, so it
works on any server. The logic is in dlicli/hporeport (typer-free)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dlicli import hpobest
from dlicli.cli.hpo.tasks import NamesArg, ObjectiveOpt
from dlicli.cli.options import JsonOpt, OutputOpt
from dlicli.cli.state import output, state
from dlicli.output import Column, Output

HtmlOpt = Annotated[
    Path | None,
    typer.Option(
        "--html", help="Write one self-contained page (works offline) with interactive plots.", metavar="FILE"
    ),
]
OpenOpt = Annotated[bool, typer.Option("--open", help="Open the page in a browser (a temporary file without --html).")]


def report(
    ctx: typer.Context,
    names: NamesArg,
    direction: ObjectiveOpt = None,
    html_file: HtmlOpt = None,
    open_page: OpenOpt = False,
    output_format: OutputOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report on HPO searches (GET /hypersearch/{name} only): the objective per experiment with the
    best so far, each hyper-parameter against it, the parameter importances and the best parameters.
    On a terminal as plots; piped as tab-separated tables; -o json|yaml as data; --html FILE as a page. Several names
    overlay searches of the same space. Exit 3 when a search has no finished experiment (yet, or it
    ended without one), 2 when its objective's direction is unknown (give --objective) or the spaces
    differ."""
    from dlicli.hporeport import build, extras

    out = output(output_format, as_json)
    hpobest.check_override(direction)
    if html_file is not None:
        _check_html(html_file)
    extras.need("optuna")
    if html_file is not None or open_page:
        extras.need("plotly")
    elif out.format == "table" and out.stdout_is_tty:
        extras.need("plotext")
    client = state(ctx).client()
    made = build.make([(name, client.get_one_hpo(name)) for name in names], direction)
    if html_file is not None or open_page:
        _write_page(out, made, html_file, open_page)
    elif out.format != "table":
        out.data(build.as_data(made))
    else:
        _show(out, made)


def _check_html(path: Path) -> None:
    """Before any request or work: --html names a file (not a directory) that can be written, in a
    folder that exists: `exec result -O`'s checks (an existing file is replaced)."""
    from dlicli import execwatch
    from dlicli.errors import UsageError

    if path.is_dir():
        raise UsageError(f"--html {path} is a directory", hint=f"name a file: --html {path / 'report.html'}")
    execwatch.check_destination(str(path), force=True, option="--html FILE")


def _write_page(out: Output, made: Any, html_file: Path | None, open_page: bool) -> None:
    import tempfile
    import webbrowser

    from dlicli.hporeport import page

    text = page.render(made.searches, made.studies, made.shares, made.notes)
    if html_file is None:
        with tempfile.NamedTemporaryFile("w", suffix=".html", prefix="hpo-report-", delete=False) as tmp:
            html_file = Path(tmp.name)
    html_file.write_text(text, encoding="utf-8")
    out.success(f"wrote {html_file}")
    if open_page:
        webbrowser.open(html_file.resolve().as_uri())


def _show(out: Output, made: Any) -> None:
    from dlicli.hporeport import data, terminal

    if not out.stdout_is_tty:
        out.write(terminal.plain(made.searches, made.shares, made.notes))
        return
    width = out.console().size.width
    for chart in terminal.charts(made.searches, made.shares, width):
        out.write(chart + "\n")
    for search in made.searches:
        top = data.best(search)
        rows = [
            {"param": search.metric_name, "value": top.value},
            *({"param": n, "value": v} for n, v in top.params.items()),
        ]
        out.table(
            rows, [Column("PARAM", "param"), Column("VALUE", "value")], title=f"best: {search.name} experiment {top.id}"
        )
    for note in made.notes:
        out.info(note)
