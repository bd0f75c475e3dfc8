"""`exec list`'s rows and columns, typer-free: which tasks to show, and how.

A task is an HPO experiment when its search is known: the local engine says so in each Batch
(`hpoName`); a server that does not (WMLA's Batch has no such field) is asked once, GET
/hypersearch, whose experiments name their exec task (`appId`, as IBM's WMLA notebooks read it:
GET /execs/{appId}). Experiments are hidden unless --all or --hpo NAME.

What goes to the server: `state` and, for the spec's own Batch fields, `sort_by` (the query args
IBM's dlicmd.py documents for --exec-get-all); `limit` only when nothing is filtered out here
afterwards and the server sorts. All of it is applied here again, so a server that ignores a
query arg still gives the right list.

What tells tasks apart: one user's tasks share most of their args (`tensorflow --cs-datastore-meta
type=fs --workerDeviceNum 1 …` on WMLA), so the table shows the framework and the `--model-main`
file (MAIN) read from the args; the whole args only with `-o wide` (and piped, last).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dlicli import listing, timefmt, wmlaargs
from dlicli.output import Column, Output
from dlicli.wmla import EXEC_ACTIVE_STATES, EXEC_FINAL_STATES

if TYPE_CHECKING:
    from dlicli.client.operations import DlpdClient

Row = dict[str, Any]
STATES = EXEC_ACTIVE_STATES + EXEC_FINAL_STATES
VOLATILE = ("CREATED", "DURATION")
SERVER_SORT = {"id": "id", "state": "state", "name": "appName"}
"""Sort fields the spec's Batch has, so any dlpd server may sort by them."""


@dataclass(frozen=True)
class Ask:
    """What the user asked `exec list` for."""

    states: set[str]
    sort: tuple[str, bool] | None
    limit: int | None
    hpo: str | None
    everything: bool
    wide: bool = False  # -o wide: the whole args too

    @property
    def hides(self) -> bool:
        """Whether some rows the server sends are not shown (experiments, or other searches')."""
        return bool(self.hpo) or not self.everything

    def query(self) -> dict[str, str]:
        """GET /execs's query args for this ask (the server's share of the work)."""
        query: dict[str, str] = {}
        if self.states:
            query["state"] = ",".join(sorted(self.states))
        if self.sort and self.sort[0] in SERVER_SORT:
            query["sort_by"] = f"{SERVER_SORT[self.sort[0]]}:{'desc' if self.sort[1] else 'asc'}"
            if self.limit and not self.hides:
                query["limit"] = str(self.limit)
        return query


def _wmla_words(row: Row) -> list[str]:
    """The args' words up to a standalone `--` (after it they are the model's own)."""
    words = wmlaargs.split(str(row.get("args") or ""))[0]
    return words[: words.index("--")] if "--" in words else words


def option(words: list[str], flag: str) -> str:
    """The value of `flag` in `words`, as `flag VALUE` or `flag=VALUE` (the last one: WMLA reads
    the last); "" when it is not there."""
    found = ""
    for i, word in enumerate(words):
        if word == flag and i + 1 < len(words):
            found = words[i + 1]
        elif word.startswith(flag + "="):
            found = word[len(flag) + 1 :]
    return found


def model_main(row: Row) -> str:
    """The task's `--model-main` file, from its args (quoted or not, `--model-main x` or `=x`)."""
    return option(_wmla_words(row), "--model-main")


def framework(row: Row) -> str:
    """The engine's `framework`, else `--exec-start`'s value in args, else the args' first word
    when it is no option (WMLA's Batch args start with the framework: `tensorflow --cs-…`)."""
    if row.get("framework"):
        return str(row["framework"])
    words = _wmla_words(row)
    named = option(words, "--exec-start")
    if named:
        return named
    return words[0] if words and not words[0].startswith("-") else ""


def created(row: Row) -> Any:
    return row.get("createTime")


def seconds(row: Row) -> float | None:
    """How long the task ran: start to end, or to now while it runs; None before it starts (or
    when a task that ended has no end time)."""
    if not row.get("endTime") and str(row.get("state") or "").upper() in EXEC_FINAL_STATES:
        return None
    return timefmt.elapsed(row.get("startTime"), row.get("endTime"))


def search(row: Row) -> str:
    return str(row.get("hpoName") or "")


SORT_FIELDS: dict[str, listing.SortKey] = {
    "created": lambda r: timefmt.parse_time(created(r)),
    "state": lambda r: r.get("state"),
    "duration": seconds,
    "id": lambda r: r.get("id"),
    "name": lambda r: r.get("appName"),
    "search": search,
    "framework": framework,
}


