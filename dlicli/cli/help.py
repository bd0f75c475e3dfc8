"""`dlicli help [TOPIC]`: the guides no single command's --help holds (exit codes, environment, the
HPO spec file, output). The texts are package data (dlicli/help/*.txt); this only prints them."""

from __future__ import annotations

from typing import Annotated

import typer


def _topics(incomplete: str) -> list[str]:
    from dlicli.help import TOPICS

    return [name for name in TOPICS if name.startswith(incomplete)]


def help_topic(
    topic: Annotated[
        str | None,
        typer.Argument(
            metavar="TOPIC",
            help="exit-codes, environment, hpo-spec or output; none lists them.",
            autocompletion=_topics,
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print a guide: exit codes, environment variables, the HPO spec file, output formats."""
    from dlicli.help import TOPICS, topic_list, topic_text
    from dlicli.output import Output

    if topic is None:
        Output().write(topic_list())
        return
    if topic not in TOPICS:
        from dlicli.cli.app import COMMANDS
        from dlicli.errors import UsageError

        hint = f"for the command, run `dlicli {topic} --help`" if topic in COMMANDS else "list them with `dlicli help`"
        raise UsageError(f"no help topic {topic!r} (topics: {', '.join(TOPICS)})", hint=hint)
    Output().write(topic_text(topic))


# The root registers it lazily (cli/app.py COMMANDS).
commands = typer.Typer()
commands.command("help")(help_topic)
