"""`dlicli hpo report`'s logic, typer-free: a search's experiments as data (`data`), an in-memory
Optuna study and its parameter importances (`study`), terminal plots or plain tables (`terminal`),
and one self-contained HTML page (`page`). `shapes` reads getOneHPO's answer in WMLA's and the
local engine's shapes (shared with `hpo get|best|wait`).

Only `study`, `terminal` and `page` import the [plots] extra (optuna, plotext, plotly), and only
when a report is made: `extras.need()` turns a missing one into exit 2 with the install line."""