def fits(tty: bool, wide: bool = False) -> list[listing.Fit]:
    """exec list's columns, and the order they give way in on a narrow terminal (MAIN, what tells
    one task from the next, goes last). The whole args (ARGS) only where nothing is cut: piped
    (every column, always the same, for `cut -f`) or with `-o wide`."""
    when = (
        (lambda r: timefmt.age(timefmt.parse_time(created(r))))
        if tty
        else (lambda r: timefmt.iso(timefmt.parse_time(created(r))))
    )
    return [
        listing.Fit(Column("ID", "id", style="bold")),
        listing.Fit(Column("STATE", "state")),
        listing.Fit(Column("CREATED", when), give=4),
        listing.Fit(Column("DURATION", lambda r: timefmt.duration(seconds(r))), give=5),
        listing.Fit(Column("SEARCH", search), give=6, shrink_to=12),
        listing.Fit(Column("FRAMEWORK", framework), give=3),
        listing.Fit(Column("MAIN", model_main), give=7, shrink_to=16),
        listing.Fit(Column("NAME", "appName"), give=2, shrink_to=12),
        *([listing.Fit(Column("ARGS", "args"))] if wide or not tty else []),
    ]


def wide_columns(out: Output, rows: list[Row]) -> list[Column]:
    """-o wide: every column, none cut (a cell too long folds); on a terminal, low-value columns
    that are empty in every row stay out, as without -o wide."""
    shown = fits(out.stdout_is_tty, wide=True)
    if out.stdout_is_tty:
        shown = [f for f in shown if not f.give or any(f.column.cell(r) for r in rows if isinstance(r, dict))]
    return [f.column for f in shown]


def with_searches(client: DlpdClient, tasks: list[Row]) -> list[Row]:
    """The tasks, each with `hpoName` (the search it is an experiment of, or None): as the server
    sent it, else from one GET /hypersearch (an answer that is an error means no searches)."""
    rows = [t for t in tasks if isinstance(t, dict)]
    if all("hpoName" in t for t in rows):
        return rows
    found = experiment_searches(client)
    return [{**t, "hpoName": t.get("hpoName") or found.get(str(t.get("id")))} for t in rows]


def experiment_searches(client: DlpdClient) -> dict[str, str]:
    """Exec id → HPO search name, from the experiments GET /hypersearch lists (their `appId`)."""
    from dlicli.errors import APIError

    try:
        searches = client.get_all_hpo()
    except APIError:  # a server without HPO (404), or a user who may not list it
        return {}
    found: dict[str, str] = {}
    for task in searches if isinstance(searches, list) else []:
        if not isinstance(task, dict):
            continue
        for exp in task.get("experiments") or []:
            if isinstance(exp, dict):
                for key in ("appId", "execId"):
                    if exp.get(key):
                        found[str(exp[key])] = str(task.get("hpoName") or "")
    return found


def select(rows: list[Row], ask: Ask) -> tuple[list[Row], int]:
    """The rows to show and how many experiments were hidden."""
    rows = listing.in_states(rows, ask.states)
    if ask.hpo:
        return [r for r in rows if search(r) == ask.hpo], 0
    if ask.everything:
        return rows, 0
    shown = [r for r in rows if not search(r)]
    return shown, len(rows) - len(shown)


def listing_for(out: Output, client: DlpdClient, ask: Ask) -> listing.Listing:
    """One GET /execs (and, for a server that does not name searches, one GET /hypersearch) made
    into the rows and columns to show. JSON and YAML get the server's objects exactly. With --hpo
    NAME and no experiment listed, GET /hypersearch/NAME says whether the search exists."""
    tasks = client.execs_get(ask.query())
    rows = with_searches(client, tasks) if tasks and (ask.hides or out.format == "table") else tasks
    rows, hidden = select(rows, ask)
    if ask.hpo and not rows:
        client.get_one_hpo(ask.hpo)  # a search that does not exist is an error (404), not an empty list
    rows = listing.sort_rows(rows, ask.sort, SORT_FIELDS)
    rows = listing.limit_rows(rows, ask.limit, sorted_by_user=ask.sort is not None, created=created)
    if out.format != "table":
        sent = {str(t.get("id")): t for t in tasks if isinstance(t, dict)}
        rows = [sent.get(str(r.get("id")), r) for r in rows]
    note = f"{hidden} HPO experiment{'s' if hidden != 1 else ''} hidden; --all shows them" if hidden else ""
    columns = wide_columns(out, rows) if ask.wide else listing.columns_for(out, fits(out.stdout_is_tty), rows)
    return listing.Listing(rows, columns, note, newest_last=ask.sort is None)
