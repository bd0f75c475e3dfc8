"""The command line: typer lives only here. Commands parse, call the client, render."""
