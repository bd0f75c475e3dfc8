"""`dlicli hpo logs NAME EXPERIMENT`: an HPO experiment's logs, as `exec logs` shows a task's.

An experiment is a training task: getOneHPO lists it with its `id` (a counter from 0) and its
task's id as `appId` (WMLA's name, which IBM's notebooks pass to GET /execs/{appId}) or `execId`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from dlicli.cli.exec.follow import (
    FollowOpt,
    IntervalOpt,
    SinceOpt,
    StderrOpt,
    StdoutOpt,
    TailOpt,
    TimestampsOpt,
    show_logs,
)
from dlicli.cli.options import TimeoutOpt, nonblank
from dlicli.cli.state import state
from dlicli.hporeport.shapes import exec_id

SHOWN_IDS = 20  # at most this many experiment ids in the "no such experiment" hint


def experiment_task(search: Any, name: str, experiment: str) -> str:
    """The task id of experiment `experiment` (its id, or its task's id) of the search; NotFoundError
    (exit 3) naming the experiments that exist, or saying it has not started."""
    from dlicli.cli.hpo.watch import experiments
    from dlicli.errors import NotFoundError

    rows = experiments(search)
    wanted = experiment.strip()
    for exp in rows:
        task = exec_id(exp)
        if wanted in (str(exp.get("id")), task) and wanted:
            if not task:
                raise NotFoundError(
                    f"experiment {wanted} of {name} has no task yet ({exp.get('state') or 'not started'})",
                    hint=f"try again once it runs: dlicli hpo get {name}",
                )
            return task
    ids = [str(exp.get("id")) for exp in rows]
    listed = ", ".join(ids[:SHOWN_IDS]) + (f" … ({len(ids)} in all)" if len(ids) > SHOWN_IDS else "")
    raise NotFoundError(
        f"search {name} has no experiment {experiment!r}",
        hint=f"its experiments: {listed}" if ids else f"it has no experiments yet: dlicli hpo get {name}",
    )


def logs(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", callback=nonblank, help="The HPO task's name.")],
    experiment: Annotated[
        str, typer.Argument(metavar="EXPERIMENT", callback=nonblank, help="The experiment's id (or its task's id).")
    ],
    follow: FollowOpt = False,
    stdout: StdoutOpt = False,
    stderr: StderrOpt = False,
    tail: TailOpt = None,
    since: SinceOpt = None,
    timestamps: TimestampsOpt = False,
    interval: IntervalOpt = None,
    timeout: TimeoutOpt = None,
) -> None:
    """Print an HPO experiment's output and error logs; with --follow, until it ends.

    The experiment's task is found in GET /hypersearch/NAME, then read as `dlicli exec logs`
    reads a task, with the same options: both streams (its stderr on stderr), --stdout or
    --stderr for one, --tail, --since, --timestamps. With --follow the exit code is the
    experiment's outcome: 0 FINISHED, 10 FAILED/ERROR, 11 KILLED.
    """
    from dlicli import logstreams

    options = logstreams.log_options(stdout, stderr, tail, since, timestamps)
    st = state(ctx)
    exec_id = experiment_task(st.client().get_one_hpo(name), name, experiment)
    show_logs(
        st,
        exec_id,
        options,
        follow=follow,
        interval=interval,
        timeout=timeout,
        reattach=f"dlicli hpo logs {name} {experiment}",
    )
