"""`dlicli top`: a live console of one server (tasks, searches, applications, resource plans).

`model.py` and `searches.py` turn a poll into rows (no typer, no Textual), `plain.py` prints them as
text tables (`--once`, or stdout not a terminal), `app.py` is the Textual console: it alone imports
textual (the `tui` extra), and only when a terminal asks for it.
"""
